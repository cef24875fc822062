"""Training mixes: named sources, each optionally cut to its first N records, concatenated and shuffled.

A mix is a training set and is held in memory; its sources are streams, read only as far as needed.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from itertools import islice

from xllm_kedro.prompts import alpaca_prompt


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


def build_mix(sources: Mapping[str, Iterable[dict]], specs: list[str], *, seed: int) -> list[dict]:
    """Concatenate the named sources (each optionally cut to its first N records) and shuffle.

    Cutting takes a prefix, so mixes of growing size are nested subsets of one another.
    """
    records: list[dict] = []
    for spec in specs:
        name, limit = parse_source(spec)
        if name not in sources:
            raise ValueError(f"mix source {name!r} is not available; available: {sorted(sources)}")
        part = list(islice(sources[name], limit))
        if limit is not None and len(part) < limit:
            raise ValueError(f"mix source {spec!r} asks for {limit} records but {name} has only {len(part)}")
        records.extend(part)
    random.Random(seed).shuffle(records)
    return records


def as_text(record: dict) -> dict:
    """A record as raw text for pre-training: monolingual text as is, an instruction as its full
    Alpaca prompt followed by the response (so a base model meets the template before tuning)."""
    if "text" in record:
        return {"text": record["text"]}
    return {"text": alpaca_prompt(record["instruction"], record.get("input", "")) + record["output"]}


def build_text_mix(sources: Mapping[str, Iterable[dict]], specs: list[str], *, seed: int) -> list[dict]:
    """``build_mix`` whose records are all raw text (see ``as_text``)."""
    return [as_text(r) for r in build_mix(sources, specs, seed=seed)]
