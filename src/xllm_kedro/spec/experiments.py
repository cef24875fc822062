"""Experiments as data: each is a named data mix, a model trained on it and the tasks it is scored on.

The list comes from parameters (``experiments`` plus the generated ``sweep``), so adding a language,
an ablation or a sweep point is a configuration change.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields

from xllm_kedro.corpora import parse_source
from xllm_kedro.spec.languages import check_languages
from xllm_kedro.training.config import JOB_FIELDS, TrainConfig


@dataclass(frozen=True)
class SweepPoint:
    """A run of the data-size sweep behind the scaling law: CoIT in ``language`` with ``size`` pairs."""

    language: str
    size: int


@dataclass(frozen=True)
class BudgetSplit:
    """A budgeted MuIT run: the allocation pipeline's ``strategy`` split of ``budget`` translation pairs."""

    budget: int
    strategy: str  # one of STRATEGIES


@dataclass(frozen=True)
class Experiment:
    name: str
    sources: tuple[str, ...]  # e.g. alpaca_en, alpaca_zh, translation_en_zh:500
    eval_languages: tuple[str, ...]
    tasks: tuple[str, ...] = ()  # names of tasks declared in parameters 'tasks'
    sweep: SweepPoint | None = None
    split: BudgetSplit | None = None  # set only for budgeted runs, which need the allocation first
    pretraining: tuple[str, ...] = ()  # monolingual_<l>[:N]: continued pre-training before the mix (Figure 7)
    training: tuple[tuple[str, object], ...] = ()  # overrides of parameters 'training' for this run only

    @property
    def budgeted(self) -> bool:
        return self.split is not None

    def source_names(self) -> list[str]:
        return sorted({parse_source(s)[0] for s in self.sources})

    def pretraining_names(self) -> list[str]:
        return sorted({parse_source(s)[0] for s in self.pretraining})


def source_dataset(source: str) -> str:
    """The catalog dataset that holds a mix source: ``alpaca_<l>``, ``translation_en_<l>`` (En->X),
    ``translation_<l>_en`` (X->En, for the direction ablation of Figure 6) or ``monolingual_<l>`` (raw
    text, for pre-training)."""
    kind, _, rest = source.partition("_")
    if kind == "alpaca" and rest:
        return f"{rest}.alpaca_instructions"
    if kind == "monolingual" and rest:
        return f"{rest}.pretraining_text"
    if kind in ("copy", "promptcopy", "repeat") and rest:  # the controlled world's copy curriculum
        return f"{rest}.{kind}_raw"
    if kind == "translation":
        src, _, tgt = rest.partition("_")
        if src == "en" and tgt and tgt != "en":
            return f"{tgt}.translation_instructions"
        if tgt == "en" and src and src != "en":
            return f"{src}.reverse_translation_instructions"
    raise ValueError(f"unknown mix source {source!r}: expected alpaca_<lang>, translation_en_<lang>, "
                     "translation_<lang>_en or monolingual_<lang>")


def check_sources(sources, where: str) -> tuple[str, ...]:
    """Mix sources as a tuple of ``name[:N]`` strings, each naming a known kind with N >= 1."""
    if not isinstance(sources, list | tuple) or any(not isinstance(x, str) or not x.strip() for x in sources):
        raise ValueError(f"{where}: a list of mix sources such as alpaca_en or translation_en_<lang>:500, "
                         f"got {sources!r}")
    for spec in sources:
        name, limit = parse_source(spec)
        source_dataset(name)
        if limit == 0:
            raise ValueError(f"{where}: {spec!r} takes no record; drop the source or give a size above 0")
    return tuple(sources)


def check_experiment_name(name, languages: list[str], reserved: set[str]) -> None:
    """An experiment name is a catalog namespace (``<name>.model``): it must not read as anything else."""
    where = f"parameters experiments.{name}"
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"{where}: an experiment name must be an identifier (letters, digits, _)")
    if name in languages or name in ("en", "base", "representation") or name in reserved:
        raise ValueError(f"{where}: the name collides with a language, 'base', a catalog namespace or a "
                         "top-level parameter; rename the experiment")
    if name.startswith(("sweep_", "budget_", "base_")):
        raise ValueError(f"{where}: names starting with sweep_, budget_ or base_ are the generated runs'")


def sweep_experiment_name(lang: str, size: int) -> str:
    return f"sweep_{lang}_{size}"


def _experiment(name: str, spec: Mapping, languages: list[str], declared: tuple[str, ...],
                reserved: set[str]) -> Experiment:
    where = f"parameters experiments.{name}"
    check_experiment_name(name, languages, reserved)
    if not isinstance(spec, Mapping) or not (spec.get("sources") or spec.get("pretraining")):
        raise ValueError(f"{where}: needs a 'sources' list (or a 'pretraining' list of monolingual_<lang>)")
    unknown = set(spec) - {"sources", "eval_languages", "tasks", "pretraining", "training"}
    if unknown:
        raise ValueError(f"{where}: unknown key(s) {sorted(unknown)}")
    sources = check_sources(spec.get("sources") or [], f"{where}.sources")
    pretraining = check_sources(spec.get("pretraining") or [], f"{where}.pretraining")
    if any(not parse_source(s)[0].startswith("monolingual_") for s in pretraining):
        raise ValueError(f"{where}.pretraining: only monolingual_<lang> sources, got {list(pretraining)}")
    if any(parse_source(s)[0].startswith("monolingual_") for s in sources):
        raise ValueError(f"{where}.sources: monolingual text is for pre-training; list it under 'pretraining'")
    for s in sources + pretraining:
        ds = source_dataset(parse_source(s)[0])
        lang = ds.split(".")[0]
        if lang != "en" and lang not in languages:
            raise ValueError(f"{where}.sources: {s!r} needs language {lang!r}, which is not in parameters 'languages'")
    evals = tuple(check_languages(list(spec.get("eval_languages", [])), where=f"{where}.eval_languages",
                                  english=True)) if spec.get("eval_languages") else ()
    for lang in evals:
        if lang != "en" and lang not in languages:
            raise ValueError(f"{where}.eval_languages: {lang!r} is not in parameters 'languages'")
    tasks = tuple(spec.get("tasks", declared))
    bad = set(tasks) - set(declared)
    if bad:
        raise ValueError(f"{where}.tasks: unknown task(s) {sorted(bad)}; declared in parameters 'tasks': {list(declared)}")
    return Experiment(name, sources, evals, tasks, pretraining=pretraining,
                      training=_overrides(spec.get("training"), f"{where}.training"))


def _overrides(spec, where: str) -> tuple[tuple[str, object], ...]:
    """A run's own training settings over parameters 'training' (checked as a job config at build time)."""
    if spec is None:
        return ()
    if not isinstance(spec, Mapping):
        raise ValueError(f"{where}: a mapping of training settings, got {spec!r}")
    settable = {f.name for f in fields(TrainConfig)} - JOB_FIELDS
    unknown = sorted(set(spec) - settable)
    if unknown:
        raise ValueError(f"{where}: unknown key(s) {unknown}; known: {sorted(settable)}")
    return tuple(sorted(spec.items()))


STRATEGIES = ("uniform", "temperature", "unimax", "optimised", "expected")  # analysis/budget_table.py


def budgeted_experiment_name(strategy: str) -> str:
    return f"budget_{strategy}"


def _budgeted(params: Mapping, languages: list[str], sweep_langs: list[str]) -> list[Experiment]:
    """One MuIT run per allocation strategy of ``allocation.experiments.budget`` (Table 4 measured)."""
    spec = (params.get("allocation") or {}).get("experiments") or {}
    if not spec:
        return []
    where = "parameters allocation.experiments"
    budget = spec.get("budget")
    if not isinstance(budget, int) or isinstance(budget, bool) or budget <= 0:
        raise ValueError(f"{where}.budget must be a positive integer, got {budget!r}")
    if not sweep_langs:
        raise ValueError(f"{where} needs scaling laws, so parameters 'sweep' must declare languages")
    strategies = list(spec.get("strategies", STRATEGIES))
    bad = sorted(set(strategies) - set(STRATEGIES))
    if bad:
        raise ValueError(f"{where}.strategies: unknown {bad}; known: {list(STRATEGIES)}")
    sources = check_sources(spec.get("sources", ["alpaca_en"]), f"{where}.sources")
    for s in sources:
        lang = source_dataset(parse_source(s)[0]).split(".")[0]
        if lang != "en" and lang not in languages:
            raise ValueError(f"{where}.sources: {s!r} needs language {lang!r}, which is not in parameters 'languages'")
    return [Experiment(budgeted_experiment_name(st), sources + tuple(f"translation_en_{lang}" for lang in sweep_langs),
                       tuple(sweep_langs), ("translation",), split=BudgetSplit(budget, st)) for st in strategies]


def sweep_sizes(sweep: Mapping, languages: list[str]) -> dict[str, list[int]]:
    """The sweep's sizes per language: ``translation_sizes_per_language`` where it names the language
    (each language swept where its curve is a power law: a near language saturates at sizes where a far
    one has barely started), else the one list ``translation_sizes``. Two keys, each of one type, because
    Kedro merges ``--params`` overrides into every environment's parameters, and a list cannot merge
    into a mapping."""
    where = "parameters sweep"
    common = sweep.get("translation_sizes") or []
    per_language = sweep.get("translation_sizes_per_language") or {}
    if not isinstance(per_language, Mapping):
        raise ValueError(f"{where}.translation_sizes_per_language must map languages to lists of sizes, "
                         f"got {per_language!r}")
    extra = sorted(set(per_language) - set(languages))
    if extra:
        raise ValueError(f"{where}.translation_sizes_per_language names {extra}, not in parameters "
                         f"sweep.languages {languages}")
    lists = {lang: (f"{where}.translation_sizes_per_language.{lang}", per_language[lang]) if lang in per_language
             else (f"{where}.translation_sizes (for {lang!r})", common) for lang in languages}
    for key, sizes in lists.values():
        if not isinstance(sizes, list | tuple) or len(set(sizes)) != len(sizes) or len(sizes) < 3 or \
                any(not isinstance(x, int) or isinstance(x, bool) or x <= 0 for x in sizes):
            raise ValueError(f"{key}: need at least 3 distinct positive integers to fit a law, got {sizes}")
    return {lang: sorted(sizes) for lang, (_, sizes) in lists.items()}


def load_experiments(params: Mapping) -> list[Experiment]:
    """Declared experiments, one per (language, size) of the scaling sweep, and the budgeted runs."""
    languages = check_languages(list(params.get("languages") or []), where="parameters 'languages'")
    declared = tuple(params.get("tasks") or ())
    exps = [_experiment(n, s, languages, declared, set(params)) for n, s in (params.get("experiments") or {}).items()]
    sweep = params.get("sweep") or {}
    sweep_langs: list[str] = []
    if sweep:
        sweep_langs = check_languages(list(sweep.get("languages", [])), where="parameters sweep.languages")
        training = _overrides(sweep.get("training"), "parameters sweep.training")
        for lang in sweep_langs:
            if lang not in languages:
                raise ValueError(f"parameters sweep.languages: {lang!r} is not in parameters 'languages'")
        for lang, sizes in sweep_sizes(sweep, sweep_langs).items():
            base = list(check_sources([s.format(lang=lang) for s in sweep.get("sources", ["alpaca_en", "alpaca_{lang}"])],
                                      "parameters sweep.sources"))
            for size in sizes:
                exps.append(Experiment(
                    sweep_experiment_name(lang, size), tuple(base) + (f"translation_en_{lang}:{size}",),
                    (lang,), ("translation",), sweep=SweepPoint(lang, size), training=training,
                ))
    exps += _budgeted(params, languages, sweep_langs if sweep else [])
    names = [e.name for e in exps]
    if len(set(names)) != len(names):
        raise ValueError(f"experiment names repeat: {names}")
    return exps
