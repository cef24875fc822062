"""Nodes of allocation: adapt the fitted laws and data statistics to analysis.budget_table and plots."""

from __future__ import annotations

import logging

import pandas as pd

from xllm_kedro.analysis.budget_table import (Baselines, allocation_table, budgets_to_compare, caps_from_statistics,
                                              laws_from_dicts)
from xllm_kedro.analysis.plots import budget_sweep_figure
from xllm_kedro.pipelines._build import mlflow_metrics

log = logging.getLogger(__name__)


def _with_data(laws: dict, caps: dict) -> tuple[dict, dict, list[str]]:
    """The languages that have clean pairs; those with none are left out of the allocation, with a log line."""
    empty = sorted(lang for lang, cap in caps.items() if cap <= 0)
    for lang in empty:
        log.warning("language %r has no clean translation pairs (data_statistics parallel_kept = 0): "
                    "left out of the allocation, its share is 0", lang)
    return {k: v for k, v in laws.items() if k not in empty}, {k: v for k, v in caps.items() if k not in empty}, empty


def _check_budgets(allocation: dict, caps: dict) -> None:
    """Every budget a parameter names fits the clean pairs available, or the error names that key."""
    available = int(sum(caps.values()))
    named = {f"allocation.budgets[{i}]": b for i, b in enumerate(allocation.get("budgets") or [])}
    named["allocation.experiments.budget"] = (allocation.get("experiments") or {}).get("budget")
    for key, budget in named.items():
        if budget is not None and budget > available:
            raise ValueError(f"parameters {key} = {budget} exceeds the {available} clean translation pairs "
                             f"available ({caps}, data_statistics parallel_kept)")


def _floors(allocation: dict, empty: list[str]) -> dict | None:
    """``allocation.floors`` without the languages left out for having no pairs."""
    floors = allocation.get("floors") or None
    return {k: v for k, v in floors.items() if k not in empty} if isinstance(floors, dict) else floors


def _baselines(allocation: dict) -> Baselines:
    return Baselines(**{k: float(allocation[k]) for k in ("temperature", "unimax_max_epochs") if k in allocation})


def allocate_budget_node(laws: dict, data_statistics: pd.DataFrame, allocation: dict) -> tuple[pd.DataFrame, dict, dict]:
    """Every strategy's split of each budget (Table 4 of the paper, with today's baselines), capped by the
    data and bounded below by ``allocation.floors`` (default: the smallest size each law was fitted on)."""
    fitted = laws_from_dicts(laws)
    fitted, caps, empty = _with_data(fitted, caps_from_statistics(fitted, data_statistics))
    _check_budgets(allocation, caps)
    budgets = budgets_to_compare(caps, allocation["budgets"], allocation["budget_fractions"],
                                 (allocation.get("experiments") or {}).get("budget"))
    table, certificates, scores = allocation_table(fitted, caps, budgets, _floors(allocation, empty),
                                                   _baselines(allocation))
    table = table.assign(**{f"X_{lang}": 0 for lang in empty})
    return table, certificates, mlflow_metrics(scores)


def budget_sweep_node(laws: dict, data_statistics: pd.DataFrame, allocation: dict):
    """The gain of the optimised split over uniform across budgets."""
    fitted = laws_from_dicts(laws)
    fitted, caps, empty = _with_data(fitted, caps_from_statistics(fitted, data_statistics))
    return budget_sweep_figure(fitted, caps, _floors(allocation, empty))
