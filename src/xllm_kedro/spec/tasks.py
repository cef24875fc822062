"""Evaluation tasks as data: parameters ``tasks`` declare each task's data, per-language prompt,
generation settings and metrics, so adding a language or a task is a configuration change.

Two kinds exist: ``qa`` (extractive QA scored against reference answers, e.g. XQuAD, MLQA) and
``translation`` (a line-aligned multi-way set such as FLORES, scored in En->X and X->En).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from xllm_kedro.spec.languages import get_language
from xllm_kedro.prompts import alpaca_prompt

KINDS = ("qa", "translation")
METRICS = {
    "qa": ("exact_match", "f1", "containment", "llm_judge"),
    "translation": ("bleu", "chrf", "spbleu", "comet"),
}
DIRECTIONS = ("en-x", "x-en")
_QA_LABELS = ("instruction", "context", "question", "answer")
_KEYS = {
    "qa": {"kind", "data", "languages", "prompts", "normalizer", "generation", "metrics"},
    "translation": {"kind", "data", "languages", "instruction", "directions", "text_field", "generation", "metrics"},
}


@dataclass(frozen=True)
class Generation:
    max_new_tokens: int
    stop: tuple[str, ...] = ()


@dataclass(frozen=True)
class Task:
    name: str
    kind: str
    data: str  # catalog dataset name with a {lang} placeholder
    generation: Generation
    metrics: tuple[str, ...]
    languages: tuple[str, ...] | None = None  # None: any language with a prompt (qa) or any language (translation)
    prompts: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # qa: lang -> labels
    normalizer: str = "mlqa"
    instruction: str = ""  # translation: names {src} and {tgt}
    directions: tuple[str, ...] = DIRECTIONS
    text_field: str | None = None  # translation rows (Hugging Face): the column holding the sentence

    def dataset(self, lang: str) -> str:
        return self.data.format(lang=lang)

    def covers(self, lang: str) -> bool:
        """Whether ``lang`` is scored; English is the source side of a translation task, never a unit."""
        if self.kind == "translation" and lang == "en":
            return False
        return self.languages is None or lang in self.languages

    def qa_prompt(self, lang: str, context: str, question: str) -> str:
        """Appendix C in the Alpaca template as the paper's released code builds it: the instruction in
        the test language is the Alpaca instruction, and the labelled context, question and answer cue
        are its input block (### Input:)."""
        labels = self.labels(lang)
        return alpaca_prompt(labels["instruction"],
                             f"{labels['context']}: {context}\n{labels['question']}: {question}\n{labels['answer']}:")

    def translation_prompt(self, src: str, tgt: str, sentence: str) -> str:
        names = {"src": get_language(src).name, "tgt": get_language(tgt).name}
        return alpaca_prompt(self.instruction.format(**names), sentence)

    def pairs(self, lang: str) -> list[tuple[str, str]]:
        """(source, target) language pairs this translation task scores for ``lang``."""
        return [("en", lang) if d == "en-x" else (lang, "en") for d in self.directions]

    def labels(self, lang: str) -> Mapping[str, str]:
        """The QA prompt labels for ``lang``; a missing one is an error naming the parameter key."""
        if lang not in self.prompts:
            raise ValueError(f"parameters tasks.{self.name}.prompts.{lang} is missing: no {self.name} prompt for "
                             f"language {lang!r} (declared: {sorted(self.prompts)})")
        return self.prompts[lang]


def _generation(spec, where: str) -> Generation:
    if not isinstance(spec, Mapping):
        raise ValueError(f"{where} must be a mapping with max_new_tokens and stop")
    unknown = set(spec) - {"greedy", "max_new_tokens", "stop"}
    if unknown:
        raise ValueError(f"{where}: unknown key(s) {sorted(unknown)}")
    if spec.get("greedy", True) is not True:
        raise ValueError(f"{where}.greedy: only greedy decoding is implemented (the paper's setting)")
    n = spec.get("max_new_tokens")
    if not isinstance(n, int) or n <= 0:
        raise ValueError(f"{where}.max_new_tokens must be a positive integer, got {n!r}")
    stop = spec.get("stop") or []
    if not isinstance(stop, list | tuple) or not all(isinstance(s, str) and s for s in stop):
        raise ValueError(f"{where}.stop must be a list of non-empty strings, got {stop!r}")
    return Generation(n, tuple(stop))


def _qa_prompts(spec, where: str) -> dict[str, dict[str, str]]:
    if not isinstance(spec, Mapping) or not spec:
        raise ValueError(f"{where} must map language codes to {{{', '.join(_QA_LABELS)}}}")
    prompts = {}
    for lang, labels in spec.items():
        get_language(lang, where=where)
        missing = [k for k in _QA_LABELS if not isinstance(labels, Mapping) or not labels.get(k)]
        if missing:
            raise ValueError(f"{where}.{lang}: missing {missing}")
        prompts[lang] = {k: str(labels[k]) for k in _QA_LABELS}
    return prompts


def _task(name: str, spec, where: str) -> Task:
    if not re.fullmatch(r"[a-z][a-z0-9_]*", str(name)):
        raise ValueError(f"{where}: a task name is lower-case letters, digits and '_' (it becomes part of metric keys)")
    if not isinstance(spec, Mapping):
        raise ValueError(f"{where} must be a mapping")
    kind = spec.get("kind")
    if kind not in KINDS:
        raise ValueError(f"{where}.kind must be one of {list(KINDS)}, got {kind!r}")
    unknown = set(spec) - _KEYS[kind]
    if unknown:
        raise ValueError(f"{where}: unknown key(s) {sorted(unknown)} for a {kind} task")
    data = spec.get("data")
    if not isinstance(data, str) or "{lang}" not in data:
        raise ValueError(f"{where}.data must be a catalog dataset name containing '{{lang}}', got {data!r}")
    metrics = tuple(spec.get("metrics") or ())
    bad = [m for m in metrics if m not in METRICS[kind]]
    if not metrics or bad:
        raise ValueError(f"{where}.metrics: {bad or 'empty'}; a {kind} task knows {list(METRICS[kind])}")
    languages = spec.get("languages")
    if languages is not None:
        languages = tuple(get_language(lang, where=f"{where}.languages").code for lang in languages)
    common = {"name": name, "kind": kind, "data": data, "metrics": metrics, "languages": languages,
              "generation": _generation(spec.get("generation"), f"{where}.generation")}
    if kind == "qa":
        normalizer = spec.get("normalizer", "mlqa")
        if normalizer not in ("mlqa", "squad"):
            raise ValueError(f"{where}.normalizer must be 'mlqa' or 'squad', got {normalizer!r}")
        return Task(**common, prompts=_qa_prompts(spec.get("prompts"), f"{where}.prompts"), normalizer=normalizer)
    instruction = spec.get("instruction")
    if not isinstance(instruction, str) or "{src}" not in instruction or "{tgt}" not in instruction:
        raise ValueError(f"{where}.instruction must name '{{src}}' and '{{tgt}}', got {instruction!r}")
    directions = tuple(spec.get("directions") or DIRECTIONS)
    if not set(directions) <= set(DIRECTIONS) or len(set(directions)) != len(directions):
        raise ValueError(f"{where}.directions must be distinct values of {list(DIRECTIONS)}, got {list(directions)}")
    return Task(**common, instruction=instruction, directions=directions, text_field=spec.get("text_field"))


def load_tasks(spec: Mapping | None) -> dict[str, Task]:
    """Validate parameters ``tasks``; every error names the offending key."""
    if not isinstance(spec, Mapping) or not spec:
        raise ValueError("parameters 'tasks' must declare at least one evaluation task")
    return {name: _task(name, s, f"parameters tasks.{name}") for name, s in spec.items()}


def get_task(tasks: Mapping[str, Task], name: str, *, where: str) -> Task:
    if name not in tasks:
        raise ValueError(f"{where}: unknown task {name!r}; declared in parameters 'tasks': {sorted(tasks)}")
    return tasks[name]


def task_units(tasks: Mapping[str, Task], names: Sequence[str], languages: Sequence[str], *,
               where: str) -> list[tuple[str, str]]:
    """The (task, language) pairs an experiment is scored on: languages a task does not cover are left
    out; a covered language without a prompt is an error naming the key, raised before anything runs."""
    units = []
    for name in names:
        task = get_task(tasks, name, where=where)
        for lang in languages:
            if task.covers(lang):
                if task.kind == "qa":
                    task.labels(lang)
                units.append((name, lang))
    return units
