"""Nodes of allocation: adapt the fitted laws and data statistics to analysis.budget_table and plots."""

from __future__ import annotations

import pandas as pd

from xllm_kedro.analysis.budget_table import (Baselines, allocation_table, budgets_to_compare, caps_from_statistics,
                                              laws_from_dicts)
from xllm_kedro.analysis.plots import budget_sweep_figure
from xllm_kedro.pipelines._build import mlflow_metrics


def _baselines(allocation: dict) -> Baselines:
    return Baselines(**{k: float(allocation[k]) for k in ("temperature", "unimax_max_epochs") if k in allocation})


def allocate_budget_node(laws: dict, data_statistics: pd.DataFrame, allocation: dict) -> tuple[pd.DataFrame, dict, dict]:
    """Every strategy's split of each budget (Table 4 of the paper, with today's baselines), capped by the
    data and bounded below by ``allocation.floors`` (default: the smallest size each law was fitted on)."""
    fitted = laws_from_dicts(laws)
    caps = caps_from_statistics(fitted, data_statistics)
    budgets = budgets_to_compare(caps, allocation["budgets"], allocation["budget_fractions"],
                                 (allocation.get("experiments") or {}).get("budget"))
    table, certificates, scores = allocation_table(fitted, caps, budgets, allocation.get("floors") or None,
                                                   _baselines(allocation))
    return table, certificates, mlflow_metrics(scores)


def budget_sweep_node(laws: dict, data_statistics: pd.DataFrame, allocation: dict):
    """The gain of the optimised split over uniform across budgets."""
    fitted = laws_from_dicts(laws)
    return budget_sweep_figure(fitted, caps_from_statistics(fitted, data_statistics), allocation.get("floors") or None)
