"""The parallel-data filter: NFC normalisation and six counted rules, applied batch by batch.

Rules, in the order a pair meets them (a pair is counted under the first it fails): empty side, too
long, length ratio, target equal to source, target not mostly in the language's script, exact
duplicate. Per-pair work stays in Python only where it is cheap (strip, NFC check, equality); lengths,
script shares and the duplicate check run on numpy arrays for a whole batch.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import islice
from unicodedata import is_normalized, normalize

import numpy as np

from xllm_kedro.spec.languages import get_language
from xllm_kedro.corpora.dedup import DigestSet, pair_digest
from xllm_kedro.corpora.scripts import text_counts

RULES = ("empty", "too_long", "length_ratio", "same_as_source", "wrong_script", "duplicate")
BATCH = 4096


@dataclass
class CleaningRules:
    """Thresholds of the parallel-data filter; each rule counts what it drops."""

    max_chars: int = 1000
    max_length_ratio: float = 3.0
    min_script_share: float = 0.5
    deduplicate: bool = True

    @classmethod
    def from_params(cls, params: Mapping) -> "CleaningRules":
        unknown = set(params) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"unknown cleaning parameter(s) {sorted(unknown)}; known: {sorted(cls.__dataclass_fields__)}")
        return cls(**params)


@dataclass
class CleaningReport:
    kept: int = 0
    dropped: Counter = field(default_factory=Counter)
    normalised: int = 0  # pairs that NFC normalisation changed (kept or not)

    def as_dict(self) -> dict[str, int]:
        return {"kept": self.kept, **{f"dropped_{r}": self.dropped.get(r, 0) for r in RULES}}


def _clean_batch(batch: list[tuple[str, str]], script: str, rules: CleaningRules, report: CleaningReport,
                 seen: DigestSet | None) -> list[tuple[str, str]]:
    srcs = [s.strip() for s, _ in batch]
    tgts = [t.strip() for _, t in batch]
    # "\n" neither composes nor reorders, so the joined batch is NFC exactly when every text is
    if not (is_normalized("NFC", "\n".join(srcs)) and is_normalized("NFC", "\n".join(tgts))):
        for i, (s, t) in enumerate(zip(srcs, tgts)):
            if not (is_normalized("NFC", s) and is_normalized("NFC", t)):
                srcs[i], tgts[i] = normalize("NFC", s), normalize("NFC", t)
                report.normalised += 1
    n = len(batch)
    ls, _, _, han_s = text_counts(srcs, "Latin")
    lt, letters, in_script, han_t = text_counts(tgts, script)
    # Length weighted by script: a Han character carries about as much as three Latin letters
    # (FLORES/NTREX medians: zh/en 0.34 in characters, about 1 with this weight).
    ws, wt = ls + 2 * han_s, lt + 2 * han_t
    share = np.divide(in_script, letters, out=np.zeros(n), where=letters > 0)
    rule = np.select(
        [(ls == 0) | (lt == 0),
         np.maximum(ls, lt) > rules.max_chars,
         np.maximum(ws, wt) / np.maximum(np.minimum(ws, wt), 1) > rules.max_length_ratio,
         np.array([s == t for s, t in zip(srcs, tgts)], bool),
         share < rules.min_script_share],
        [1, 2, 3, 4, 5], 0)
    keep = np.flatnonzero(rule == 0)
    if seen is not None and len(keep):
        new = seen.add_new([pair_digest(srcs[i], tgts[i]) for i in keep])
        rule[keep[~new]] = 6
        keep = keep[new]
    counts = np.bincount(rule, minlength=len(RULES) + 1)
    report.kept += int(counts[0])
    for name, count in zip(RULES, counts[1:]):
        if count:
            report.dropped[name] += int(count)
    return [(srcs[i], tgts[i]) for i in keep.tolist()]


def clean_pairs(pairs: Iterable[tuple[str, str]], target_lang: str, rules: CleaningRules, report: CleaningReport,
                *, seen: DigestSet | None = None) -> Iterator[tuple[str, str]]:
    """NFC-normalise and filter sentence pairs, counting each drop by rule in ``report``.

    Pass one ``seen`` to several calls to deduplicate across corpora.
    """
    script = get_language(target_lang, where="cleaning target language").script
    if rules.deduplicate and seen is None:
        seen = DigestSet()
    pairs = iter(pairs)
    while batch := list(islice(pairs, BATCH)):
        yield from _clean_batch(batch, script, rules, report, seen if rules.deduplicate else None)
