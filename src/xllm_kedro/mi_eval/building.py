"""The MI-Eval set: English instructions (new ones from a self-instruct endpoint, or seed records kept
by the same filters), then every target language, as rows (id, lang, instruction, input): one row per
instruction and language, so the set is multi-way by id.

Translation is either ``aligned`` (record i of each language's Alpaca file renders English record i,
as the controlled world writes them) or a local model (``corpora/machine_translation.translator``, the
path that makes Alpaca-X). The provenance (generator, translator, filter counts, a digest of the rows)
goes to MLflow beside the set.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Callable, Mapping, Sequence

from xllm_kedro.mi_eval.filters import InstructionPool
from xllm_kedro.mi_eval.self_instruct import self_instruct
from xllm_kedro.spec.mi_eval import MIEvalSpec

FIELDS = ("id", "lang", "instruction", "input")
Translate = Callable[[str, list[str]], list[str]]  # (target language, English texts) -> translations
Ask = Callable[[str], str]


def item_text(record: Mapping) -> str:
    """What the filters compare: the instruction and its input."""
    return " ".join(t for t in (record.get("instruction", ""), record.get("input", "")) if t)


def _seeds(records: Sequence[Mapping], spec: MIEvalSpec) -> list[int]:
    """Indices of the seed records past the offset, in a seeded random order."""
    order = list(range(spec.seed_offset, len(records)))
    random.Random(spec.seed).shuffle(order)
    return order


def english_items(records: Sequence[Mapping], spec: MIEvalSpec, ask: Ask | None) -> tuple[list[dict], dict]:
    """The English instructions ({index, instruction, input}; index None for generated ones) and the
    filter counts. Raises ValueError, naming mi_eval.size, when fewer than ``size`` pass."""
    f = spec.filters
    pool = InstructionPool(f.max_rouge_l, f.min_words, f.max_words)
    order = _seeds(records, spec)
    requests = 0
    if spec.self_instruct.enabled:
        if ask is None:
            raise ValueError("parameters mi_eval.self_instruct.enabled is true but no generator endpoint is configured: "
                             "conf/local/credentials.yml needs llm_generator.base_url and llm_generator.api_key")
        s = spec.self_instruct
        seeds = [records[i]["instruction"] for i in order if records[i]["instruction"]]
        texts, requests = self_instruct(ask, seeds, pool, target=spec.size, shown=s.shown, per_request=s.per_request,
                                        max_requests=s.max_requests, seed=spec.seed)
        items = [{"index": None, "instruction": t, "input": ""} for t in texts]
    else:
        items = []
        for i in order:
            if len(items) == spec.size:
                break
            if pool.offer(item_text(records[i])):
                items.append({"index": i, "instruction": records[i]["instruction"], "input": records[i].get("input", "")})
    counts = {**pool.report(), "requests": requests}
    if len(items) < spec.size:
        raise ValueError(f"parameters mi_eval.size: only {len(items)} of {spec.size} English instructions passed the "
                         f"filters ({counts}); lower the size, add seeds or allow more self-instruct requests")
    return items, counts


def translated_items(items: Sequence[Mapping], lang: str, spec: MIEvalSpec, *,
                     aligned: Sequence[Mapping] | None = None, translate: Translate | None = None) -> list[dict]:
    """``items`` in ``lang``: the aligned records at the same index, or the model's translations of the
    non-empty fields (empty ones stay empty)."""
    if spec.translation.method == "aligned":
        n = max(i["index"] for i in items) + 1
        if aligned is None or len(aligned) < n:
            raise ValueError(f"{lang}.alpaca_raw has {0 if aligned is None else len(aligned)} records, but "
                             f"translation method 'aligned' needs record {n - 1} (it must render the English file "
                             "record by record)")
        return [{"instruction": aligned[i["index"]]["instruction"], "input": aligned[i["index"]].get("input", "")}
                for i in items]
    fields = [(k, j) for j, i in enumerate(items) for k in ("instruction", "input") if i[k]]
    done = iter(translate(lang, [items[j][k] for k, j in fields]))
    out = [{"instruction": "", "input": ""} for _ in items]
    for k, j in fields:
        out[j][k] = next(done)
    return out


def build_mi_eval(records: Sequence[Mapping], spec: MIEvalSpec, *, aligned: Mapping[str, Sequence[Mapping]] | None = None,
                  translate: Translate | None = None, ask: Ask | None = None, generator: str = "",
                  translator: str = "") -> tuple[list[dict], dict]:
    """The set's rows (English first, then each language, by id) and its provenance."""
    items, counts = english_items(records, spec, ask)
    ids = [f"mi{k:04d}" for k in range(len(items))]
    rows = [{"id": i, "lang": "en", "instruction": it["instruction"], "input": it["input"]} for i, it in zip(ids, items)]
    for lang in spec.languages:
        done = translated_items(items, lang, spec, aligned=(aligned or {}).get(lang), translate=translate)
        rows += [{"id": i, "lang": lang, **t} for i, t in zip(ids, done)]
    digest = hashlib.sha256(json.dumps(rows, ensure_ascii=False, sort_keys=True).encode()).hexdigest()
    provenance = {"size": len(items), "languages": ["en", *spec.languages], "generator": generator,
                  "translator": translator, "filters": counts, "sha256": digest,
                  "seed_indices": [it["index"] for it in items] if not spec.self_instruct.enabled else []}
    return rows, provenance


def multiway(rows: Sequence[Mapping], languages: Sequence[str], where: str) -> dict[str, list[dict]]:
    """A (ready-made or built) set by language, each in the same id order; every id in every language,
    every row with the four fields. Errors name ``where`` and the row."""
    by_lang: dict[str, dict[str, dict]] = {}
    for n, row in enumerate(rows, 1):
        if not isinstance(row, Mapping) or set(FIELDS) - set(row):
            raise ValueError(f"{where}: row {n} must have the fields {list(FIELDS)}, got {row!r}"[:300])
        if not isinstance(row["instruction"], str) or not row["instruction"].strip():
            raise ValueError(f"{where}: row {n} ({row['id']}, {row['lang']}) has an empty instruction")
        if row["id"] in by_lang.setdefault(row["lang"], {}):
            raise ValueError(f"{where}: row {n}: id {row['id']!r} appears twice in language {row['lang']!r}")
        by_lang[row["lang"]][row["id"]] = dict(row)
    ids = list(by_lang.get("en", {}))
    if len(ids) < 2:
        raise ValueError(f"{where}: needs at least 2 English rows (lang 'en'), has {len(ids)}")
    for lang in languages:
        missing = [i for i in ids if i not in by_lang.get(lang, {})]
        if missing:
            raise ValueError(f"{where}: language {lang!r} lacks {len(missing)} id(s) of English, e.g. {missing[:3]}")
    return {lang: [by_lang[lang][i] for i in ids] for lang in ("en", *languages)}
