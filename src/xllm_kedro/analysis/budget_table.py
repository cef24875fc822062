"""Table 4 as data: every strategy's split of each budget, and the budgeted runs measured against it.

The table has one row per (budget, strategy) with an ``X_<lang>`` column per language; ``split_of`` is
the one way to read a split back, so mixes and comparisons cannot disagree on the convention.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from xllm_kedro.analysis.allocation import (integer_allocation, predicted_mean_score, round_to_budget,
                                            slsqp_allocation, solve_allocation, uniform_allocation)
from xllm_kedro.analysis.scaling import ScalingLaw

SIZE_PREFIX = "X_"


def laws_from_dicts(laws: Mapping[str, Mapping]) -> dict[str, ScalingLaw]:
    return {lang: ScalingLaw.from_dict(d) for lang, d in laws.items()}


def caps_from_statistics(laws: Mapping[str, ScalingLaw], data_statistics: pd.DataFrame) -> dict[str, float]:
    """Each language's cap: the clean translation pairs it has (the ``parallel_kept`` column)."""
    stats = data_statistics.set_index("language")
    missing = sorted(set(laws) - set(stats.index))
    if missing:
        raise ValueError(f"data_statistics has no row for language(s) {missing}")
    return {lang: float(stats.loc[lang, "parallel_kept"]) for lang in laws}


def budgets_to_compare(caps: Mapping[str, float], budgets: Sequence[int], fractions: Sequence[float],
                       experiment_budget: int | None) -> list[float]:
    """Explicit budgets, or fractions of all the data; plus the budget the budgeted runs train on."""
    chosen = list(budgets or [int(sum(caps.values()) * f) for f in fractions])
    if experiment_budget and experiment_budget not in chosen:
        chosen.append(experiment_budget)
    return sorted(chosen)


def allocation_table(laws: Mapping[str, ScalingLaw], caps: Mapping[str, float],
                     budgets: Sequence[float]) -> tuple[pd.DataFrame, dict, dict[str, float]]:
    """Uniform, optimised (KKT, continuous and integer) and SLSQP splits of each budget.

    Returns:
        The table, the KKT certificate per budget (marginal gain, languages at their cap), and the
        predicted mean score of every (budget, strategy).
    """
    rows, certificates, scores = [], {}, {}
    for budget in budgets:
        solution = solve_allocation(laws, budget, caps)
        uniform = uniform_allocation(budget, caps)
        strategies = {"uniform": uniform, "uniform_integer": round_to_budget(uniform, int(budget), caps),
                      "optimised": solution.sizes, "optimised_integer": integer_allocation(laws, int(budget), caps),
                      "slsqp": slsqp_allocation(laws, budget, caps)}
        for strategy, sizes in strategies.items():
            mean = predicted_mean_score(laws, sizes)
            rows.append({"budget": budget, "strategy": strategy,
                         **{f"{SIZE_PREFIX}{k}": v for k, v in sizes.items()}, "predicted_mean_score": mean})
            scores[f"allocation.{budget}.{strategy}.predicted_mean_score"] = mean
        certificates[str(budget)] = {"marginal_gain": solution.marginal_gain, "at_cap": solution.at_cap,
                                     "caps": caps, "sizes": solution.sizes}
    return pd.DataFrame(rows), certificates, scores


def split_of(table: pd.DataFrame, budget: int, strategy: str) -> dict[str, int]:
    """The integer split a trained run uses: language -> translation pairs, for ``strategy`` at ``budget``."""
    rows = table[(table["budget"] == budget) & (table["strategy"] == f"{strategy}_integer")]
    if len(rows) != 1:
        raise ValueError(f"allocation_table has no '{strategy}_integer' row for budget {budget}")
    row = rows.iloc[0]
    return {c.removeprefix(SIZE_PREFIX): int(row[c]) for c in table.columns if c.startswith(SIZE_PREFIX)}


def measured_against_predicted(table: pd.DataFrame, laws: Mapping[str, ScalingLaw], budget: int, metric: str,
                               scores: Mapping[str, Mapping[str, Mapping]]) -> tuple[pd.DataFrame, dict[str, float]]:
    """Each budgeted run's measured En->X score per language beside the law's prediction for its share.

    Args:
        scores: strategy -> that run's metrics (keyed ``translation.en-<lang>.<metric>``).
    """
    rows, summary = [], {}
    for strategy, metrics in scores.items():
        split = split_of(table, budget, strategy)
        own = []
        for lang, law in laws.items():
            size = float(split[lang])
            measured = float(metrics[f"translation.en-{lang}.{metric}"])
            predicted = float(law.predict(size)) if size > 0 else float("nan")
            own.append({"strategy": strategy, "language": lang, "size": size, "predicted": predicted,
                        "measured": measured})
            summary[f"budgeted.{strategy}.{lang}.measured"] = measured
        summary[f"budgeted.{strategy}.mean_measured"] = float(np.mean([r["measured"] for r in own]))
        summary[f"budgeted.{strategy}.mean_predicted"] = float(np.mean([r["predicted"] for r in own]))
        rows += own
    return pd.DataFrame(rows), {k: v for k, v in summary.items() if np.isfinite(v)}
