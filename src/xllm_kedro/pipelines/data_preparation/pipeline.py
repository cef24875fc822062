"""data_preparation: raw Alpaca and parallel text -> instruction sources -> one training mix per experiment."""

from __future__ import annotations

from kedro.pipeline import Pipeline

from ...experiments import source_dataset
from ...languages import check_languages
from ...project_parameters import project_parameters
from .._nodes import bound, experiments, ns_node
from .nodes import (build_budgeted_mix_node, build_mix_node, build_translation_instructions_node, clean_parallel_node,
                    data_statistics_node, prepare_alpaca_node, prepare_qa_node)


def _alpaca(lang: str) -> list:
    return [ns_node(lang, prepare_alpaca_node, f"{lang}.alpaca_raw",
                    [f"{lang}.alpaca_instructions", f"{lang}.alpaca_report"], "prepare_alpaca_node")]


def _qa(lang: str) -> list:
    return [ns_node(lang, bound(prepare_qa_node, lang=lang), f"{lang}.qa_raw", f"{lang}.qa_examples",
                    "prepare_qa_node")]


def _translation(lang: str, reverse: bool) -> list:
    nodes = [
        ns_node(lang, bound(clean_parallel_node, lang=lang),
                [f"{lang}.parallel_raw", "params:data_preparation.cleaning"],
                [f"{lang}.parallel_clean", f"{lang}.cleaning_report"], "clean_parallel_node"),
        ns_node(lang, bound(build_translation_instructions_node, lang=lang),
                [f"{lang}.parallel_clean", "params:data_preparation.translation"],
                f"{lang}.translation_instructions", "build_translation_instructions_node"),
    ]
    if reverse:  # only when an experiment asks for X->En data
        nodes.append(ns_node(lang, bound(build_translation_instructions_node, lang=lang, direction="x-en"),
                             [f"{lang}.parallel_clean", "params:data_preparation.translation"],
                             f"{lang}.reverse_translation_instructions", "build_reverse_translation_instructions_node"))
    return nodes


def create_pipeline(**kwargs) -> Pipeline:
    languages = check_languages(list(project_parameters().get("languages") or []), where="parameters 'languages'")
    nodes = _alpaca("en")
    reports = {"en__alpaca": "en.alpaca_report"}
    needed = {source_dataset(name) for exp in experiments() for name in exp.source_names()}
    for lang in languages:
        nodes += _alpaca(lang) + _translation(lang, f"{lang}.reverse_translation_instructions" in needed) + _qa(lang)
        reports.update({f"{lang}__alpaca": f"{lang}.alpaca_report", f"{lang}__parallel": f"{lang}.cleaning_report"})
    nodes.append(ns_node(None, data_statistics_node, reports, ["data_statistics", "data_statistics_metrics"],
                         "data_statistics_node"))
    for exp in experiments():
        inputs = {"mixing": "params:data_preparation.mixing"}
        inputs.update({name: source_dataset(name) for name in exp.source_names()})
        if exp.strategy:  # closes the loop: the split comes from the allocation pipeline
            func = bound(build_budgeted_mix_node, sources=list(exp.sources), strategy=exp.strategy, budget=exp.budget)
            inputs["allocation_table"] = "allocation_table"
        else:
            func = bound(build_mix_node, sources=list(exp.sources))
        nodes.append(ns_node(exp.name, func, inputs, f"{exp.name}.train_mix", "build_mix_node"))
    return Pipeline(nodes, tags="data_preparation")

