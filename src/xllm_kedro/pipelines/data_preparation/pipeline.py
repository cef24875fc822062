"""data_preparation: raw Alpaca and parallel text -> instruction sources -> one training mix per experiment.

One namespace per language (its Alpaca, its corpora, its translation data, its QA set), so kedro-viz
shows a box per language and a language is added in parameters.
"""

from __future__ import annotations

from kedro.pipeline import Pipeline

from xllm_kedro.corpora.machine_translation import AlpacaTranslation
from xllm_kedro.spec.experiments import source_dataset
from xllm_kedro.spec.languages import check_languages, get_language
from xllm_kedro.project_parameters import project_parameters
from xllm_kedro.pipelines._build import bound, experiments, ns_node
from xllm_kedro.pipelines.data_preparation.nodes import (build_budgeted_mix_node, build_mix_node, build_translation_instructions_node, clean_parallel_node,
                    data_statistics_node, prepare_alpaca_node, prepare_qa_node, translate_alpaca_node)

READING = "params:data_preparation.reading"
_RESERVED = {"cleaning", "reading", "lang"}


def parallel_corpora(params: dict, languages: list[str]) -> dict[str, list[str]]:
    """Each language's raw corpora (catalog ``<lang>.<name>_raw``) from ``data_preparation.parallel_corpora``."""
    where = "parameters data_preparation.parallel_corpora"
    spec = dict(params.get("parallel_corpora") or {"default": ["parallel"]})
    for key in spec:
        if key != "default":
            get_language(key, where=where)
            if key not in languages:
                raise ValueError(f"{where}: {key!r} is not in parameters 'languages'")
    out = {}
    for lang in languages:
        names = spec.get(lang, spec.get("default"))
        if not names or not isinstance(names, list) or len(set(names)) != len(names):
            raise ValueError(f"{where}.{lang if lang in spec else 'default'}: need a list of distinct corpus names")
        bad = [n for n in names if not str(n).isidentifier() or n in _RESERVED]
        if bad:
            raise ValueError(f"{where}: corpus name(s) {bad} must be identifiers other than {sorted(_RESERVED)}")
        out[lang] = list(names)
    return out


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


def create_pipeline(**kwargs) -> Pipeline:
    params = project_parameters()
    languages = check_languages(list(params.get("languages") or []), where="parameters 'languages'")
    prep = params.get("data_preparation") or {}
    corpora = parallel_corpora(prep, languages)
    translation = AlpacaTranslation.from_params(prep.get("alpaca_translation"), languages)
    nodes = _alpaca("en", False)
    reports = {"en__alpaca": "en.alpaca_report", "reading": READING}
    needed = {source_dataset(name) for exp in experiments() for name in exp.source_names()}
    for lang in languages:
        nodes += _alpaca(lang, translation.translates(lang)) + _qa(lang)
        nodes += _translation(lang, corpora[lang], f"{lang}.reverse_translation_instructions" in needed)
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
