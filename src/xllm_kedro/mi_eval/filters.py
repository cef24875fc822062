"""Wang et al. (2022)'s filters for machine-written instructions, each counted.

An instruction is dropped when it has 3 words or fewer or more than 150, names something a text model
cannot do (images, files, maps, plots...), starts with punctuation or a non-ASCII character, asks for a
program, or when its ROUGE-L F-measure with an instruction already in the pool (the seeds included)
reaches the threshold (0.7 in the paper). ROUGE-L tokens are lower-cased alphanumeric runs, as in the
``rouge_score`` package's default tokenizer.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

KEYWORDS = ("image", "images", "graph", "graphs", "picture", "pictures", "file", "files", "map", "maps",
            "draw", "plot", "go to", "video", "audio", "music", "flowchart", "diagram")
RULES = ("length", "keyword", "punctuation_start", "non_english_start", "program", "similar")
_TOKEN = re.compile(r"[a-z0-9]+")
_KEYWORD = re.compile(r"\b(" + "|".join(re.escape(k) for k in KEYWORDS) + r")\b", re.IGNORECASE)


def rouge_tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.lower())


def _lcs(a: list[str], b: list[str]) -> int:
    row = [0] * (len(b) + 1)
    for x in a:
        diag = 0
        for j, y in enumerate(b, 1):
            diag, row[j] = row[j], diag + 1 if x == y else max(row[j], row[j - 1])
    return row[-1]


def rouge_l(a: list[str], b: list[str]) -> float:
    """ROUGE-L F-measure of two token lists (0 when either is empty)."""
    lcs = _lcs(a, b)
    if not lcs:
        return 0.0
    precision, recall = lcs / len(b), lcs / len(a)
    return 2 * precision * recall / (precision + recall)


def rule_broken(text: str, *, min_words: int = 4, max_words: int = 150) -> str | None:
    """The first rule (other than similarity) that ``text`` breaks, or None."""
    stripped = text.strip()
    if not min_words <= len(stripped.split()) <= max_words:
        return "length"
    if _KEYWORD.search(stripped):
        return "keyword"
    if not stripped[0].isalnum():
        return "punctuation_start"
    if not stripped[0].isascii():
        return "non_english_start"
    if stripped.lower().startswith("write a program"):
        return "program"
    return None


@dataclass
class InstructionPool:
    """Instructions kept so far (the seeds first); ``offer`` keeps a candidate only if it passes every
    rule and is less similar than ``max_rouge_l`` to everything in the pool, counting why it is not."""

    max_rouge_l: float = 0.7
    min_words: int = 4
    max_words: int = 150
    counts: Counter = field(default_factory=Counter)
    _tokens: list[list[str]] = field(default_factory=list)

    def add_reference(self, texts: Iterable[str]) -> None:
        """Texts a candidate must not resemble, without being candidates (the seeds)."""
        self._tokens += [rouge_tokens(t) for t in texts]

    def offer(self, text: str) -> bool:
        self.counts["offered"] += 1
        rule = rule_broken(text, min_words=self.min_words, max_words=self.max_words)
        tokens = rouge_tokens(text)
        if rule is None and any(rouge_l(tokens, t) >= self.max_rouge_l for t in self._tokens):
            rule = "similar"
        if rule is not None:
            self.counts[rule] += 1
            return False
        self._tokens.append(tokens)
        self.counts["kept"] += 1
        return True

    def report(self) -> dict[str, int]:
        return {k: int(self.counts[k]) for k in ("offered", *RULES, "kept")}
