"""Translation instructions from (English, X) pairs, and the parallel corpora of a language cleaned
into one stream of pairs with its per-corpus report."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping

from xllm_kedro.prompts import TRANSLATION_TEMPLATES, translation_instruction
from xllm_kedro.corpora.cleaning import CleaningReport, CleaningRules, clean_pairs
from xllm_kedro.corpora.dedup import DigestSet
from xllm_kedro.corpora.misalignment import MisalignmentWatch
from xllm_kedro.corpora.parallel import ReadReport, read_pairs

DIRECTIONS = ("en-x", "x-en", "both")


def translation_instructions(
    pairs: Iterable[tuple[str, str]], target_lang: str, *, direction: str = "en-x", seed: int = 0,
    rotate: bool = True,
) -> Iterator[dict]:
    """Turn (English, X) pairs into Alpaca records; ``rotate`` varies the instruction wording."""
    if direction not in DIRECTIONS:
        raise ValueError(f"translation direction must be 'en-x', 'x-en' or 'both', got {direction!r}")
    wordings = {d: [translation_instruction(*d, v) for v in range(len(TRANSLATION_TEMPLATES))]
                for d in (("en", target_lang), (target_lang, "en"))}
    to_x, to_en = wordings[("en", target_lang)], wordings[(target_lang, "en")]
    n = len(TRANSLATION_TEMPLATES)
    bits = random.Random(seed).getrandbits  # getrandbits(30) is what randrange(1 << 30) draws, faster
    forward, backward = direction in ("en-x", "both"), direction in ("x-en", "both")
    for en, x in pairs:
        if forward:
            yield {"instruction": to_x[bits(30) % n if rotate else 0], "input": en, "output": x}
        if backward:
            yield {"instruction": to_en[bits(30) % n if rotate else 0], "input": x, "output": en}


def pair_of(record: Mapping) -> tuple[str, str]:
    """A clean-pair record ``{"en": ..., "x": ...}`` as a tuple."""
    return record["en"], record["x"]


def instructions_from_records(records: Iterable[Mapping], target_lang: str, direction: str, seed: int) -> Iterator[dict]:
    return translation_instructions(map(pair_of, records), target_lang, direction=direction, seed=seed)


def _watched(pairs: Iterable[tuple[str, str]], watch: MisalignmentWatch) -> Iterator[tuple[str, str]]:
    for en, x in pairs:
        watch.observe(en, x)
        yield en, x


def clean_corpora(corpora: Mapping[str, Iterable], lang: str, rules: CleaningRules, counts: dict,
                  max_misaligned_share: float = 1.0) -> Iterator[dict]:
    """The corpora of one language read and cleaned in order, as ``{"en", "x"}`` records; duplicates
    are found across corpora. ``counts`` gets the totals and ``<corpus>.<count>`` for each corpus, with
    its misaligned line ranges; a corpus whose misaligned share of lines is above
    ``max_misaligned_share`` stops the stream, naming the ranges."""
    seen = DigestSet() if rules.deduplicate else None
    totals: Counter = Counter()
    per_corpus = {}
    for name, corpus in corpora.items():
        read, clean, watch = ReadReport(), CleaningReport(), MisalignmentWatch()
        for en, x in clean_pairs(_watched(read_pairs(corpus, lang, read), watch), lang, rules, clean, seen=seen):
            yield {"en": en, "x": x}
        misaligned = watch.report()
        if read.read and misaligned["misaligned_lines"] > max_misaligned_share * read.read:
            files = [str(getattr(corpus, a)) for a in ("source_path", "target_path", "path") if hasattr(corpus, a)]
            raise ValueError(f"parallel corpus {name!r} of {lang!r} ({', '.join(files) or 'rows'}): "
                             f"{misaligned['misaligned_lines']} of {read.read} lines look misaligned "
                             f"(lines {misaligned['misaligned_blocks']}), above parameters "
                             f"data_preparation.reading.max_misaligned_share = {max_misaligned_share}")
        part = {**read.as_dict(), **clean.as_dict(), "normalised_nfc": clean.normalised,
                "misaligned_lines": misaligned["misaligned_lines"]}
        per_corpus.update({f"{name}.{k}": v for k, v in part.items()})
        per_corpus[f"{name}.misaligned_blocks"] = misaligned["misaligned_blocks"]
        totals.update(part)
    counts.update(totals)
    counts.update(per_corpus)
