"""Nodes of representation_analysis: per-layer cross-lingual alignment of base and tuned models (Figure 5)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import torch  # noqa: E402

from xllm_kedro.evaluation.sets import text_lines  # noqa: E402
from xllm_kedro.training.tiny_model import load_model  # noqa: E402
from xllm_kedro.analysis.representations import alignment_by_layer, pca_2d, pooled_hidden_states  # noqa: E402


def encode_and_align_node(model_dir: Path, analysis: dict, trust_remote_code: bool, model: str, flores__en: str,
                          **flores: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Encode the parallel sentences with every layer; measure En-X alignment and project for the PCA plot.

    Returns:
        Alignment rows (model, language, layer, metrics) and 2-D PCA points of the selected layers.
    """
    llm, tokenizer = load_model(model_dir, trust_remote_code=trust_remote_code)
    limit = analysis.get("max_sentences") or None
    states = {"en": pooled_hidden_states(llm, tokenizer, text_lines(flores__en)[:limit], batch_size=analysis["batch_size"],
                                         desc=f"{model}/en")}
    for key, text in flores.items():
        lang = key.removeprefix("flores__")
        states[lang] = pooled_hidden_states(llm, tokenizer, text_lines(text)[:limit], batch_size=analysis["batch_size"],
                                            desc=f"{model}/{lang}")
    rows = [{"model": model, "language": lang, **row}
            for lang in states if lang != "en"
            for row in alignment_by_layer(states["en"], states[lang], seed=analysis["seed"], cka=analysis["cka"])]
    n_layers = states["en"].shape[0]
    points = []
    for layer in analysis["pca_layers"]:
        if not -n_layers <= layer < n_layers:
            raise ValueError(f"parameters representation_analysis.pca_layers: layer {layer} out of range for {model} "
                             f"({n_layers} hidden-state layers)")
        langs = list(states)
        xy = pca_2d(torch.cat([states[lang][layer] for lang in langs]))
        offsets = [0]
        for lang in langs:
            offsets.append(offsets[-1] + states[lang].shape[1])
        for lang, start, end in zip(langs, offsets, offsets[1:]):
            for i, (pc1, pc2) in enumerate(xy[start:end].tolist()):
                points.append({"model": model, "layer": layer % n_layers, "language": lang, "sentence": i,
                               "pc1": pc1, "pc2": pc2})
    return pd.DataFrame(rows), pd.DataFrame(points)


def collect_alignment_node(**tables: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """One table over models; MLflow gets each metric as a history over layers (step = layer)."""
    table = pd.concat(tables.values(), ignore_index=True)
    metrics: dict[str, list[dict]] = {}
    for row in table.to_dict("records"):
        for name in ("cos_parallel", "cos_shuffled", "retrieval_en_x", "retrieval_x_en", "cka"):
            if name in row and pd.notna(row[name]):
                metrics.setdefault(f"repr.{row['model']}.{row['language']}.{name}", []).append(
                    {"value": float(row[name]), "step": int(row["layer"])})
    return table, metrics


def plot_alignment_node(table: pd.DataFrame) -> plt.Figure:
    """Alignment per layer: parallel minus shuffled cosine, and En->X retrieval, one line per model."""
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


def plot_pca_node(**points: pd.DataFrame) -> plt.Figure:
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
