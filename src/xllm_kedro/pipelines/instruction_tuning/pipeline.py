"""instruction_tuning: one model per experiment, trained by an accelerate job on the experiment's mix."""

from __future__ import annotations

from kedro.pipeline import Pipeline

from xllm_kedro.spec.languages import check_languages
from xllm_kedro.project_parameters import project_parameters
from xllm_kedro.pipelines._build import bound, experiments, ns_node
from xllm_kedro.pipelines.instruction_tuning.nodes import build_base_model_node, train_model_node


def create_pipeline(**kwargs) -> Pipeline:
    params = project_parameters()
    nodes = []
    if params["base_model"].get("build_tiny", False):
        languages = check_languages(list(params.get("languages") or []), where="parameters 'languages'")
        texts = ["en.alpaca_instructions"] + [
            ds for lang in languages for ds in (f"{lang}.alpaca_instructions", f"{lang}.translation_instructions")
        ]
        nodes.append(ns_node(None, build_base_model_node, ["params:base_model", *texts], "base_model",
                             "build_base_model_node"))
    for exp in experiments():
        nodes.append(ns_node(
            exp.name, bound(train_model_node, experiment=exp.name),
            [f"{exp.name}.train_mix", "base_model", "params:training", "params:launcher",
             "params:trust_remote_code"],
            f"{exp.name}.model", "train_model_node",
        ))
    return Pipeline(nodes, tags="instruction_tuning")
