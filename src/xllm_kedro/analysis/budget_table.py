"""Table 4 as data: every strategy's split of each budget, and the budgeted runs measured against it.

The table has one row per (budget, strategy) with an ``X_<lang>`` column per language; ``split_of`` is
the one way to read a split back, so mixes and comparisons cannot disagree on the convention.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from xllm_kedro.analysis.allocation import (Allocation, beats_probability, default_floors, expected_mean_score,
                                            integer_allocation, predicted_mean_score, round_to_budget,
                                            slsqp_allocation, solve_allocation, solve_expected_allocation,
                                            temperature_allocation, uniform_allocation, unimax_allocation)
from xllm_kedro.analysis.scaling import ScalingLaw
from xllm_kedro.analysis.scaling_fits import metric_in_use
from xllm_kedro.analysis.significance import Unit, item_statistics, marker, paired_bootstrap

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


@dataclass(frozen=True)
class Baselines:
    """The baselines' settings: temperature tau (mT5's 1/0.3 by default) and UniMax's epoch cap."""

    temperature: float = 1 / 0.3
    unimax_max_epochs: float = 1.0


def _splits(laws: Mapping[str, ScalingLaw], caps: Mapping[str, float], budget: float,
            floors: Mapping[str, float] | None, baselines: Baselines,
            solutions: dict[str, Allocation]) -> dict[str, dict[str, float]]:
    """Every strategy's real and integer split of ``budget`` (and SLSQP's, as a cross-check): the
    baselines uniform, temperature (mT5 / XLM-R sampling) and unimax (Chung et al., 2023); optimised, the
    law-optimal split; expected, the optimum of the expected score over the laws' bootstrap draws."""
    whole = int(budget)
    split = {"uniform": uniform_allocation(budget, caps),
             "temperature": temperature_allocation(budget, caps, baselines.temperature),
             "unimax": unimax_allocation(budget, caps, baselines.unimax_max_epochs)}
    unimax_caps = {k: v * baselines.unimax_max_epochs for k, v in caps.items()}
    out = {}
    for name in ("uniform", "temperature", "unimax"):
        out[name] = split[name]
        out[f"{name}_integer"] = round_to_budget(split[name], whole, unimax_caps if name == "unimax" else caps)
    out["optimised"] = solutions["optimised"].sizes
    out["optimised_integer"] = integer_allocation(laws, whole, caps, floors)
    if "expected" in solutions:
        out["expected"] = solutions["expected"].sizes
        out["expected_integer"] = integer_allocation(laws, whole, caps, floors, expected=True)
    out["slsqp"] = slsqp_allocation(laws, budget, caps, floors)
    return out


def allocation_table(laws: Mapping[str, ScalingLaw], caps: Mapping[str, float], budgets: Sequence[float],
                     floors: Mapping[str, float] | None = None,
                     baselines: Baselines = Baselines()) -> tuple[pd.DataFrame, dict, dict[str, float]]:
    """Every strategy's split of each budget (real and integer), scored by one objective.

    Columns: ``predicted_mean_score`` (the mean of the fitted laws, the solver's own objective),
    ``expected_mean_score`` (over the laws' bootstrap draws), ``p_beats_uniform`` (the share of joint
    draws in which the split's mean beats uniform's) and ``extrapolated`` (languages whose size lies
    outside the sizes their law was fitted on). The expected-score strategy needs bootstrap draws.

    Returns:
        The table, the KKT certificate per budget (marginal gain, languages at their cap and floor, the
        objective) and the predicted mean score of every (budget, strategy).
    """
    drawn = all(law.draws for law in laws.values())
    rows, certificates, scores = [], {}, {}
    for budget in budgets:
        solutions = {"optimised": solve_allocation(laws, budget, caps, floors)}
        if drawn:
            solutions["expected"] = solve_expected_allocation(laws, budget, caps, floors)
        strategies = _splits(laws, caps, budget, floors, baselines, solutions)
        for strategy, sizes in strategies.items():
            mean = predicted_mean_score(laws, sizes)
            outside = [k for k, v in sizes.items() if laws[k].extrapolates(v)]
            row = {"budget": budget, "strategy": strategy, **{f"{SIZE_PREFIX}{k}": v for k, v in sizes.items()},
                   "predicted_mean_score": mean,
                   "expected_mean_score": expected_mean_score(laws, sizes) if drawn else float("nan"),
                   "p_beats_uniform": (beats_probability(laws, sizes, strategies["uniform"])
                                       if drawn and not strategy.startswith("uniform") else float("nan")),
                   "extrapolated": " ".join(outside)}
            rows.append(row)
            scores[f"allocation.{budget}.{strategy}.predicted_mean_score"] = mean
            if np.isfinite(row["p_beats_uniform"]):
                scores[f"allocation.{budget}.{strategy}.p_beats_uniform"] = row["p_beats_uniform"]
        certificates[str(budget)] = {
            name: {"marginal_gain": sol.marginal_gain, "at_cap": sol.at_cap, "at_floor": sol.at_floor,
                   "objective": sol.objective, "sizes": sol.sizes}
            for name, sol in solutions.items()} | {"caps": dict(caps), "floors": _floors_used(laws, floors)}
    return pd.DataFrame(rows), certificates, scores


def _floors_used(laws: Mapping[str, ScalingLaw], floors: Mapping[str, float] | None) -> dict[str, float]:
    return {**default_floors(laws), **{k: float(v) for k, v in (floors or {}).items()}}


def split_of(table: pd.DataFrame, budget: int, strategy: str) -> dict[str, int]:
    """The integer split a trained run uses: language -> translation pairs, for ``strategy`` at ``budget``."""
    rows = table[(table["budget"] == budget) & (table["strategy"] == f"{strategy}_integer")]
    if len(rows) != 1:
        raise ValueError(f"allocation_table has no '{strategy}_integer' row for budget {budget}")
    row = rows.iloc[0]
    return {c.removeprefix(SIZE_PREFIX): int(row[c]) for c in table.columns if c.startswith(SIZE_PREFIX)}


def _translations(records: Sequence[Mapping], lang: str) -> tuple[list[str], list[list[str]]]:
    """A run's En->``lang`` hypotheses and references from its prediction records, in item order."""
    mine = sorted((r for r in records if r["task"] == "translation" and r["lang"] == f"en-{lang}"),
                  key=lambda r: int(r["id"]))
    if not mine:
        raise ValueError(f"the predictions have no 'translation' records for en-{lang}")
    return [r["prediction"] for r in mine], [list(r["references"]) for r in mine]


def measured_against_predicted(table: pd.DataFrame, laws: Mapping[str, ScalingLaw], budget: int, metric: str,
                               scores: Mapping[str, Mapping[str, Mapping]],
                               predictions: Mapping[str, Sequence[Mapping]], significance: Mapping,
                               ) -> tuple[pd.DataFrame, dict[str, float]]:
    """Each budgeted run's measured En->X score per language beside the law's prediction for its share,
    and its paired-bootstrap p-value against the uniform run (per language, and for the mean over
    languages, the objective's measured counterpart).

    Args:
        scores: strategy -> that run's metrics (keyed ``translation.en-<lang>.<metric>``).
        predictions: strategy -> that run's prediction records, resampled for the p-values.
        significance: ``level`` (the marker's threshold), ``n_resamples``, ``seed``. A metric without
            per-item statistics (COMET) is tested on chrF, named in the ``p_metric`` column.
    """
    metric = metric_in_use({f"{s}.{lang}": lang for s in scores for lang in laws},
                           {f"{s}.{lang}": m for s, m in scores.items() for lang in laws}, metric)
    tested = metric if metric in ("bleu", "chrf") else "chrf"
    level, n, seed = float(significance["level"]), int(significance["n_resamples"]), int(significance["seed"])
    stats = {strategy: {lang: item_statistics(tested, *_translations(records, lang), lang) for lang in laws}
             for strategy, records in predictions.items()}
    rows, summary = [], {}
    for strategy, metrics in scores.items():
        split = split_of(table, budget, strategy)
        own = []
        for lang, law in laws.items():
            size = float(split[lang])
            with np.errstate(divide="ignore"):
                predicted = float(law.predict(size))
            own.append({"strategy": strategy, "language": lang, "size": size, "predicted": predicted,
                        "measured": float(metrics[f"translation.en-{lang}.{metric}"]),
                        "extrapolated": bool(law.extrapolates(size))})
            summary[f"budgeted.{strategy}.{lang}.measured"] = own[-1]["measured"]
        mean = {"strategy": strategy, "language": "mean", "size": sum(r["size"] for r in own),
                "predicted": float(np.mean([r["predicted"] for r in own])),
                "measured": float(np.mean([r["measured"] for r in own])),
                "extrapolated": any(r["extrapolated"] for r in own)}
        for row in [*own, mean]:
            langs = list(laws) if row["language"] == "mean" else [row["language"]]
            p = float("nan")
            if strategy != "uniform" and "uniform" in stats and strategy in stats:
                units = [Unit(stats[strategy][k][0], stats["uniform"][k][0], stats[strategy][k][1]) for k in langs]
                p = paired_bootstrap(units, n, seed)["p_value"]
            row.update({"p_vs_uniform": p, "p_metric": tested, "significant": marker(p, level)})
        summary[f"budgeted.{strategy}.mean_measured"] = mean["measured"]
        summary[f"budgeted.{strategy}.mean_predicted"] = mean["predicted"]
        summary[f"budgeted.{strategy}.p_vs_uniform"] = mean["p_vs_uniform"]
        rows += [*own, mean]
    return pd.DataFrame(rows), {k: v for k, v in summary.items() if np.isfinite(v)}
