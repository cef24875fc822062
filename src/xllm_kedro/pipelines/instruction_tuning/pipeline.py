"""instruction_tuning: one model per experiment, trained by an accelerate job on the experiment's mix."""

from __future__ import annotations

from kedro.pipeline import Node, Pipeline

from xllm_kedro.pipelines._build import bound, current_study, ns_node
from xllm_kedro.pipelines.instruction_tuning.nodes import build_base_model_node, train_model_node
from xllm_kedro.spec.experiments import Experiment
from xllm_kedro.spec.study import Study


def train_node(exp: Experiment) -> Node:
    return ns_node(exp.name, bound(train_model_node, experiment=exp.name),
                   [f"{exp.name}.train_mix", "base_model", "params:training", "params:launcher",
                    "params:trust_remote_code"],
                   f"{exp.name}.model", "train_model_node")


def create_pipeline(study: Study | None = None, **kwargs) -> Pipeline:
    study = study or current_study()
    nodes = []
    if study.tiny_base:
        texts = ["en.alpaca_instructions"] + [
            ds for lang in study.languages for ds in (f"{lang}.alpaca_instructions", f"{lang}.translation_instructions")
        ]
        nodes.append(ns_node(None, build_base_model_node, ["params:base_model", *texts], "base_model",
                             "build_base_model_node"))
    nodes += [train_node(exp) for exp in study.staged]
    return Pipeline(nodes, tags="instruction_tuning")
