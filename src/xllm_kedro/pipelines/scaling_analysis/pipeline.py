"""scaling_analysis: points from the sweep (or a user's file) -> gamma -> fitted laws -> plot."""

from __future__ import annotations

from kedro.pipeline import Pipeline

from xllm_kedro.pipelines._build import bound, current_study, ns_node
from xllm_kedro.pipelines.scaling_analysis.nodes import (fit_laws_node, language_similarity_node, plot_laws_node,
                                                         sweep_points_node)
from xllm_kedro.spec.study import Study

def create_pipeline(study: Study | None = None, **kwargs) -> Pipeline:
    study = study or current_study()
    if study.scaling is None:
        return Pipeline([])
    languages = list(study.scaling.languages)
    nodes, points = [], "user_scaling_points"
    if study.scaling.points_source == "sweep":
        runs = [(e.name, e.sweep.language, e.sweep.size) for e in study.sweep]
        nodes.append(ns_node(None, bound(sweep_points_node, runs=runs),
                             ["params:scaling", *(f"{run}.metrics" for run, _, _ in runs)],
                             "scaling_points", "sweep_points_node"))
        points = "scaling_points"
    nodes += [
        ns_node(None, bound(language_similarity_node, languages=languages),
                [study.model_dataset(study.scaling.similarity_model), "params:scaling", "params:trust_remote_code",
                 "en.flores_raw", *(f"{lang}.flores_raw" for lang in languages)],
                "language_similarity", "language_similarity_node"),
        ns_node(None, fit_laws_node, [points, "language_similarity", "params:scaling"],
                ["scaling_laws", "scaling_law_comparison", "scaling_metrics"], "fit_laws_node"),
        ns_node(None, plot_laws_node, [points, "scaling_laws", "params:scaling"], "scaling_law_plot", "plot_laws_node"),
    ]
    return Pipeline(nodes, tags="scaling_analysis")
