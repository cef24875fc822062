"""The study spec: the run's parameters turned, once, into typed values that every pipeline is built from.

Every problem is reported together, each with its parameter key, so a researcher fixes a config in one
pass instead of one error per run.
"""

from __future__ import annotations

import copy

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from xllm_kedro.corpora.machine_translation import AlpacaTranslation
from xllm_kedro.corpora.mixes import parse_source
from xllm_kedro.spec.experiments import Experiment, load_experiments, source_dataset
from xllm_kedro.spec.languages import check_languages, get_language
from xllm_kedro.spec.mi_eval import MIEvalSpec, load_mi_eval
from xllm_kedro.spec.settings import (allocation_problems, base_model_problems, data_preparation_problems,
                                      evaluation_problems, launcher_problems, scaling_problems)
from xllm_kedro.spec.tasks import Task, load_tasks, task_units

_RESERVED_CORPUS_NAMES = {"cleaning", "reading", "lang"}


class StudyError(ValueError):
    """All the problems found in the parameters, one per line."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("the parameters have {} problem(s):\n  - {}".format(len(problems), "\n  - ".join(problems)))


@dataclass(frozen=True)
class Representation:
    """representation_analysis: these experiments' models against the base model, En-X per language."""

    languages: tuple[str, ...]
    models: tuple[str, ...]


@dataclass(frozen=True)
class ScalingSource:
    """Where the law's points come from (the sweep or a user's file) and which model gives gamma."""

    points_source: str  # sweep | user
    languages: tuple[str, ...]
    similarity_model: str  # "base" or an experiment


@dataclass(frozen=True)
class Comparison:
    """Experiments set side by side on one language (Figure 7)."""

    language: str
    experiments: tuple[str, ...]


@dataclass(frozen=True)
class Study:
    languages: tuple[str, ...]
    experiments: tuple[Experiment, ...]
    tasks: Mapping[str, Task]
    units: Mapping[str, tuple[tuple[str, str], ...]]  # experiment -> (task, language) pairs it is scored on
    corpora: Mapping[str, tuple[str, ...]]  # language -> raw parallel corpora, cleaned in this order
    translated_alpaca: frozenset[str]  # languages whose Alpaca is machine-translated from English
    tiny_base: bool  # build a tiny LLaMA instead of reading a model directory
    judge_enabled: bool
    scaling: ScalingSource | None
    representation: Representation | None
    continued_pretraining: Comparison | None = None
    needed_sources: frozenset[str] = field(default_factory=frozenset)  # catalog datasets some mix reads
    base_pretraining: tuple[PretrainingStage, ...] = ()  # the English base's curriculum, in order
    baselines: tuple[tuple[str, str], ...] = ()  # (model, its baseline) pairs tested for significance
    mi_eval: MIEvalSpec | None = None  # MI-Eval and the instruction task (parameters mi_eval)

    @property
    def pretrain_base(self) -> bool:
        """Whether the tiny base is pre-trained on English (an English-centric base, as LLaMA is)."""
        return bool(self.base_pretraining)

    @property
    def staged(self) -> list[Experiment]:
        """Experiments every stage pipeline runs; the budgeted ones wait for the allocation."""
        return [e for e in self.experiments if not e.budgeted]

    @property
    def budgeted(self) -> list[Experiment]:
        return [e for e in self.experiments if e.budgeted]

    @property
    def sweep(self) -> list[Experiment]:
        return [e for e in self.experiments if e.sweep]

    def model_dataset(self, name: str) -> str:
        """The catalog dataset of a model named in parameters: ``base`` or an experiment."""
        return "base_model" if name == "base" else f"{name}.model"


def parallel_corpora(spec: Mapping | None, languages: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    """Each language's raw corpora (catalog ``<lang>.<name>_raw``) from ``data_preparation.parallel_corpora``."""
    where = "parameters data_preparation.parallel_corpora"
    spec = dict(spec or {"default": ["parallel"]})
    for key in spec:
        if key != "default":
            get_language(key, where=where)
            if key not in languages:
                raise ValueError(f"{where}: {key!r} is not in parameters 'languages'")
    out = {}
    for lang in languages:
        names = spec.get(lang, spec.get("default"))
        if not names or not isinstance(names, list) or len(set(names)) != len(names):
            raise ValueError(f"{where}.{lang if lang in spec else 'default'}: need a list of distinct corpus names")
        bad = [n for n in names if not str(n).isidentifier() or n in _RESERVED_CORPUS_NAMES]
        if bad:
            raise ValueError(f"{where}: corpus name(s) {bad} must be identifiers other than {sorted(_RESERVED_CORPUS_NAMES)}")
        out[lang] = tuple(names)
    return out


def _scaling(params: Mapping, experiments: list[Experiment]) -> ScalingSource | None:
    scaling = params.get("scaling")
    if not scaling:
        return None
    known = {e.name for e in experiments}
    source = scaling.get("points_source", "sweep")
    if source == "sweep":
        languages = sorted({e.sweep.language for e in experiments if e.sweep})
        if not languages:
            raise ValueError("parameters scaling.points_source is 'sweep' but parameters 'sweep' declares no runs")
    elif source == "user":
        languages = check_languages(list(scaling.get("languages") or []), where="parameters scaling.languages")
    else:
        raise ValueError(f"parameters scaling.points_source must be 'sweep' or 'user', got {source!r}")
    for key, allowed in (("law", ("per_language", "pooled")), ("gamma_method", ("cosine", "retrieval"))):
        if scaling.get(key, allowed[0]) not in allowed:
            raise ValueError(f"parameters scaling.{key} must be one of {list(allowed)}, got {scaling[key]!r}")
    model = scaling.get("similarity_model", "base")
    if model != "base" and model not in known:
        raise ValueError(f"parameters scaling.similarity_model: {model!r} is neither 'base' nor an experiment "
                         f"({sorted(known)})")
    return ScalingSource(source, tuple(languages), model)


def _representation(params: Mapping, experiments: list[Experiment]) -> Representation | None:
    spec = params.get("representation_analysis")
    if not spec:
        return None
    languages = check_languages(list(spec.get("languages") or []), where="parameters representation_analysis.languages")
    known = {e.name for e in experiments}
    unknown = sorted(set(spec.get("models") or []) - known)
    if unknown:
        raise ValueError(f"parameters representation_analysis.models: {unknown} are not experiments; known: {sorted(known)}")
    return Representation(tuple(languages), tuple(spec.get("models") or []))


@dataclass(frozen=True)
class PretrainingStage:
    """One step of the English base's curriculum, trained from the previous step's model."""

    name: str
    objective: str  # pretraining (raw text, every token) | sft (instructions, the response)
    sources: tuple[str, ...]

    def source_names(self) -> list[str]:
        return sorted({parse_source(s)[0] for s in self.sources})


_ENGLISH_SOURCES = ("monolingual_en", "alpaca_en", "copy_en", "promptcopy_en", "repeat_en")


def _base_pretraining(spec: Mapping, tiny: bool) -> tuple[PretrainingStage, ...]:
    """The stages that pre-train the tiny base on English, in order (none: the base stays as built)."""
    where = "parameters pretraining"
    if not spec.get("enabled", False):
        return ()
    if not tiny:
        raise ValueError(f"{where}.enabled builds an English base from scratch: it needs base_model.build_tiny "
                         "(a given base model is already pre-trained)")
    stages = spec.get("stages")
    if not isinstance(stages, list) or not stages:
        raise ValueError(f"{where}.stages: a list of {{name, objective, sources, training}}, trained in order")
    out, names = [], set()
    for i, stage in enumerate(stages):
        at = f"{where}.stages[{i}]"
        if not isinstance(stage, Mapping) or set(stage) != {"name", "objective", "sources", "training"}:
            raise ValueError(f"{at}: needs exactly name, objective, sources and training")
        name = str(stage["name"])
        if not name.isidentifier() or name in names:
            raise ValueError(f"{at}.name: {name!r} must be an identifier, distinct from the other stages'")
        if stage["objective"] not in ("pretraining", "sft"):
            raise ValueError(f"{at}.objective: pretraining or sft, got {stage['objective']!r}")
        sources = tuple(stage["sources"] or ())
        bad = [s for s in sources if parse_source(s)[0] not in _ENGLISH_SOURCES]
        if not sources or bad:
            raise ValueError(f"{at}.sources: English only ({', '.join(_ENGLISH_SOURCES)}), got {bad or 'none'}")
        if stage["objective"] == "sft" and any(parse_source(s)[0] in ("monolingual_en", "copy_en", "promptcopy_en")
                                                for s in sources):
            raise ValueError(f"{at}.sources: an sft stage trains on instructions (alpaca_en, repeat_en) only")
        names.add(name)
        out.append(PretrainingStage(name, stage["objective"], sources))
    return tuple(out)


def _comparison(spec: Mapping | None, languages: tuple[str, ...], experiments: list[Experiment]) -> Comparison | None:
    if not spec:
        return None
    where = "parameters continued_pretraining_report"
    language = spec.get("language")
    if language not in languages:
        raise ValueError(f"{where}.language: {language!r} is not in parameters 'languages'")
    scored = {e.name for e in experiments if language in e.eval_languages}
    names = list(spec.get("experiments") or [])
    missing = [n for n in names if n not in scored]
    if len(names) < 2 or missing:
        raise ValueError(f"{where}.experiments: need two or more experiments scored in {language!r}; "
                         f"not such: {missing}")
    return Comparison(language, tuple(names))


def _baselines(spec: Mapping | None, experiments: list[Experiment]) -> tuple[tuple[str, str], ...]:
    """significance.baselines: model -> the experiment it is tested against (both scored, not budgeted)."""
    where = "parameters significance.baselines"
    pairs = dict((spec or {}).get("baselines") or {})
    known = {e.name for e in experiments if not e.budgeted}
    bad = sorted({n for pair in pairs.items() for n in pair} - known)
    if bad:
        raise ValueError(f"{where}: {bad} are not experiments of this study; known: {sorted(known)}")
    same = sorted(m for m, b in pairs.items() if m == b)
    if same:
        raise ValueError(f"{where}: {same} named as their own baseline")
    return tuple(pairs.items())


def _units(tasks: Mapping[str, Task], experiments: list[Experiment]) -> dict[str, tuple[tuple[str, str], ...]]:
    return {e.name: tuple(task_units(tasks, e.tasks, e.eval_languages, where=f"parameters experiments.{e.name}.tasks"))
            for e in experiments}


def settings_problems(params: Mapping) -> list[str]:
    """Type, range and finiteness of every numeric setting, and the launcher against every training section."""
    pretraining = params.get("pretraining") or {}
    training = {"parameters training": params.get("training") or {}}
    if pretraining.get("training") is not None:
        training["parameters pretraining.training"] = pretraining["training"]
    if pretraining.get("enabled"):
        training |= {f"parameters pretraining.stages[{i}].training": stage.get("training")
                     for i, stage in enumerate(pretraining.get("stages") or []) if isinstance(stage, Mapping)}
    return [*launcher_problems(params.get("launcher"), training), *allocation_problems(params.get("allocation")),
            *evaluation_problems(params.get("evaluation")), *scaling_problems(params.get("scaling")),
            *data_preparation_problems(params.get("data_preparation")), *base_model_problems(params.get("base_model"))]


def _selected(experiments: list[Experiment], names) -> list[Experiment]:
    """``run_experiments`` (a runtime cut, e.g. the paper rehearsal): which declared experiments run; the
    sweep and the budgeted runs are kept."""
    if not names:
        return experiments
    declared = {e.name for e in experiments if not e.sweep and not e.budgeted}
    unknown = sorted(set(names) - declared)
    if unknown:
        raise ValueError(f"parameters run_experiments: {unknown} are not declared experiments; known: {sorted(declared)}")
    return [e for e in experiments if e.name in set(names) or e.sweep or e.budgeted]


def _sections_without_cut(params: Mapping, experiments: list[Experiment]) -> Mapping:
    """Under ``run_experiments``, the sections that name experiments (significance baselines, MI-Eval's
    models and judge pairs) keep only the experiments that run."""
    if not params.get("run_experiments"):
        return params
    kept = {e.name for e in experiments}
    params = copy.deepcopy(dict(params))
    significance = params.get("significance") or {}
    if significance.get("baselines"):
        significance["baselines"] = {m: b for m, b in significance["baselines"].items() if m in kept and b in kept}
    mi_eval = params.get("mi_eval") or {}
    if (mi_eval.get("task") or {}).get("models"):
        mi_eval["task"]["models"] = [m for m in mi_eval["task"]["models"] if m in kept]
    if (mi_eval.get("judge") or {}).get("pairs"):
        mi_eval["judge"]["pairs"] = [p for p in mi_eval["judge"]["pairs"] if p.get("a") in kept and p.get("b") in kept]
    return params


def load_study(params: Mapping) -> Study:
    """Validate every section of the parameters and return the study; raise StudyError listing each problem."""
    problems: list[str] = []

    def check(build: Callable, *args, default=None):
        try:
            return build(*args)
        except ValueError as err:
            problems.extend(err.problems if isinstance(err, StudyError) else [str(err)])
            return default

    languages = tuple(check(check_languages, list(params.get("languages") or []), "parameters 'languages'", default=[]))
    tasks = check(load_tasks, params.get("tasks"), default={})
    experiments = check(load_experiments, params, default=[]) if languages else []
    experiments = check(_selected, experiments, params.get("run_experiments"), default=experiments)
    params = _sections_without_cut(params, experiments)
    prep = params.get("data_preparation") or {}
    corpora = check(parallel_corpora, prep.get("parallel_corpora"), languages, default={})
    translation = check(AlpacaTranslation.from_params, prep.get("alpaca_translation"), list(languages),
                        default=AlpacaTranslation())
    units = check(_units, tasks, experiments, default={}) if tasks else {}
    scaling = check(_scaling, params, experiments)
    representation = check(_representation, params, experiments)
    comparison = check(_comparison, params.get("continued_pretraining_report"), languages, experiments)
    baselines = check(_baselines, params.get("significance"), experiments, default=())
    base = params.get("base_model")
    if not isinstance(base, Mapping):
        problems.append("parameters base_model must be a mapping (build_tiny, vocab_size, seed, config)")
        base = {}
    layers = (base.get("config") or {}).get("num_hidden_layers") if base.get("build_tiny") else None
    pca = ((params.get("representation_analysis") or {}).get("pca_layers")) or []
    if layers is not None and any(not -(layers + 1) <= int(i) <= layers for i in pca):
        problems.append(f"parameters representation_analysis.pca_layers: {list(pca)} reach past the tiny base's "
                        f"{layers + 1} hidden-state layers (0 is the embeddings; base_model.config.num_hidden_layers)")
    mi_eval = check(load_mi_eval, params.get("mi_eval"), languages,
                    {e.name: e.eval_languages for e in experiments})
    stages = check(_base_pretraining, params.get("pretraining") or {}, bool(base.get("build_tiny", False)),
                   default=())
    problems += settings_problems(params)
    if problems:
        raise StudyError(problems)
    judge = ((((params.get("evaluation") or {}).get("scorers") or {}).get("llm_judge")) or {}).get("enabled")
    needed = frozenset(source_dataset(parse_source(s)[0])
                       for s in [*(s for st in stages for s in st.sources),
                                 *(s for e in experiments for s in e.sources + e.pretraining)])
    return Study(languages=languages, experiments=tuple(experiments), tasks=tasks, units=units, corpora=corpora,
                 translated_alpaca=frozenset(lang for lang in languages if translation.translates(lang)),
                 tiny_base=bool(base.get("build_tiny", False)), judge_enabled=bool(judge),
                 scaling=scaling, base_pretraining=stages,
                 representation=representation, needed_sources=needed, continued_pretraining=comparison,
                 baselines=baselines, mi_eval=mi_eval)
