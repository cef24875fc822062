"""Nodes of allocation: split a translation-data budget across languages with the fitted laws."""

from __future__ import annotations

import pandas as pd  # noqa: E402

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from xllm_kedro.analysis.allocation import integer_allocation, predicted_mean_score, round_to_budget, slsqp_allocation  # noqa: E402
from xllm_kedro.analysis.allocation import solve_allocation, uniform_allocation  # noqa: E402
from xllm_kedro.analysis.scaling import ScalingLaw
from xllm_kedro.pipelines._build import mlflow_metrics


def _laws(laws: dict) -> dict[str, ScalingLaw]:
    return {lang: ScalingLaw.from_dict(d) for lang, d in laws.items()}


def _caps(laws: dict[str, ScalingLaw], data_statistics: pd.DataFrame) -> dict[str, float]:
    stats = data_statistics.set_index("language")
    missing = sorted(set(laws) - set(stats.index))
    if missing:
        raise ValueError(f"data_statistics has no row for language(s) {missing}")
    return {lang: float(stats.loc[lang, "parallel_kept"]) for lang in laws}


def allocate_budget_node(laws: dict, data_statistics: pd.DataFrame, allocation: dict) -> tuple[pd.DataFrame, dict, dict]:
    """Uniform against optimised allocation for each budget (Table 4 of the paper).

    The cap of each language is the number of clean translation pairs it has (from data_statistics).

    Returns:
        The allocation table, the KKT certificate per budget, and the predicted scores for MLflow.
    """
    fitted = _laws(laws)
    caps = _caps(fitted, data_statistics)
    budgets = list(allocation["budgets"] or [int(sum(caps.values()) * f) for f in allocation["budget_fractions"]])
    experiment_budget = (allocation.get("experiments") or {}).get("budget")
    if experiment_budget and experiment_budget not in budgets:
        budgets.append(experiment_budget)
    rows, certificates, metrics = [], {}, {}
    for budget in sorted(budgets):
        solution = solve_allocation(fitted, budget, caps)
        uniform = uniform_allocation(budget, caps)
        strategies = {"uniform": uniform, "uniform_integer": round_to_budget(uniform, int(budget), caps),
                      "optimised": solution.sizes, "optimised_integer": integer_allocation(fitted, int(budget), caps),
                      "slsqp": slsqp_allocation(fitted, budget, caps)}
        for strategy, sizes in strategies.items():
            mean = predicted_mean_score(fitted, sizes)
            rows.append({"budget": budget, "strategy": strategy, **{f"X_{k}": v for k, v in sizes.items()},
                         "predicted_mean_score": mean})
            metrics[f"allocation.{budget}.{strategy}.predicted_mean_score"] = mean
        certificates[str(budget)] = {"marginal_gain": solution.marginal_gain, "at_cap": solution.at_cap,
                                     "caps": caps, "sizes": solution.sizes}
    return pd.DataFrame(rows), certificates, mlflow_metrics(metrics)


def budget_sweep_node(laws: dict, data_statistics: pd.DataFrame, points: int = 25) -> plt.Figure:
    """Predicted mean score of optimised and uniform allocation over budgets, and the gain between them."""
    fitted = _laws(laws)
    caps = _caps(fitted, data_statistics)
    budgets = np.linspace(0.02, 1.0, points) * sum(caps.values())
    optimised = [predicted_mean_score(fitted, solve_allocation(fitted, b, caps).sizes) for b in budgets]
    uniform = [predicted_mean_score(fitted, uniform_allocation(b, caps)) for b in budgets]
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(6, 5), sharex=True, height_ratios=[2, 1])
    top.plot(budgets, optimised, label="optimised (KKT)")
    top.plot(budgets, uniform, "--", label="uniform")
    top.set_ylabel("predicted mean score")
    top.legend()
    bottom.plot(budgets, np.array(optimised) - np.array(uniform), color="C2")
    bottom.set_ylabel("gain")
    bottom.set_xlabel("translation-data budget C")
    fig.tight_layout()
    return fig


def compare_budgeted_node(allocation_table: pd.DataFrame, laws: dict, allocation: dict, scaling: dict,
                          **metrics: dict) -> tuple[pd.DataFrame, dict]:
    """Measured against predicted score of the trained budgeted runs (``metrics`` keyed budget_<strategy>)."""
    budget = allocation["experiments"]["budget"]
    fitted = _laws(laws)
    rows, flat = [], {}
    for exp, m in metrics.items():
        strategy = exp.removeprefix("budget_")
        row = allocation_table[(allocation_table["budget"] == budget)
                               & (allocation_table["strategy"] == f"{strategy}_integer")].iloc[0]
        for lang, law in fitted.items():
            size = float(row[f"X_{lang}"])
            measured = float(m[f"translation.en-{lang}.{scaling['metric']}"])
            predicted = float(law.predict(size)) if size > 0 else float("nan")
            rows.append({"strategy": strategy, "language": lang, "size": size, "predicted": predicted,
                         "measured": measured})
            flat[f"budgeted.{strategy}.{lang}.measured"] = measured
        table = pd.DataFrame([r for r in rows if r["strategy"] == strategy])
        flat[f"budgeted.{strategy}.mean_measured"] = float(table["measured"].mean())
        flat[f"budgeted.{strategy}.mean_predicted"] = float(table["predicted"].mean())
    return pd.DataFrame(rows), mlflow_metrics({k: v for k, v in flat.items() if np.isfinite(v)})
