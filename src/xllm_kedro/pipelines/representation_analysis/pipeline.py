"""representation_analysis: base model against each tuned model, layer by layer, on multi-way parallel text."""

from __future__ import annotations

from kedro.pipeline import Pipeline

from xllm_kedro.pipelines._build import bound, current_study, ns_node
from xllm_kedro.pipelines.representation_analysis.nodes import (collect_alignment_node, encode_and_align_node,
                                                                plot_alignment_node, plot_pca_node)
from xllm_kedro.spec.study import Study

NS = "representation"


def create_pipeline(study: Study | None = None, **kwargs) -> Pipeline:
    study = study or current_study()
    if study.representation is None:
        return Pipeline([])
    languages = ["en", *study.representation.languages]
    models = ["base", *study.representation.models]
    nodes = [ns_node(None, bound(encode_and_align_node, model=name, languages=languages),
                     [study.model_dataset(name), "params:representation_analysis", "params:trust_remote_code",
                      *(f"{lang}.flores_raw" for lang in languages)],
                     [f"{NS}.{name}_alignment", f"{NS}.{name}_pca_points"], f"encode_and_align_{name}_node")
             for name in models]
    nodes += [
        ns_node(None, collect_alignment_node, [f"{NS}.{name}_alignment" for name in models],
                ["representation_alignment", "representation_metrics"], "collect_alignment_node"),
        ns_node(None, plot_alignment_node, "representation_alignment", "representation_alignment_plot",
                "plot_alignment_node"),
        ns_node(None, bound(plot_pca_node, models=models), [f"{NS}.{name}_pca_points" for name in models],
                "representation_pca_plot", "plot_pca_node"),
    ]
    return Pipeline(nodes, tags="representation_analysis")
