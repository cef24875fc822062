"""Every figure of the analysis pipelines: the scaling laws (Figure 3), the allocation's gain over
budgets, and cross-lingual alignment (Figure 5). Each takes plain tables and returns a Figure."""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from xllm_kedro.analysis.allocation import (default_floors, predicted_mean_score, solve_allocation,  # noqa: E402
                                            uniform_allocation)
from xllm_kedro.analysis.scaling import ScalingLaw  # noqa: E402


def scaling_laws_figure(points: pd.DataFrame, laws: Mapping[str, ScalingLaw], metric: str,
                        ci_level: float) -> plt.Figure:
    """One panel per language: observed points, the fitted curve and its bootstrap band; the curve is
    dashed, over a grey background, where it extrapolates beyond the sizes it was fitted on."""
    langs = sorted(laws)
    fig, axes = plt.subplots(1, len(langs), figsize=(4.2 * len(langs), 3.6), squeeze=False)
    for i, (ax, lang) in enumerate(zip(axes[0], langs)):
        law = laws[lang]
        group = points[points["language"] == lang]
        xs = np.geomspace(group["size"].min() / 2, group["size"].max() * 2, 200)
        color = f"C{i}"
        if law.draws:
            lo, hi = law.band(xs, ci_level)
            ax.fill_between(xs, lo, hi, color=color, alpha=0.2, label=f"{ci_level:.0%} band")
        inside = ~law.extrapolates(xs)
        ax.plot(xs, np.where(inside, law.predict(xs), np.nan), color=color,
                label=f"S = 100 - {law.alpha:.3g}({law.gamma:.3g}X)^{law.beta:.3g}")
        ax.plot(xs, np.where(inside, np.nan, law.predict(xs)), "--", color=color, label="extrapolated")
        if law.domain:
            ax.axvspan(xs[0], law.domain[0], color="0.9", zorder=0)
            ax.axvspan(law.domain[1], xs[-1], color="0.9", zorder=0)
        ax.scatter(group["size"], group["score"], color="k", zorder=3, label="observed")
        ax.set_xscale("log")
        ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())  # a narrow range labels every minor tick
        ax.set_title(f"{lang}  (R2 {law.r2:.2f})")
        ax.set_xlabel("translation instructions X")
        ax.legend(fontsize=7)
    axes[0][0].set_ylabel(metric)
    fig.tight_layout()
    return fig


def budget_sweep_figure(laws: Mapping[str, ScalingLaw], caps: Mapping[str, float],
                        floors: Mapping[str, float] | None = None, points: int = 25) -> plt.Figure:
    """Predicted mean score of optimised and uniform allocation over the feasible budgets (from the sum of
    the floors to all the data), and the gain between them; crosses mark budgets at which a split gives
    some language more than its law was fitted on (an extrapolation)."""
    least = sum({**default_floors(laws), **(floors or {})}.values())
    budgets = np.linspace(least, sum(caps.values()), points + 1)[1:]
    splits = {"optimised (KKT)": [solve_allocation(laws, b, caps, floors).sizes for b in budgets],
              "uniform": [uniform_allocation(b, caps) for b in budgets]}
    means = {name: np.array([predicted_mean_score(laws, s) for s in sizes]) for name, sizes in splits.items()}
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(6, 5), sharex=True, height_ratios=[2, 1])
    for (name, sizes), style in zip(splits.items(), ("-", "--")):
        top.plot(budgets, means[name], style, label=name)
        outside = np.array([any(laws[k].extrapolates(v) for k, v in s.items()) for s in sizes])
        if outside.any():
            top.plot(budgets[outside], means[name][outside], "x", color="k")
    top.plot([], [], "x", color="k", label="extrapolated")
    optimised, uniform = means["optimised (KKT)"], means["uniform"]
    top.set_ylabel("predicted mean score")
    top.legend()
    bottom.plot(budgets, optimised - uniform, color="C2")
    bottom.set_ylabel("gain")
    bottom.set_xlabel("translation-data budget C")
    fig.tight_layout()
    return fig


def alignment_figure(table: pd.DataFrame) -> plt.Figure:
    """Per layer: parallel minus shuffled cosine, and En->X top-1 retrieval, one line per model."""
    langs = sorted(table["language"].unique())
    fig, axes = plt.subplots(2, len(langs), figsize=(4.5 * len(langs), 6), squeeze=False, sharex=True)
    for j, lang in enumerate(langs):
        for model, group in table[table["language"] == lang].groupby("model", sort=False):
            axes[0][j].plot(group["layer"], group["cos_parallel"] - group["cos_shuffled"], marker="o", label=model)
            axes[1][j].plot(group["layer"], group["retrieval_en_x"], marker="o", label=model)
        axes[0][j].set_title(f"en-{lang}")
        axes[1][j].set_xlabel("layer (0 = embeddings)")
    axes[0][0].set_ylabel("cos(parallel) - cos(shuffled)")
    axes[1][0].set_ylabel("top-1 retrieval en->x")
    axes[0][-1].legend(fontsize=7)
    fig.tight_layout()
    return fig


def pca_figure(points: Mapping[str, pd.DataFrame]) -> plt.Figure:
    """Figure 5: 2-D PCA of sentence states per selected layer, coloured by language, one row per model."""
    models = list(points)
    layers = sorted(next(iter(points.values()))["layer"].unique())
    fig, axes = plt.subplots(len(models), len(layers), figsize=(3.2 * len(layers), 3 * len(models)), squeeze=False)
    for i, model in enumerate(models):
        for j, layer in enumerate(layers):
            ax = axes[i][j]
            panel = points[model][points[model]["layer"] == layer]
            for lang, group in panel.groupby("language"):
                ax.scatter(group["pc1"], group["pc2"], s=10, label=lang)
            ax.set_title(f"{model}, layer {layer}", fontsize=9)
            ax.set_xticks([])
            ax.set_yticks([])
    axes[0][-1].legend(fontsize=7)
    fig.tight_layout()
    return fig
