"""Nodes of scaling_analysis: language similarity, observed points, fitted laws and their plot."""

from __future__ import annotations

import logging
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from xllm_kedro.evaluation.sets import text_lines  # noqa: E402
from xllm_kedro.training.tiny_model import load_model  # noqa: E402
from xllm_kedro.analysis.representations import language_similarity, pooled_hidden_states  # noqa: E402
from xllm_kedro.analysis.scaling import ScalingLaw, fit_scaling_law  # noqa: E402
from xllm_kedro.pipelines._build import mlflow_metrics  # noqa: E402

log = logging.getLogger(__name__)


def language_similarity_node(base_model: Path, scaling: dict, trust_remote_code: bool, flores__en: str,
                             **flores: str) -> dict[str, float]:
    """gamma per language from a model's representations of multi-way parallel sentences.

    A language listed under ``scaling.gamma`` takes that value instead.
    """
    given = scaling.get("gamma") or {}
    todo = [k.split("__")[1] for k in flores if k.split("__")[1] not in given]
    gammas = {lang: float(v) for lang, v in given.items() if f"flores__{lang}" in flores}
    if todo:
        model, tokenizer = load_model(base_model, trust_remote_code=trust_remote_code)
        layer = scaling["similarity_layer"]
        en = pooled_hidden_states(model, tokenizer, text_lines(flores__en), desc="encode/en")[layer]
        for lang in todo:
            x = pooled_hidden_states(model, tokenizer, text_lines(flores[f"flores__{lang}"]), desc=f"encode/{lang}")[layer]
            gammas[lang] = language_similarity(en, x, seed=scaling["seed"])
    return dict(sorted(gammas.items()))


def sweep_points_node(scaling: dict, runs: dict[str, tuple[str, int]], **metrics: dict) -> pd.DataFrame:
    """(language, size, score) rows from the sweep experiments' translation metric.

    Args:
        runs: experiment name -> (language, translation-data size); ``metrics`` are keyed by experiment name.
    """
    metric = scaling["metric"]
    rows = []
    for exp, m in metrics.items():
        lang, size = runs[exp]
        key = f"translation.en-{lang}.{metric}"
        if key not in m:
            raise ValueError(f"metrics of {exp!r} have no {key!r} (parameters scaling.metric = {metric!r})")
        score = float(m[key])
        if 0 <= score < 100:
            rows.append({"language": lang, "size": size, "score": score})
        else:  # a perfect score means the references leaked into training: not a point on the curve
            log.warning("sweep run %s scored %s=%.2f, outside [0, 100): left out of the fit", exp, metric, score)
    return pd.DataFrame(rows, columns=["language", "size", "score"]).sort_values(["language", "size"]).reset_index(drop=True)


def fit_laws_node(points: pd.DataFrame, gammas: dict[str, float], scaling: dict) -> tuple[dict, dict]:
    """Fit S(X) = 100 - alpha (gamma X)^beta per language.

    Returns:
        Laws as JSON-ready dicts, and their parameters for MLflow.
    """
    missing = {"language", "size", "score"} - set(points.columns)
    if missing:
        raise ValueError(f"scaling points lack column(s) {sorted(missing)}")
    laws, metrics = {}, {}
    unknown = sorted(set(points["language"]) - set(gammas))
    if unknown:
        raise ValueError(f"no language similarity (gamma) for {unknown}: add it to parameters scaling.gamma")
    for lang in gammas:
        group = points[points["language"] == lang]
        if len(group) < 3:
            raise ValueError(
                f"language {lang!r} has {len(group)} usable (size, score) point(s); the fit needs 3. "
                "Check the sweep's predictions, or add sizes to parameters sweep.translation_sizes"
            )
        law = fit_scaling_law(group["size"].to_numpy(), group["score"].to_numpy(), gammas[lang], **scaling["fit"])
        laws[lang] = law.to_dict()
        metrics.update({f"scaling.{lang}.{k}": getattr(law, k)
                        for k in ("alpha", "beta", "gamma", "r2", "extrapolation_error")})
    return laws, mlflow_metrics({k: v for k, v in metrics.items() if np.isfinite(v)})


def plot_laws_node(points: pd.DataFrame, laws: dict, scaling: dict) -> plt.Figure:
    """Figure 3 of the paper, one panel per language: observed points, fitted curve, bootstrap band."""
    langs = sorted(laws)
    fig, axes = plt.subplots(1, len(langs), figsize=(4.2 * len(langs), 3.6), squeeze=False)
    for i, (ax, lang) in enumerate(zip(axes[0], langs)):
        law = ScalingLaw.from_dict(laws[lang])
        group = points[points["language"] == lang]
        xs = np.geomspace(group["size"].min() / 2, group["size"].max() * 2, 200)
        color = f"C{i}"
        if law.draws:
            lo, hi = law.band(xs, scaling["fit"]["ci_level"])
            ax.fill_between(xs, lo, hi, color=color, alpha=0.2, label=f"{scaling['fit']['ci_level']:.0%} band")
        ax.plot(xs, law.predict(xs), color=color,
                label=f"S = 100 - {law.alpha:.3g}({law.gamma:.3g}X)^{law.beta:.3g}")
        ax.scatter(group["size"], group["score"], color="k", zorder=3, label="observed")
        ax.set_xscale("log")
        ax.set_title(f"{lang}  (R2 {law.r2:.2f})")
        ax.set_xlabel("translation instructions X")
        ax.legend(fontsize=7)
    axes[0][0].set_ylabel(f"{scaling['metric']}")
    fig.tight_layout()
    return fig
