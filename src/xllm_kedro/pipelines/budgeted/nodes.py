"""Nodes of budgeted: adapt the trained runs' scores to analysis.budget_table."""

from __future__ import annotations

import pandas as pd

from xllm_kedro.analysis.budget_table import laws_from_dicts, measured_against_predicted
from xllm_kedro.pipelines._build import mlflow_metrics


def compare_budgeted_node(allocation_table: pd.DataFrame, laws: dict, allocation: dict, scaling: dict,
                          significance: dict, *runs, strategies: list[str]) -> tuple[pd.DataFrame, dict]:
    """Measured against predicted score of the trained budgeted runs, with p-values against uniform.

    ``runs`` are each strategy's metrics, then each strategy's predictions, in ``strategies`` order.
    """
    metrics, predictions = runs[:len(strategies)], runs[len(strategies):]
    table, summary = measured_against_predicted(allocation_table, laws_from_dicts(laws),
                                                allocation["experiments"]["budget"], scaling["metric"],
                                                dict(zip(strategies, metrics)), dict(zip(strategies, predictions)),
                                                significance)
    return table, mlflow_metrics(summary)
