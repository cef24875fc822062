"""scaling_analysis: points from the sweep (or a user's file) -> gamma -> fitted laws -> plot."""

from __future__ import annotations

from kedro.pipeline import Pipeline

from xllm_kedro.project_parameters import project_parameters
from xllm_kedro.pipelines._build import bound, experiments, ns_node
from xllm_kedro.pipelines.scaling_analysis.nodes import fit_laws_node, language_similarity_node, plot_laws_node, sweep_points_node


def create_pipeline(**kwargs) -> Pipeline:
    params = project_parameters()
    scaling = params["scaling"]
    sweep = [e for e in experiments() if e.sweep_language]
    if scaling["points_source"] == "sweep":
        if not sweep:
            raise ValueError("parameters scaling.points_source is 'sweep' but parameters 'sweep' declares no runs")
        languages = sorted({e.sweep_language for e in sweep})
        runs = {e.name: (e.sweep_language, e.translation_size) for e in sweep}
        nodes = [ns_node("scaling", bound(sweep_points_node, runs=runs),
                         {"scaling": "params:scaling", **{e.name: f"{e.name}.metrics" for e in sweep}},
                         "scaling_points", "sweep_points_node")]
        points = "scaling_points"
    elif scaling["points_source"] == "user":
        languages, nodes, points = list(scaling["languages"]), [], "user_scaling_points"
    else:
        raise ValueError(f"parameters scaling.points_source must be 'sweep' or 'user', got {scaling['points_source']!r}")
    model = scaling.get("similarity_model", "base")
    known = {e.name for e in experiments()}
    if model != "base" and model not in known:
        raise ValueError(f"parameters scaling.similarity_model: {model!r} is neither 'base' nor an experiment "
                         f"({sorted(known)})")
    nodes += [
        ns_node("scaling", language_similarity_node,
                {"base_model": "base_model" if model == "base" else f"{model}.model", "scaling": "params:scaling",
                 "trust_remote_code": "params:trust_remote_code", "flores__en": "en.flores_raw",
                 **{f"flores__{lang}": f"{lang}.flores_raw" for lang in languages}},
                "language_similarity", "language_similarity_node"),
        ns_node("scaling", fit_laws_node, [points, "language_similarity", "params:scaling"],
                ["scaling_laws", "scaling_metrics"], "fit_laws_node"),
        ns_node("scaling", plot_laws_node, [points, "scaling_laws", "params:scaling"], "scaling_law_plot", "plot_laws_node"),
    ]
    return Pipeline(nodes, tags="scaling_analysis")
