"""Parameters ``mi_eval`` as typed values: how MI-Eval is built (or that a ready-made file is used),
the ``instruction`` task that every listed model answers, response consistency (Table 3) and the
pairwise judge (Figure 4, right). Every error names its parameter key."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace

from xllm_kedro.spec.languages import get_language
from xllm_kedro.spec.tasks import Generation, _generation

WHERE = "parameters mi_eval"
TRANSLATION_METHODS = ("aligned", "model")


def _typed(cls, spec, where: str):
    """``cls`` from a mapping, naming unknown keys and keys of the wrong type."""
    spec = dict(spec or {})
    known = {f.name: f for f in fields(cls)}
    unknown = set(spec) - set(known)
    if unknown:
        raise ValueError(f"{where}: unknown key(s) {sorted(unknown)}; known: {sorted(known)}")
    defaults = cls()
    for key, value in spec.items():
        expected = type(getattr(defaults, key))
        if getattr(defaults, key) is not None and not isinstance(value, expected) and not (
                expected is float and isinstance(value, int)):
            raise ValueError(f"{where}.{key} must be {expected.__name__}, got {value!r}")
    return cls(**spec)


@dataclass(frozen=True)
class SelfInstructSpec:
    enabled: bool = False
    model: str = "gpt-3.5-turbo"  # llm_generator.model in conf/local/credentials.yml wins
    shown: int = 3                # instructions shown per request (Alpaca: 3)
    per_request: int = 8          # instructions asked for per request
    max_requests: int = 20
    max_tokens: int = 512
    temperature: float = 1.0      # Alpaca samples at 1.0; 0 is greedy
    timeout_s: float = 60.0
    retries: int = 2


@dataclass(frozen=True)
class TranslationSpec:
    method: str = "aligned"       # aligned: record i of {lang}.alpaca_raw; model: a local model translates
    model_dir: str | None = None
    target_tokens: dict = field(default_factory=dict)  # seq2seq: lang -> the token forcing it (NLLB: zho_Hans)
    batch_size: int = 8
    max_new_tokens: int = 256


@dataclass(frozen=True)
class FilterSpec:
    max_rouge_l: float = 0.7
    min_words: int = 4
    max_words: int = 150


@dataclass(frozen=True)
class JudgePair:
    a: str
    b: str
    language: str


@dataclass(frozen=True)
class JudgeSpec:
    enabled: bool = False
    model: str = "gpt-3.5-turbo"  # llm_judge.model in conf/local/credentials.yml wins
    timeout_s: float = 60.0
    retries: int = 2
    max_tokens: int = 512         # per reply: the explanation and the two scores
    max_questions: int = 0        # 0: every instruction
    pairs: tuple[JudgePair, ...] = ()


@dataclass(frozen=True)
class MIEvalSpec:
    languages: tuple[str, ...]
    models: tuple[str, ...]                      # experiments that answer (the instruction task)
    answer_languages: Mapping[str, tuple[str, ...]]  # experiment -> en and its eval languages in the set
    generation: Generation
    build: bool = True
    size: int = 20
    seed: int = 0
    seed_source: str = "en.alpaca_raw"
    seed_offset: int = 0
    filters: FilterSpec = FilterSpec()
    self_instruct: SelfInstructSpec = SelfInstructSpec()
    translation: TranslationSpec = TranslationSpec()
    layer: int = -1                              # consistency: hidden layer of the mean-pooled states
    examples: int = 3                            # consistency: example pairs per (model, language)
    judge: JudgeSpec = JudgeSpec()

    def aligned_sources(self) -> list[str]:
        """The raw Alpaca files whose record i is record i of English in each language (method aligned)."""
        return [f"{lang}.alpaca_raw" for lang in self.languages] if self.translation.method == "aligned" else []


def _pairs(spec, models: Sequence[str], languages: Sequence[str], where: str) -> tuple[JudgePair, ...]:
    if not isinstance(spec, list):
        raise ValueError(f"{where} must be a list of {{a, b, languages}}")
    out = []
    for i, pair in enumerate(spec):
        at = f"{where}[{i}]"
        if not isinstance(pair, Mapping) or set(pair) != {"a", "b", "languages"}:
            raise ValueError(f"{at} must have exactly the keys a, b, languages")
        for side in ("a", "b"):
            if pair[side] not in models:
                raise ValueError(f"{at}.{side}: {pair[side]!r} does not answer MI-Eval; "
                                 f"parameters mi_eval.task.models: {list(models)}")
        for lang in pair["languages"]:
            if lang != "en" and lang not in languages:
                raise ValueError(f"{at}.languages: {lang!r} is not in parameters mi_eval.languages {list(languages)}")
            out.append(JudgePair(pair["a"], pair["b"], lang))
    return tuple(out)


def load_mi_eval(spec: Mapping | None, languages: Sequence[str],
                 eval_languages: Mapping[str, Sequence[str]]) -> MIEvalSpec | None:
    """Validate parameters ``mi_eval`` (None when absent or ``enabled: false``); ``eval_languages`` maps
    each experiment to its evaluation languages."""
    if not spec or not spec.get("enabled", True):
        return None
    known = {"enabled", "build", "size", "languages", "seed", "seeds", "filters", "self_instruct", "translation",
             "task", "consistency", "judge"}
    unknown = set(spec) - known
    if unknown:
        raise ValueError(f"{WHERE}: unknown key(s) {sorted(unknown)}; known: {sorted(known)}")
    langs = tuple(spec.get("languages") or languages)
    for lang in langs:
        get_language(lang, where=f"{WHERE}.languages")
        if lang not in languages:
            raise ValueError(f"{WHERE}.languages: {lang!r} is not in parameters 'languages'")
    size = spec.get("size", 20)
    if not isinstance(size, int) or size < 2:
        raise ValueError(f"{WHERE}.size must be an integer of at least 2 (the shuffled baseline pairs two), got {size!r}")
    seeds = dict(spec.get("seeds") or {})
    if set(seeds) - {"dataset", "offset"}:
        raise ValueError(f"{WHERE}.seeds: unknown key(s) {sorted(set(seeds) - {'dataset', 'offset'})}; known: dataset, offset")
    task = dict(spec.get("task") or {})
    if task.get("kind", "instruction") != "instruction" or set(task) - {"kind", "models", "generation"}:
        raise ValueError(f"{WHERE}.task: kind must be 'instruction' and the keys kind, models, generation")
    models = tuple(task.get("models") or ())
    bad = [m for m in models if m not in eval_languages]
    if not models or bad:
        raise ValueError(f"{WHERE}.task.models: {bad or 'empty'}; they must be experiments: {sorted(eval_languages)}")
    translation = _typed(TranslationSpec, spec.get("translation"), f"{WHERE}.translation")
    if translation.method not in TRANSLATION_METHODS:
        raise ValueError(f"{WHERE}.translation.method must be one of {list(TRANSLATION_METHODS)}, got {translation.method!r}")
    if translation.method == "model" and not translation.model_dir:
        raise ValueError(f"{WHERE}.translation.model_dir: method 'model' needs a local model directory")
    self_instruct = _typed(SelfInstructSpec, spec.get("self_instruct"), f"{WHERE}.self_instruct")
    if self_instruct.enabled and translation.method == "aligned":
        raise ValueError(f"{WHERE}.translation.method: new self-instruct instructions have no aligned "
                         "translations; use method 'model' with a model_dir")
    consistency = dict(spec.get("consistency") or {})
    if set(consistency) - {"layer", "examples"}:
        raise ValueError(f"{WHERE}.consistency: known keys are layer, examples")
    judge = dict(spec.get("judge") or {})
    pairs = _pairs(judge.pop("pairs", []), models, langs, f"{WHERE}.judge.pairs")
    judge = _typed(JudgeSpec, judge, f"{WHERE}.judge")
    answers = {m: ("en", *(lang for lang in langs if lang in eval_languages[m])) for m in models}
    for p in pairs:
        for side in (p.a, p.b):
            if p.language not in answers[side]:
                raise ValueError(f"{WHERE}.judge.pairs: {side} answers MI-Eval only in {list(answers[side])} "
                                 f"(English and its eval_languages), not {p.language!r}")
    return MIEvalSpec(
        languages=langs, models=models, answer_languages=answers,
        generation=_generation(task.get("generation") or {"max_new_tokens": 64}, f"{WHERE}.task.generation"),
        build=bool(spec.get("build", True)), size=size, seed=int(spec.get("seed", 0)),
        seed_source=str(seeds.get("dataset", "en.alpaca_raw")), seed_offset=int(seeds.get("offset", 0)),
        filters=_typed(FilterSpec, spec.get("filters"), f"{WHERE}.filters"),
        self_instruct=self_instruct, translation=translation,
        layer=int(consistency.get("layer", -1)), examples=int(consistency.get("examples", 3)),
        judge=replace(judge, pairs=pairs),
    )
