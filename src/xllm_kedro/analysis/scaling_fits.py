"""From sweep scores to one fitted law per language (Figure 3), with the checks a fit needs."""

from __future__ import annotations

import logging
from collections.abc import Mapping

import numpy as np
import pandas as pd

from xllm_kedro.analysis.scaling import ScalingLaw, fit_scaling_law

log = logging.getLogger(__name__)
POINT_COLUMNS = ["language", "size", "score"]
LAW_FIELDS = ("alpha", "beta", "gamma", "r2", "extrapolation_error")


def sweep_points(runs: Mapping[str, tuple[str, int]], metrics: Mapping[str, Mapping], metric: str) -> pd.DataFrame:
    """(language, size, score) rows from the sweep runs' En->X ``metric``.

    Args:
        runs: run name -> (language, translation-data size); ``metrics`` are keyed by run name.
    """
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


def fit_laws(points: pd.DataFrame, gammas: Mapping[str, float], fit: Mapping) -> dict[str, ScalingLaw]:
    """S(X) = 100 - alpha (gamma X)^beta for every language with a gamma; each needs 3 points."""
    missing = set(POINT_COLUMNS) - set(points.columns)
    if missing:
        raise ValueError(f"scaling points lack column(s) {sorted(missing)}")
    unknown = sorted(set(points["language"]) - set(gammas))
    if unknown:
        raise ValueError(f"no language similarity (gamma) for {unknown}: add it to parameters scaling.gamma")
    laws = {}
    for lang, gamma in gammas.items():
        group = points[points["language"] == lang]
        if len(group) < 3:
            raise ValueError(
                f"language {lang!r} has {len(group)} usable (size, score) point(s); the fit needs 3. "
                "Check the sweep's predictions, or add sizes to parameters sweep.translation_sizes"
            )
        laws[lang] = fit_scaling_law(group["size"].to_numpy(), group["score"].to_numpy(), gamma, **fit)
    return laws


def law_summary(laws: Mapping[str, ScalingLaw]) -> dict[str, float]:
    """The fitted parameters and fit quality of each law, flat, finite values only."""
    flat = {f"scaling.{lang}.{k}": getattr(law, k) for lang, law in laws.items() for k in LAW_FIELDS}
    return {k: float(v) for k, v in flat.items() if np.isfinite(v)}
