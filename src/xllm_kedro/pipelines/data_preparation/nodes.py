"""Nodes of data_preparation: adapt catalog data to the corpora library.

Cleaned pairs and instructions leave these nodes as lazy streams with their reports (see
corpora/streams.py); the catalog writes them record by record, so no corpus is held in memory.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from functools import partial

import pandas as pd

from xllm_kedro.corpora import (DIRECTIONS, CleaningRules, CountedStream, ReadingOptions, Stream, StreamReport, build_mix,
                                build_text_mix, clean_corpora, clean_instruction_stream, configure,
                                instructions_from_records, with_limits)
from xllm_kedro.corpora.streams import at_least
from xllm_kedro.corpora.machine_translation import AlpacaTranslation, translate_instructions
from xllm_kedro.analysis.budget_table import split_of
from xllm_kedro.evaluation.sets import squad_examples
from xllm_kedro.pipelines._build import mlflow_metrics


def prepare_alpaca_node(records, reading: dict) -> tuple[CountedStream, StreamReport]:
    """Normalise Alpaca records and drop the empty ones (bad lines skipped and counted if asked).

    Returns:
        The kept records (a stream) and its count report.
    """
    options = ReadingOptions.from_params(reading)
    what = f"Alpaca records of {getattr(records, 'path', 'a hub dataset')}"
    stream = CountedStream(at_least(clean_instruction_stream, options.min_records, what), configure(records, options))
    return stream, stream.report


def translate_alpaca_node(records, alpaca_translation: dict, lang: str) -> Stream:
    """English Alpaca translated into ``lang`` with the local model of the parameters (a stream)."""
    return Stream(translate_instructions, records, AlpacaTranslation.from_params(alpaca_translation), lang)


def clean_parallel_node(cleaning: dict, reading: dict, lang: str, **corpora) -> tuple[CountedStream, StreamReport]:
    """Stream the language's raw corpora, in order, through the cleaning rules.

    Returns:
        Clean pairs as {"en", "x"} records (a stream) and its report: totals and, per corpus,
        ``<corpus>.<count>`` (read, skipped bad lines, below the margin, kept, each rule's drops).
    """
    options = ReadingOptions.from_params(reading)
    clean = partial(clean_corpora, max_misaligned_share=options.max_misaligned_share)
    stream = CountedStream(at_least(clean, options.min_records, f"parallel data of {lang!r}"),
                           {name: configure(c, options) for name, c in corpora.items()}, lang,
                           CleaningRules.from_params(cleaning), desc=f"clean {lang}", unit="pair")
    return stream, stream.report


def build_translation_instructions_node(pairs, translation: dict, lang: str, direction: str | None = None) -> Stream:
    """Translation instructions with rotated wording, deterministic per seed; the direction is the
    parameter's (En->X by default) unless the pipeline fixes it (X->En for the ablation)."""
    direction = direction or translation["direction"]
    if direction not in DIRECTIONS:
        raise ValueError(f"parameters data_preparation.translation.direction: {direction!r} is not one of {list(DIRECTIONS)}")
    return Stream(instructions_from_records, pairs, lang, direction, translation["seed"],
                  desc=f"translation instructions {lang}", unit="pair")


def data_statistics_node(reading: dict, *reports: Mapping, labels: list[tuple[str, str]]) -> tuple[pd.DataFrame, dict]:
    """One row per language (Table 1 of the paper, after cleaning) and the same numbers for MLflow.

    Args:
        reading: the reading parameters (the margin threshold goes in the table).
        reports: count reports, each labelled by ``labels`` as (language, "alpaca" | "parallel").

    Columns: ``parallel_<count>`` totals over a language's corpora, ``<corpus>.<count>`` per corpus,
    ``alpaca_<count>``, ``parallel_corpora`` and ``min_margin``.
    """
    rows: dict[str, dict] = {}
    for (lang, kind), report in zip(labels, reports):
        row = rows.setdefault(lang, {"language": lang})
        for k, v in dict(report).items():
            row[k if "." in k else f"{kind}_{k}"] = v
        if kind == "parallel":
            row["parallel_corpora"] = "+".join(dict.fromkeys(k.split(".")[0] for k in report if "." in k))
            row["min_margin"] = ReadingOptions.from_params(reading).min_margin
    table = pd.DataFrame(sorted(rows.values(), key=lambda r: r["language"]))
    counts = [c for c in table.select_dtypes("number").columns if c != "min_margin"]
    table[counts] = table[counts].fillna(0).astype(int)  # English has no parallel corpus: zero pairs
    metrics = {f"data.{r['language']}.{k}": v for r in table.to_dict("records") for k, v in r.items() if k in counts}
    return table, mlflow_metrics(metrics)


def prepare_qa_node(document: dict, lang: str) -> list[dict]:
    """Check and flatten a SQuAD-format QA set early, so a broken file stops the run before training."""
    return [asdict(e) for e in squad_examples(document, where=f"QA set {lang}.qa_raw")]


def build_mix_node(mixing: dict, sources: list[str], **datasets) -> list[dict]:
    """Concatenate the experiment's sources (prefix-cut where a size is given) and shuffle."""
    return build_mix(datasets, sources, seed=mixing["seed"])


def _within(records, limit: int):
    return (r for r in records if len(r["text"]) <= limit)


def prepare_monolingual_node(text, cleaning: dict) -> Stream:
    """Monolingual lines for pre-training, longer ones than ``cleaning.max_chars`` left out (a stream)."""
    return Stream(_within, text, cleaning["max_chars"], desc="monolingual text", unit="line")


def build_pretraining_mix_node(mixing: dict, sources: list[str], **datasets) -> list[dict]:
    """Raw-text records for a pre-training job: monolingual text, and instructions rendered in full."""
    return build_text_mix(datasets, sources, seed=mixing["seed"])


def build_budgeted_mix_node(allocation_table: pd.DataFrame, mixing: dict, sources: list[str], strategy: str,
                            budget: int, **datasets) -> list[dict]:
    """A MuIT mix whose translation data per language is the allocation pipeline's split of ``budget``."""
    limits = {f"translation_en_{lang}": size for lang, size in split_of(allocation_table, budget, strategy).items()}
    return build_mix(datasets, with_limits(sources, limits), seed=mixing["seed"])
