"""Nodes of data_preparation: adapt catalog data to the corpora library."""

from __future__ import annotations

from dataclasses import asdict

import pandas as pd

from ...corpora import CleaningReport, CleaningRules, ParallelCorpus, build_mix, clean_instructions, clean_pairs
from ...corpora import translation_instructions, with_limits
from ...eval_sets import squad_examples
from .._nodes import mlflow_metrics


def prepare_alpaca_node(records: list[dict]) -> tuple[list[dict], dict]:
    """Normalise Alpaca records and drop the empty ones.

    Returns:
        The kept records and a count report.
    """
    return clean_instructions(records)


def clean_parallel_node(corpus: ParallelCorpus, cleaning: dict, lang: str) -> tuple[list[dict], dict]:
    """Stream the raw pairs through the cleaning rules.

    Returns:
        Clean pairs as {"en", "x"} records and the per-rule drop counts.
    """
    report = CleaningReport()
    pairs = [{"en": en, "x": x} for en, x in clean_pairs(corpus, lang, CleaningRules.from_params(cleaning), report)]
    return pairs, report.as_dict()


def build_translation_instructions_node(pairs: list[dict], translation: dict, lang: str,
                                        direction: str | None = None) -> list[dict]:
    """Translation instructions with rotated wording, deterministic per seed; the direction is the
    parameter's (En->X by default) unless the pipeline fixes it (X->En for the ablation)."""
    return list(translation_instructions(
        ((p["en"], p["x"]) for p in pairs), lang, direction=direction or translation["direction"],
        seed=translation["seed"],
    ))


def data_statistics_node(**reports: dict) -> tuple[pd.DataFrame, dict]:
    """One row per language (Table 1 of the paper, after cleaning) and the same numbers for MLflow.

    Args:
        reports: ``<lang>__parallel`` cleaning reports and ``<lang>__alpaca`` counts.
    """
    rows: dict[str, dict] = {}
    for key, report in reports.items():
        lang, kind = key.split("__")
        row = rows.setdefault(lang, {"language": lang})
        row.update({f"{kind}_{k}": v for k, v in report.items()})
    table = pd.DataFrame(sorted(rows.values(), key=lambda r: r["language"])).fillna(0)
    metrics = {f"data.{r['language']}.{k}": v for r in table.to_dict("records") for k, v in r.items() if k != "language"}
    return table, mlflow_metrics(metrics)


def prepare_qa_node(document: dict, lang: str) -> list[dict]:
    """Check and flatten a SQuAD-format QA set early, so a broken file stops the run before training."""
    return [asdict(e) for e in squad_examples(document, where=f"QA set {lang}.qa_raw")]


def build_mix_node(mixing: dict, sources: list[str], **datasets: list[dict]) -> list[dict]:
    """Concatenate the experiment's sources (prefix-cut where a size is given) and shuffle."""
    return build_mix(datasets, sources, seed=mixing["seed"])


def build_budgeted_mix_node(allocation_table: pd.DataFrame, mixing: dict, sources: list[str], strategy: str,
                            budget: int, **datasets: list[dict]) -> list[dict]:
    """A MuIT mix whose translation data per language is the allocation pipeline's split of ``budget``."""
    rows = allocation_table[(allocation_table["budget"] == budget) & (allocation_table["strategy"] == f"{strategy}_integer")]
    if len(rows) != 1:
        raise ValueError(f"allocation_table has no '{strategy}_integer' row for budget {budget}")
    row = rows.iloc[0]
    limits = {f"translation_en_{c[2:]}": int(row[c]) for c in allocation_table.columns if c.startswith("X_")}
    return build_mix(datasets, with_limits(sources, limits), seed=mixing["seed"])
