"""Nodes of scaling_analysis: adapt catalog data to analysis.scaling_fits, representations and plots."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from xllm_kedro.analysis.plots import scaling_laws_figure
from xllm_kedro.analysis.representations import language_gammas
from xllm_kedro.analysis.scaling import ScalingLaw
from xllm_kedro.analysis.scaling_fits import fit_laws, law_comparison, law_summary, sweep_points
from xllm_kedro.evaluation.sets import sentences
from xllm_kedro.pipelines._build import mlflow_metrics
from xllm_kedro.training.tiny_model import load_model


def language_similarity_node(model_dir: Path, scaling: dict, trust_remote_code: bool, english: str, *flores: str,
                             languages: list[str]) -> dict[str, float]:
    """gamma per language (``flores`` in the order of ``languages``), by ``scaling.gamma_method``;
    ``scaling.gamma`` overrides it."""
    given = {lang: float(v) for lang, v in (scaling.get("gamma") or {}).items() if lang in languages}
    # FLORES as a one-per-line text or as hub rows with a `sentence` column (conf/paper)
    todo = {lang: sentences(data, f"{lang}.flores_raw", "sentence") for lang, data in zip(languages, flores)
            if lang not in given}
    if todo:
        model, tokenizer = load_model(model_dir, trust_remote_code=trust_remote_code)
        given |= language_gammas(model, tokenizer, sentences(english, "en.flores_raw", "sentence"), todo,
                                 layer=scaling["similarity_layer"], seed=scaling["seed"],
                                 method=scaling.get("gamma_method", "cosine"))
    return dict(sorted(given.items()))


def sweep_points_node(scaling: dict, *metrics: dict, runs: list[tuple[str, str, int]]) -> pd.DataFrame:
    """(language, size, score) rows; ``runs`` names the (run, language, size) of each metrics input."""
    return sweep_points({run: (lang, size) for run, lang, size in runs},
                        {run: m for (run, _, _), m in zip(runs, metrics)}, scaling["metric"])


def fit_laws_node(points: pd.DataFrame, gammas: dict[str, float], scaling: dict) -> tuple[dict, pd.DataFrame, dict]:
    """Laws (``scaling.law``: per_language or pooled) as JSON-ready dicts, both laws' errors side by side
    (the pooled one's on each language left out), and the chosen laws' parameters for MLflow."""
    laws = fit_laws(points, gammas, scaling["fit"], law=scaling.get("law", "per_language"))
    return ({lang: law.to_dict() for lang, law in laws.items()}, law_comparison(points, gammas, scaling["fit"]),
            mlflow_metrics(law_summary(laws)))


def plot_laws_node(points: pd.DataFrame, laws: dict, scaling: dict):
    """Figure 3 of the paper."""
    return scaling_laws_figure(points, {lang: ScalingLaw.from_dict(d) for lang, d in laws.items()}, scaling["metric"],
                               scaling["fit"]["ci_level"])
