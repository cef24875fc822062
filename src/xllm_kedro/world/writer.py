"""Sample the world once and write every file, each atomically (temp file + os.replace).

Held-out sentences (multi-way sets and the clauses of evaluation QA contexts) are drawn first and
rejected everywhere else, so no evaluation sentence appears in a training corpus. One ``random.Random``
drives the whole sampling in a fixed order: the same parameters give byte-identical files.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from xllm_kedro.files import atomic_path
from xllm_kedro.world.grammar import QUESTION_KINDS, Clause, sample_cast, sample_clause, sample_story_clause
from xllm_kedro.world.languages import WORLD_LANGUAGES, build_grammars
from xllm_kedro.world.lexicon import ENGLISH_WORDS
from xllm_kedro.world.params import WorldParams, world_params
from xllm_kedro.world.tasks import alpaca_record, qa_labels, sample_alpaca_items, sample_qa, squad_json


def _write(path: Path, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def _json(obj) -> str:
    return json.dumps(obj, ensure_ascii=False, indent=1) + "\n"


def _lines(lines: list[str]) -> str:
    return "".join(line + "\n" for line in lines)


class _Sampler:
    """Fresh clauses from one random stream, never one of the held-out set."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.held_out: set[Clause] = set()

    def clause(self) -> Clause:
        while (c := sample_clause(self.rng)) in self.held_out:
            pass
        return c

    def distinct(self, n: int) -> list[Clause]:
        seen: dict[Clause, None] = {}
        while len(seen) < n:
            seen.setdefault(self.clause())
        return list(seen)

    def stories(self, n: int, share: float, echo: float) -> list[tuple[Clause, str | None]]:
        """``n`` lines of short stories (3-6 clauses over 3 recurring noun phrases and 2 places), each
        statement repeated on the next line with probability ``echo`` (a refrain); after a story, with
        probability ``share``, a question about one of its clauses and then its answer.

        Lines are (clause, None) for a statement, (clause, kind) for a question and (clause, "=kind")
        for the answer line. Recurring phrases and answers found earlier in the text are what teach a
        tiny model to look back and copy, which the tasks need: without verbatim repeats a tiny model
        trained for a minute on CPU never learns to copy (it stays at the language-model prior).
        """
        out: list[tuple[Clause, str | None]] = []
        while len(out) < n:
            cast, places = sample_cast(self.rng, 3), sample_cast(self.rng, 2)
            story = []
            for _ in range(self.rng.randint(3, 6)):
                while (c := sample_story_clause(self.rng, cast, places)) in self.held_out:
                    pass
                story.append(c)
            out += [(c, None) for c in story for _ in range(2 if self.rng.random() < echo else 1)]
            if self.rng.random() < share:
                c = self.rng.choice(story)
                kind = self.rng.choice([k for k in QUESTION_KINDS if k != "place" or c.place])
                out += [(c, kind), (c, "=" + kind)]
        return out[:n]


def _mono_line(g, clause: Clause, kind: str | None) -> str:
    if kind is None:
        return g.sentence(clause)
    if kind.startswith("="):
        return g.answer(clause, kind[1:])[0] + " ."
    return g.question(clause, kind)


COPY_INSTRUCTION = "repeat the list ."


def _word_lists(rng: random.Random, n: int, pools: list[list[str]], shortest: int = 3, longest: int = 10) -> list[str]:
    """Random lists of one language's words each: a text a tiny model can only continue by copying. Learned
    first, with nothing before it, copying then carries over behind the Alpaca template, where it does not
    form alone in a CPU budget (see docs/architecture.md, the controlled world). Lists carry no meaning, so
    a target language among the pools teaches the base its word forms, not its grammar or its sense."""
    return [" ".join(rng.choices(rng.choice(pools) if len(pools) > 1 else pools[0], k=rng.randint(shortest, longest)))
            for _ in range(n)]


def write_world(out_dir: str | Path, **params) -> dict:
    """Generate the world described by ``params`` (see WorldParams) under ``out_dir``; return a manifest
    (also written as ``world.json``) with the parameters, languages, QA prompt labels and file list."""
    p: WorldParams = world_params(params)
    out = Path(out_dir)
    grammars = build_grammars(p.seed, list(p.languages), near_shared=p.near_shared, mid_shared=p.mid_shared)
    sampler = _Sampler(random.Random(p.seed))
    rng = sampler.rng

    multiway = sampler.distinct(p.multiway + p.devtest)
    sampler.held_out.update(multiway)
    qa_items = [sample_qa(rng, sampler.clause, p.context_sentences, grammars) for _ in range(p.qa)]
    sampler.held_out.update(c for item in qa_items for c in item.context)
    alpaca_items = sample_alpaca_items(rng, p.alpaca, sampler.clause, p.context_sentences, grammars)
    parallel = {code: sampler.distinct(p.parallel) for code in p.languages}
    mono = {code: sampler.stories(n, p.question_share, p.echo_share)
            for code, n in [("en", p.monolingual_en)] + [(c, p.monolingual_target) for c in p.languages]}

    copy_lists = _word_lists(random.Random(f"{p.seed}:copy"), p.copy_lines,
                             [[grammars[c].word(w) for w in ENGLISH_WORDS] for c in p.copy_languages])
    files: list[str] = []

    def emit(rel: str, text: str) -> None:
        _write(out / rel, text)
        files.append(rel)

    for code, g in grammars.items():
        emit(f"alpaca/{code}.json", _json([alpaca_record(item, g) for item in alpaca_items]))
        emit(f"qa/{code}.json", _json(squad_json(qa_items, g)))
        emit(f"multiway/{code}.txt", _lines([g.sentence(c) for c in multiway[:p.multiway]]))
        if p.devtest:
            emit(f"multiway_devtest/{code}.txt", _lines([g.sentence(c) for c in multiway[p.multiway:]]))
        emit(f"monolingual/{code}.txt", _lines([_mono_line(g, c, kind) for c, kind in mono[code]]))
        if code != "en":
            emit(f"parallel/en-{code}.en", _lines([grammars["en"].sentence(c) for c in parallel[code]]))
            emit(f"parallel/en-{code}.{code}", _lines([g.sentence(c) for c in parallel[code]]))

    if copy_lists:  # the base's copy curriculum: plain, behind an Alpaca prompt, then as an instruction
        # Whole English Alpaca prompts, input block included: with the QA text in the input, the instruction
        # alone is one short label, and copying learned behind it did not carry over to reading an input.
        english = [alpaca_record(item, grammars["en"]) for item in alpaca_items]
        emit("copy/en.txt", _lines([f"{words} = {words}" for words in copy_lists]))
        emit("copy/en_prompted.json", _json([{**rng.choice(english), "output": f"{words} = {words}"}
                                             for words in copy_lists]))
        emit("copy/en_repeat.json", _json([{"instruction": COPY_INSTRUCTION, "input": words, "output": words}
                                           for words in reversed(copy_lists)]))

    manifest = {
        "params": p.as_dict(),
        "languages": [{"code": lang.code, "name": lang.name, "script": lang.script,
                       "clause_order": grammars[lang.code].clause_order}
                      for lang in WORLD_LANGUAGES if lang.code in grammars],
        "qa_prompts": {code: qa_labels(g) for code, g in grammars.items()},
        "files": sorted(files),
    }
    _write(out / "world.json", _json(manifest))
    return manifest


def qa_prompts(seed: int = 0, languages: list[str] | None = None, *, near_shared: float = 0.0,
               mid_shared: float = 0.0) -> dict[str, dict[str, str]]:
    """The QA prompt labels per language (for parameters ``tasks.qa.prompts``) without writing a world;
    pass the world's ``near_shared`` / ``mid_shared`` when they are set."""
    codes = list(languages) if languages is not None else [lang.code for lang in WORLD_LANGUAGES]
    grammars = build_grammars(seed, codes, near_shared=near_shared, mid_shared=mid_shared)
    return {code: qa_labels(g) for code, g in grammars.items()}
