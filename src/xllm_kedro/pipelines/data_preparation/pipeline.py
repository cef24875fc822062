"""data_preparation: raw Alpaca and parallel text -> instruction sources -> one training mix per experiment.

One namespace per language (its Alpaca, its corpora, its translation data, its QA set), so kedro-viz
shows a box per language and a language is added in parameters.
"""

from __future__ import annotations

from kedro.pipeline import Node, Pipeline

from xllm_kedro.pipelines._build import bound, current_study, ns_node
from xllm_kedro.pipelines.data_preparation.nodes import (build_budgeted_mix_node, build_mix_node,
                                                         build_pretraining_mix_node, build_translation_instructions_node,
                                                         clean_parallel_node, prepare_monolingual_node,
                                                         data_statistics_node, prepare_alpaca_node, prepare_qa_node,
                                                         translate_alpaca_node)
from xllm_kedro.corpora import parse_source
from xllm_kedro.spec.experiments import Experiment, source_dataset
from xllm_kedro.spec.study import Study

READING = "params:data_preparation.reading"


def _alpaca(lang: str, translated: bool) -> list:
    raw = f"{lang}.alpaca_raw"
    nodes = []
    if translated:  # Alpaca-X made from English Alpaca by a local model
        raw = f"{lang}.alpaca_translated"
        nodes.append(ns_node(lang, bound(translate_alpaca_node, lang=lang),
                             ["en.alpaca_instructions", "params:data_preparation.alpaca_translation"], raw,
                             "translate_alpaca_node"))
    return nodes + [ns_node(lang, prepare_alpaca_node, [raw, READING],
                            [f"{lang}.alpaca_instructions", f"{lang}.alpaca_report"], "prepare_alpaca_node")]


def _qa(lang: str) -> list:
    return [ns_node(lang, bound(prepare_qa_node, lang=lang), f"{lang}.qa_raw", f"{lang}.qa_examples",
                    "prepare_qa_node")]


def _translation(lang: str, corpora: list[str], reverse: bool) -> list:
    inputs = {"cleaning": "params:data_preparation.cleaning", "reading": READING}
    inputs.update({name: f"{lang}.{name}_raw" for name in corpora})
    nodes = [
        ns_node(lang, bound(clean_parallel_node, lang=lang), inputs,
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


def _monolingual(lang: str) -> Node:
    return ns_node(lang, prepare_monolingual_node, [f"{lang}.monolingual_raw", "params:data_preparation.cleaning"],
                   f"{lang}.pretraining_text", "prepare_monolingual_node")


def _text_mix(namespace: str, sources: tuple[str, ...], output: str, name: str, as_text: bool = True) -> Node:
    func = build_pretraining_mix_node if as_text else build_mix_node
    return ns_node(namespace, bound(func, sources=list(sources)),
                   {"mixing": "params:data_preparation.mixing",
                    **{n: source_dataset(n) for n in sorted({parse_source(s)[0] for s in sources})}},
                   output, name)


def pretraining_mix_nodes(study: Study) -> list[Node]:
    """The English base's curriculum (raw text, or instructions for an sft stage) and each experiment's
    continued pre-training text."""
    nodes = [_text_mix(f"base_{st.name}", st.sources,
                       f"base_{st.name}.{'pretraining_mix' if st.objective == 'pretraining' else 'train_mix'}",
                       "build_mix_node", as_text=st.objective == "pretraining")
             for st in study.base_pretraining]
    nodes += [_text_mix(exp.name, exp.pretraining, f"{exp.name}.pretraining_mix", "build_pretraining_mix_node")
              for exp in study.experiments if exp.pretraining]
    return nodes


def mix_node(exp: Experiment) -> Node:
    """The experiment's training mix; a budgeted run's translation share comes from the allocation table."""
    inputs = {"mixing": "params:data_preparation.mixing"}
    inputs.update({name: source_dataset(name) for name in exp.source_names()})
    if exp.budgeted:
        func = bound(build_budgeted_mix_node, sources=list(exp.sources), strategy=exp.split.strategy,
                     budget=exp.split.budget)
        inputs["allocation_table"] = "allocation_table"
    else:
        func = bound(build_mix_node, sources=list(exp.sources))
    return ns_node(exp.name, func, inputs, f"{exp.name}.train_mix", "build_mix_node")


def create_pipeline(study: Study | None = None, **kwargs) -> Pipeline:
    study = study or current_study()
    nodes = _alpaca("en", False)
    if any("en" in exp.eval_languages for exp in study.experiments):  # English retention (QA in English)
        nodes += _qa("en")
    labels, reports = [("en", "alpaca")], ["en.alpaca_report"]
    for lang in study.languages:
        nodes += _alpaca(lang, lang in study.translated_alpaca) + _qa(lang)
        nodes += _translation(lang, list(study.corpora[lang]),
                              f"{lang}.reverse_translation_instructions" in study.needed_sources)
        labels += [(lang, "alpaca"), (lang, "parallel")]
        reports += [f"{lang}.alpaca_report", f"{lang}.cleaning_report"]
    nodes.append(ns_node(None, bound(data_statistics_node, labels=labels), [READING, *reports],
                         ["data_statistics", "data_statistics_metrics"], "data_statistics_node"))
    nodes += [_monolingual(lang) for lang in ("en", *study.languages) if f"{lang}.pretraining_text" in study.needed_sources]
    nodes += pretraining_mix_nodes(study)
    nodes += [mix_node(exp) for exp in study.staged if exp.sources]
    return Pipeline(nodes, tags="data_preparation")
