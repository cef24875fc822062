"""From sweep scores to one fitted law per language (Figure 3), with the checks a fit needs."""

from __future__ import annotations

import logging
from collections.abc import Mapping

import numpy as np
import pandas as pd

from xllm_kedro.analysis.scaling import ScalingLaw, fit_pooled_laws, fit_scaling_law

log = logging.getLogger(__name__)
POINT_COLUMNS = ["language", "size", "score"]
LAW_FIELDS = ("alpha", "beta", "gamma", "r2", "rmse", "extrapolation_error", "held_out_rmse")
LAW_KINDS = ("per_language", "pooled")


FALLBACK_METRIC = "chrf"


def metric_in_use(runs: Mapping[str, str], metrics: Mapping[str, Mapping], metric: str) -> str:
    """``metric`` if every run scored it in its language, else chrF for all of them, said in a log line
    (the paper's law is on COMET, which needs its own environment; one law never mixes two metrics).

    Args:
        runs: run name -> the language whose En->X score it reports; ``metrics`` are keyed by run name.
    """
    lacking = sorted(run for run, lang in runs.items() if f"translation.en-{lang}.{metric}" not in metrics[run])
    if not lacking or metric == FALLBACK_METRIC:
        return metric
    log.warning("scaling.metric %r is missing from %d run(s) (%s): the law uses %s instead", metric,
                len(lacking), ", ".join(lacking[:3]) + (" ..." if len(lacking) > 3 else ""), FALLBACK_METRIC)
    return FALLBACK_METRIC


def sweep_points(runs: Mapping[str, tuple[str, int]], metrics: Mapping[str, Mapping], metric: str) -> pd.DataFrame:
    """(language, size, score) rows from the sweep runs' En->X ``metric`` (chrF when a run lacks it).

    Args:
        runs: run name -> (language, translation-data size); ``metrics`` are keyed by run name.
    """
    metric = metric_in_use({run: lang for run, (lang, _) in runs.items()}, metrics, metric)
    rows = []
    for run, (lang, size) in runs.items():
        key = f"translation.en-{lang}.{metric}"
        if key not in metrics[run]:
            raise ValueError(f"metrics of {run!r} have no {key!r} (parameters scaling.metric = {metric!r})")
        score = float(metrics[run][key])
        if 0 <= score < 100:
            rows.append({"language": lang, "size": size, "score": score})
        else:  # a perfect score means the references leaked into training: not a point on the curve
            log.warning("sweep run %s scored %s=%.2f, outside [0, 100): left out of the fit", run, metric, score)
    return pd.DataFrame(rows, columns=POINT_COLUMNS).sort_values(["language", "size"]).reset_index(drop=True)


def fit_laws(points: pd.DataFrame, gammas: Mapping[str, float], fit: Mapping,
             law: str = "per_language") -> dict[str, ScalingLaw]:
    """S(X) = 100 - alpha (gamma X)^beta for every language with a gamma; each needs 3 points.

    Args:
        law: ``per_language`` (alpha, beta fitted per language; gamma only rescales alpha) or ``pooled``
            (one alpha, beta shared by all languages; each curve is set by its gamma).
    """
    if law not in LAW_KINDS:
        raise ValueError(f"parameters scaling.law must be one of {list(LAW_KINDS)}, got {law!r}")
    groups = _groups(points, gammas)
    if law == "pooled":
        return fit_pooled_laws(groups, gammas, **fit)
    return {lang: fit_scaling_law(sizes, scores, gammas[lang], **fit) for lang, (sizes, scores) in groups.items()}


def law_comparison(points: pd.DataFrame, gammas: Mapping[str, float], fit: Mapping) -> pd.DataFrame:
    """Both laws' errors per language: the per-language fit's and the pooled fit's in-sample RMSE, and the
    pooled fit's RMSE on a language it never saw (left out, its curve predicted from its gamma)."""
    per_language = fit_laws(points, gammas, {**fit, "n_bootstrap": 0})
    pooled = fit_laws(points, gammas, {**fit, "n_bootstrap": 0}, law="pooled")
    return pd.DataFrame([{"language": lang, "gamma": gammas[lang], "per_language_rmse": per_language[lang].rmse,
                          "pooled_rmse": pooled[lang].rmse, "pooled_held_out_rmse": pooled[lang].held_out_rmse}
                         for lang in per_language])


def _groups(points: pd.DataFrame, gammas: Mapping[str, float]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """(sizes, scores) of every language with a gamma, checked."""
    missing = set(POINT_COLUMNS) - set(points.columns)
    if missing:
        raise ValueError(f"scaling points lack column(s) {sorted(missing)}")
    unknown = sorted(set(points["language"]) - set(gammas))
    if unknown:
        raise ValueError(f"no language similarity (gamma) for {unknown}: add it to parameters scaling.gamma")
    groups = {}
    for lang in gammas:
        group = points[points["language"] == lang]
        if len(group) < 3:
            raise ValueError(
                f"language {lang!r} has {len(group)} usable (size, score) point(s); the fit needs 3. "
                "Check the sweep's predictions, or add sizes to parameters sweep.translation_sizes"
            )
        groups[lang] = (group["size"].to_numpy(dtype=float), group["score"].to_numpy(dtype=float))
    return groups


def law_summary(laws: Mapping[str, ScalingLaw]) -> dict[str, float]:
    """The fitted parameters and fit quality of each law, flat, finite values only."""
    flat = {f"scaling.{lang}.{k}": getattr(law, k) for lang, law in laws.items() for k in LAW_FIELDS}
    return {k: float(v) for k, v in flat.items() if np.isfinite(v)}
