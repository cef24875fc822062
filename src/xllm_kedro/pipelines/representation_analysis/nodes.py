"""Nodes of representation_analysis: adapt models and parallel text to analysis.alignment and plots."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from xllm_kedro.analysis.alignment import alignment_history, alignment_table, pca_points
from xllm_kedro.analysis.plots import alignment_figure, pca_figure
from xllm_kedro.analysis.representations import pooled_hidden_states
from xllm_kedro.evaluation.sets import sentences
from xllm_kedro.training.tiny_model import load_model


def encode_and_align_node(model_dir: Path, analysis: dict, trust_remote_code: bool, *flores, model: str,
                          languages: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Encode the parallel sentences (``flores`` in ``languages`` order, English first) with every layer.

    Returns:
        Alignment rows (model, language, layer, metrics) and 2-D PCA points of the selected layers.
    """
    llm, tokenizer = load_model(model_dir, trust_remote_code=trust_remote_code)
    limit = analysis.get("max_sentences") or None
    states = {lang: pooled_hidden_states(llm, tokenizer, sentences(data, f"{lang}.flores_raw", "sentence")[:limit],
                                         batch_size=analysis["batch_size"], desc=f"{model}/{lang}")
              for lang, data in zip(languages, flores)}
    return (alignment_table(model, states, seed=analysis["seed"], cka=analysis["cka"]),
            pca_points(model, states, analysis["pca_layers"]))


def collect_alignment_node(*tables: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """One table over models; MLflow gets each metric as a history over layers."""
    table = pd.concat(tables, ignore_index=True)
    return table, alignment_history(table)


def plot_alignment_node(table: pd.DataFrame):
    return alignment_figure(table)


def plot_pca_node(*points: pd.DataFrame, models: list[str]):
    """Figure 5 of the paper, one row per model."""
    return pca_figure(dict(zip(models, points)))
