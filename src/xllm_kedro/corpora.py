"""Instruction and parallel corpora: streaming readers, cleaning rules, translation instructions, mixes.

Everything here streams: readers yield records, cleaning is a generator with drop counters, and a mix
is the concatenation of already-built instruction lists.
"""

from __future__ import annotations

import json
import random
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .io import iter_jsonl_numbered
from .languages import get_language
from .prompts import translation_instruction

INSTRUCTION_KEYS = ("instruction", "input", "output")


def validate_instruction(record: object, where: str) -> dict:
    """Check one Alpaca-format record and return it with exactly the three string fields."""
    if not isinstance(record, dict):
        raise ValueError(f"{where}: expected an object with {INSTRUCTION_KEYS}, got {type(record).__name__}")
    missing = [k for k in ("instruction", "output") if k not in record]
    if missing:
        raise ValueError(f"{where}: missing key(s) {missing}")
    out = {k: record.get(k, "") for k in INSTRUCTION_KEYS}
    for key, value in out.items():
        if not isinstance(value, str):
            raise ValueError(f"{where}: key {key!r} must be a string, got {type(value).__name__}")
    return out


def read_instructions(path: str | Path) -> Iterator[dict]:
    """Yield Alpaca records from a JSON list (``.json``) or JSON lines (``.jsonl``) file."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"instruction file not found: {path}")
    if path.suffix == ".jsonl":
        for lineno, record in iter_jsonl_numbered(path):
            yield validate_instruction(record, f"{path}:{lineno}")
        return
    try:
        records = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise ValueError(f"{path}:{err.lineno}: malformed JSON ({err.msg})") from None
    if not isinstance(records, list):
        raise ValueError(f"{path}: expected a JSON list of instruction records")
    for i, record in enumerate(records):
        yield validate_instruction(record, f"{path}: record {i}")


def clean_instructions(records: Iterable[dict]) -> tuple[list[dict], dict[str, int]]:
    """NFC-normalise Alpaca records and drop those without an instruction or a response."""
    kept, dropped = [], 0
    for r in records:
        r = {k: unicodedata.normalize("NFC", r.get(k, "")).strip() for k in INSTRUCTION_KEYS}
        if r["instruction"] and r["output"]:
            kept.append(r)
        else:
            dropped += 1
    return kept, {"kept": len(kept), "dropped_empty": dropped}


@dataclass(frozen=True)
class ParallelCorpus:
    """Sentence-aligned text: line i of ``source_path`` translates line i of ``target_path``."""

    source_path: Path
    target_path: Path

    def __iter__(self) -> Iterator[tuple[str, str]]:
        for path in (self.source_path, self.target_path):
            if not Path(path).exists():
                raise FileNotFoundError(f"parallel corpus file not found: {path}")
        with open(self.source_path, encoding="utf-8") as src, open(self.target_path, encoding="utf-8") as tgt:
            n = 0
            while True:
                s, t = src.readline(), tgt.readline()
                if not s or not t:
                    break
                n += 1
                yield s.rstrip("\n"), t.rstrip("\n")
            n_src = n + bool(s) + sum(1 for _ in src)
            n_tgt = n + bool(t) + sum(1 for _ in tgt)
        if n_src != n_tgt:
            raise ValueError(
                f"line counts differ: {self.source_path} has {n_src} lines, {self.target_path} has {n_tgt}"
            )


_SCRIPT_PREFIX = {"Latin": "LATIN", "Arabic": "ARABIC", "Greek": "GREEK", "Devanagari": "DEVANAGARI", "Han": "CJK"}


def script_share(text: str, script: str) -> float:
    """Fraction of the letters in ``text`` that belong to ``script`` (by Unicode character name)."""
    prefix = _SCRIPT_PREFIX[script]
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return 0.0
    hits = sum(1 for ch in letters if unicodedata.name(ch, "").startswith(prefix))
    return hits / len(letters)


def _weighted_len(text: str) -> int:
    """Length in characters, a Han character counting as three: a Han character carries about as much
    as three Latin letters (FLORES/NTREX medians: zh/en 0.34 in characters, about 1 with this weight)."""
    return sum(3 if "\u4e00" <= ch <= "\u9fff" else 1 for ch in text)


def _length_ratio(a: str, b: str) -> float:
    la, lb = _weighted_len(a), _weighted_len(b)
    return max(la, lb) / min(la, lb)


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

    def as_dict(self) -> dict[str, int]:
        rules = ("empty", "too_long", "length_ratio", "same_as_source", "wrong_script", "duplicate")
        return {"kept": self.kept, **{f"dropped_{r}": self.dropped.get(r, 0) for r in rules}}


def clean_pairs(
    pairs: Iterable[tuple[str, str]], target_lang: str, rules: CleaningRules, report: CleaningReport
) -> Iterator[tuple[str, str]]:
    """NFC-normalise and filter sentence pairs, counting each drop by rule in ``report``."""
    script = get_language(target_lang).script
    seen: set[int] = set()
    for src, tgt in pairs:
        src = unicodedata.normalize("NFC", src.strip())
        tgt = unicodedata.normalize("NFC", tgt.strip())
        if not src or not tgt:
            rule = "empty"
        elif max(len(src), len(tgt)) > rules.max_chars:
            rule = "too_long"
        elif _length_ratio(src, tgt) > rules.max_length_ratio:
            rule = "length_ratio"
        elif src == tgt:
            rule = "same_as_source"
        elif script_share(tgt, script) < rules.min_script_share:
            rule = "wrong_script"
        elif rules.deduplicate and (key := hash((src, tgt))) in seen:
            rule = "duplicate"
        else:
            if rules.deduplicate:
                seen.add(key)
            report.kept += 1
            yield src, tgt
            continue
        report.dropped[rule] += 1


def translation_instructions(
    pairs: Iterable[tuple[str, str]], target_lang: str, *, direction: str = "en-x", seed: int = 0,
    rotate: bool = True,
) -> Iterator[dict]:
    """Turn (English, X) pairs into Alpaca records; ``rotate`` varies the instruction wording."""
    if direction not in {"en-x", "x-en", "both"}:
        raise ValueError(f"translation direction must be 'en-x', 'x-en' or 'both', got {direction!r}")
    rng = random.Random(seed)
    for en, x in pairs:
        sides = {"en-x": [("en", target_lang, en, x)], "x-en": [(target_lang, "en", x, en)]}
        todo = sides["en-x"] + sides["x-en"] if direction == "both" else sides[direction]
        for src, tgt, text, ref in todo:
            variant = rng.randrange(1 << 30) if rotate else 0
            yield {"instruction": translation_instruction(src, tgt, variant), "input": text, "output": ref}


def parse_source(spec: str) -> tuple[str, int | None]:
    """Split a mix source such as ``translation_en_zh:500`` into its name and optional size limit."""
    name, _, limit = spec.partition(":")
    if not limit:
        return name, None
    if not limit.isdigit():
        raise ValueError(f"mix source {spec!r}: the size after ':' must be a non-negative integer")
    return name, int(limit)


def with_limits(specs: list[str], limits: Mapping[str, int]) -> list[str]:
    """Mix specs in which every source named in ``limits`` is cut to that many records."""
    names = [parse_source(s)[0] for s in specs]
    return [f"{name}:{limits[name]}" if name in limits else s for name, s in zip(names, specs)]


def build_mix(sources: Mapping[str, list[dict]], specs: list[str], *, seed: int) -> list[dict]:
    """Concatenate the named sources (each optionally cut to its first N records) and shuffle.

    Cutting takes a prefix, so mixes of growing size are nested subsets of one another.
    """
    records: list[dict] = []
    for spec in specs:
        name, limit = parse_source(spec)
        if name not in sources:
            raise ValueError(f"mix source {name!r} is not available; available: {sorted(sources)}")
        data = sources[name]
        if limit is not None and limit > len(data):
            raise ValueError(f"mix source {spec!r} asks for {limit} records but {name} has only {len(data)}")
        records.extend(data[:limit] if limit is not None else data)
    random.Random(seed).shuffle(records)
    return records
