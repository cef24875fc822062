"""representation_analysis: base model against each tuned model, layer by layer, on multi-way parallel text."""

from __future__ import annotations

from kedro.pipeline import Pipeline

from xllm_kedro.spec.languages import check_languages
from xllm_kedro.project_parameters import project_parameters
from xllm_kedro.pipelines._build import bound, experiments, ns_node
from xllm_kedro.pipelines.representation_analysis.nodes import collect_alignment_node, encode_and_align_node, plot_alignment_node, plot_pca_node

NS = "representation"


def create_pipeline(**kwargs) -> Pipeline:
    params = project_parameters().get("representation_analysis") or {}
    if not params:
        return Pipeline([])
    languages = check_languages(list(params["languages"]), where="parameters representation_analysis.languages")
    known = {e.name for e in experiments()}
    unknown = sorted(set(params["models"]) - known)
    if unknown:
        raise ValueError(f"parameters representation_analysis.models: {unknown} are not experiments; known: {sorted(known)}")
    models = {"base": "base_model", **{m: f"{m}.model" for m in params["models"]}}
    nodes, alignments, pca = [], {}, {}
    for name, dataset in models.items():
        inputs = {"model_dir": dataset, "analysis": "params:representation_analysis",
                  "trust_remote_code": "params:trust_remote_code", "flores__en": "en.flores_raw",
                  **{f"flores__{lang}": f"{lang}.flores_raw" for lang in languages}}
        nodes.append(ns_node(NS, bound(encode_and_align_node, model=name), inputs,
                             [f"{NS}.{name}_alignment", f"{NS}.{name}_pca_points"], f"encode_and_align_{name}_node"))
        alignments[name] = f"{NS}.{name}_alignment"
        pca[name] = f"{NS}.{name}_pca_points"
    nodes += [
        ns_node(NS, collect_alignment_node, alignments, ["representation_alignment", "representation_metrics"],
                "collect_alignment_node"),
        ns_node(NS, plot_alignment_node, "representation_alignment", "representation_alignment_plot",
                "plot_alignment_node"),
        ns_node(NS, plot_pca_node, pca, "representation_pca_plot", "plot_pca_node"),
    ]
    return Pipeline(nodes, tags="representation_analysis")
