"""Figure 5 as data: per-layer En-X alignment of one model, and 2-D projections of chosen layers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd
import torch

from xllm_kedro.analysis.representations import alignment_by_layer, pca_2d

HISTORY_METRICS = ("cos_parallel", "cos_shuffled", "retrieval_en_x", "retrieval_x_en", "cka")


def alignment_table(model: str, states: Mapping[str, torch.Tensor], *, seed: int, cka: bool) -> pd.DataFrame:
    """One row per (language, layer) of ``model``: each language's states against English's.

    Args:
        states: language -> (layers, sentences, hidden) pooled states; ``en`` is the pivot.
    """
    return pd.DataFrame([{"model": model, "language": lang, **row}
                         for lang in states if lang != "en"
                         for row in alignment_by_layer(states["en"], states[lang], seed=seed, cka=cka)])


def pca_points(model: str, states: Mapping[str, torch.Tensor], layers: Sequence[int]) -> pd.DataFrame:
    """Every sentence of every language projected on the first two principal components of each layer."""
    n_layers = next(iter(states.values())).shape[0]
    points = []
    for layer in layers:
        if not -n_layers <= layer < n_layers:
            raise ValueError(f"parameters representation_analysis.pca_layers: layer {layer} out of range for {model} "
                             f"({n_layers} hidden-state layers)")
        langs = list(states)
        xy = pca_2d(torch.cat([states[lang][layer] for lang in langs])).tolist()
        start = 0
        for lang in langs:
            count = states[lang].shape[1]
            points += [{"model": model, "layer": layer % n_layers, "language": lang, "sentence": i, "pc1": a, "pc2": b}
                       for i, (a, b) in enumerate(xy[start:start + count])]
            start += count
    return pd.DataFrame(points)


def alignment_history(table: pd.DataFrame) -> dict[str, list[dict]]:
    """Each model/language metric as a history over layers (step = layer), the shape MLflow plots."""
    history: dict[str, list[dict]] = {}
    for row in table.to_dict("records"):
        for name in HISTORY_METRICS:
            if name in row and pd.notna(row[name]):
                history.setdefault(f"repr.{row['model']}.{row['language']}.{name}", []).append(
                    {"value": float(row[name]), "step": int(row["layer"])})
    return history
