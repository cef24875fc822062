"""Nodes of allocation: split a translation-data budget across languages with the fitted laws."""

from __future__ import annotations

import pandas as pd

from ...allocation import integer_allocation, predicted_mean_score, slsqp_allocation, solve_allocation
from ...allocation import uniform_allocation
from ...scaling import ScalingLaw
from .._nodes import mlflow_metrics


def allocate_budget_node(laws: dict, data_statistics: pd.DataFrame, allocation: dict) -> tuple[pd.DataFrame, dict, dict]:
    """Uniform against optimised allocation for each budget (Table 4 of the paper).

    The cap of each language is the number of clean translation pairs it has (from data_statistics).

    Returns:
        The allocation table, the KKT certificate per budget, and the predicted gains for MLflow.
    """
    fitted = {lang: ScalingLaw.from_dict(d) for lang, d in laws.items()}
    stats = data_statistics.set_index("language")
    missing = sorted(set(fitted) - set(stats.index))
    if missing:
        raise ValueError(f"data_statistics has no row for language(s) {missing}")
    caps = {lang: float(stats.loc[lang, "parallel_kept"]) for lang in fitted}
    budgets = allocation["budgets"] or [int(sum(caps.values()) * f) for f in allocation["budget_fractions"]]
    rows, certificates, metrics = [], {}, {}
    for budget in budgets:
        solution = solve_allocation(fitted, budget, caps)
        whole = integer_allocation(fitted, int(budget), caps)
        strategies = {"uniform": uniform_allocation(budget, caps), "optimised": solution.sizes,
                      "optimised_integer": whole, "slsqp": slsqp_allocation(fitted, budget, caps)}
        for strategy, sizes in strategies.items():
            mean = predicted_mean_score(fitted, sizes)
            rows.append({"budget": budget, "strategy": strategy, **{f"X_{k}": v for k, v in sizes.items()},
                         "predicted_mean_score": mean})
            metrics[f"allocation.{budget}.{strategy}.predicted_mean_score"] = mean
        certificates[str(budget)] = {"marginal_gain": solution.marginal_gain, "at_cap": solution.at_cap,
                                     "caps": caps, "sizes": solution.sizes, "integer_sizes": whole}
    return pd.DataFrame(rows), certificates, mlflow_metrics(metrics)
