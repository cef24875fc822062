"""Nodes of allocation: adapt the fitted laws and data statistics to analysis.budget_table and plots."""

from __future__ import annotations

import pandas as pd

from xllm_kedro.analysis.budget_table import (allocation_table, budgets_to_compare, caps_from_statistics,
                                              laws_from_dicts)
from xllm_kedro.analysis.plots import budget_sweep_figure
from xllm_kedro.pipelines._build import mlflow_metrics


def allocate_budget_node(laws: dict, data_statistics: pd.DataFrame, allocation: dict) -> tuple[pd.DataFrame, dict, dict]:
    """Uniform against optimised allocation for each budget (Table 4 of the paper), capped by the data."""
    fitted = laws_from_dicts(laws)
    caps = caps_from_statistics(fitted, data_statistics)
    budgets = budgets_to_compare(caps, allocation["budgets"], allocation["budget_fractions"],
                                 (allocation.get("experiments") or {}).get("budget"))
    table, certificates, scores = allocation_table(fitted, caps, budgets)
    return table, certificates, mlflow_metrics(scores)


def budget_sweep_node(laws: dict, data_statistics: pd.DataFrame):
    """The gain of the optimised split over uniform across budgets."""
    fitted = laws_from_dicts(laws)
    return budget_sweep_figure(fitted, caps_from_statistics(fitted, data_statistics))
