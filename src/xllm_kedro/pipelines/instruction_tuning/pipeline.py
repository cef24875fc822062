"""instruction_tuning: an English-centric base (a tiny LLaMA pre-trained on English, or a given model),
then one model per experiment, each trained by an accelerate job; an experiment may first continue
pre-training on monolingual text (Figure 7)."""

from __future__ import annotations

from kedro.pipeline import Node, Pipeline

from xllm_kedro.pipelines._build import bound, current_study, ns_node
from xllm_kedro.pipelines.instruction_tuning.nodes import (base_stage_node, build_base_model_node, pretrain_node,
                                                           train_model_node)
from xllm_kedro.spec.experiments import Experiment
from xllm_kedro.spec.study import Study

JOB_INPUTS = ["params:launcher", "params:trust_remote_code"]


def train_nodes(exp: Experiment) -> list[Node]:
    """Continued pre-training (if any) from the base, then instruction tuning from where that left off."""
    nodes, start = [], "base_model"
    if exp.pretraining:
        start = f"{exp.name}.pretrained_model" if exp.sources else f"{exp.name}.model"
        nodes.append(ns_node(exp.name, bound(pretrain_node, name=f"{exp.name}_pretraining"),
                             [f"{exp.name}.pretraining_mix", "base_model", "params:pretraining", *JOB_INPUTS],
                             start, "continue_pretraining_node"))
    if exp.sources:
        nodes.append(ns_node(exp.name, bound(train_model_node, experiment=exp.name, overrides=dict(exp.training)),
                             [f"{exp.name}.train_mix", start, "params:training", *JOB_INPUTS],
                             f"{exp.name}.model", "train_model_node"))
    return nodes


def _base(study: Study) -> list[Node]:
    """The tiny LLaMA built (its tokenizer trained on every language), then its English curriculum."""
    texts = ["en.alpaca_instructions"] + [
        ds for lang in study.languages for ds in (f"{lang}.alpaca_instructions", f"{lang}.translation_instructions")]
    texts += sorted(ds for ds in study.needed_sources if ds.endswith((".pretraining_text", ".copy_raw")))
    model = "untrained_model" if study.pretrain_base else "base_model"
    nodes = [ns_node(None, build_base_model_node, ["params:base_model", *texts], model, "build_base_model_node")]
    for i, stage in enumerate(study.base_pretraining):
        last = i == len(study.base_pretraining) - 1
        mix = f"base_{stage.name}.{'pretraining_mix' if stage.objective == 'pretraining' else 'train_mix'}"
        trained = "base_model" if last else f"base_{stage.name}.pretrained_model"
        nodes.append(ns_node(f"base_{stage.name}", bound(base_stage_node, index=i),
                             [mix, model, "params:pretraining", *JOB_INPUTS], trained, "train_base_stage_node"))
        model = trained
    return nodes


def create_pipeline(study: Study | None = None, **kwargs) -> Pipeline:
    study = study or current_study()
    nodes = _base(study) if study.tiny_base else []
    nodes += [node for exp in study.staged for node in train_nodes(exp)]
    return Pipeline(nodes, tags="instruction_tuning")
