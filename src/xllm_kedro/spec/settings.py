"""The numeric and named settings of a study, checked for type, range and finiteness before any node runs.

Each check returns the problems it finds, each naming its parameter key, so ``load_study`` reports
them with every other problem of the config. A setting that is absent is left to its consumer's
default; one that is present must be right.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path

import yaml

from xllm_kedro.training.config import TrainConfig
from xllm_kedro.training.slurm import SlurmSettings


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


class Checker:
    """Collects problems of one section; ``at`` is the section's parameter key."""

    def __init__(self, spec: Mapping | None, at: str):
        self.spec = spec if isinstance(spec, Mapping) else {}
        self.at = at
        self.problems: list[str] = [] if spec is None or isinstance(spec, Mapping) else [
            f"parameters {at} must be a mapping, got {type(spec).__name__}"]

    def _get(self, key: str):
        return self.spec.get(key), f"parameters {self.at}.{key}"

    def integer(self, key: str, minimum: int) -> None:
        value, where = self._get(key)
        if key in self.spec and not (_is_int(value) and value >= minimum):
            self.problems.append(f"{where} must be an integer >= {minimum}, got {value!r}")

    def number(self, key: str, low: float, high: float = math.inf, *, open_low: bool = False,
               open_high: bool = False) -> None:
        value, where = self._get(key)
        if key not in self.spec:
            return
        ok = _is_number(value) and (value > low if open_low else value >= low) and \
            (value < high if open_high else value <= high)
        if not ok:
            span = f"{'(' if open_low else '['}{low}, {high}{')' if open_high else ']'}"
            self.problems.append(f"{where} must be a finite number in {span}, got {value!r}")

    def flag(self, key: str) -> None:
        value, where = self._get(key)
        if key in self.spec and not isinstance(value, bool):
            self.problems.append(f"{where} must be true or false, got {value!r}")

    def choice(self, key: str, options: tuple[str, ...]) -> None:
        value, where = self._get(key)
        if key in self.spec and value not in options:
            self.problems.append(f"{where} must be one of {list(options)}, got {value!r}")


def training_problems(values, where: str, processes: int | None) -> list[str]:
    """A training section as the job will read it, plus the global batch against the launcher's processes."""
    if not isinstance(values, Mapping):
        return [f"{where} must be a mapping of training settings"]
    try:
        cfg = TrainConfig.from_dict({**values, "base_model_dir": "-", "train_file": "-", "output_dir": "-"},
                                    where=where)
        if processes:
            cfg.accumulation_steps(processes)
    except (TypeError, ValueError) as err:
        return [f"{where}: {err}" if where not in str(err) else str(err)]
    return []


def launcher_problems(spec, training_sections: dict[str, Mapping]) -> list[str]:
    """The launcher's accelerate config exists and fits in_process; every training section's batch splits."""
    check = Checker(spec, "launcher")
    check.flag("in_process")
    check.number("timeout_s", 0, open_low=True)
    check.number("stall_timeout_s", 0, open_low=True)
    check.choice("backend", ("local", "slurm"))
    if check.spec.get("cpu_threads") is not None:  # null: cores / processes
        check.integer("cpu_threads", 1)
    if check.spec.get("backend") == "slurm":
        try:
            SlurmSettings.from_dict(check.spec.get("slurm"))
        except (TypeError, ValueError) as err:
            check.problems.append(str(err) if "launcher.slurm" in str(err) else f"parameters launcher.slurm: {err}")
    processes = None
    config = check.spec.get("accelerate_config")
    if config is not None:
        path = Path(str(config))
        if not path.is_file():
            check.problems.append(f"parameters launcher.accelerate_config: {path} does not exist")
        else:
            settings = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            processes = int(settings.get("num_processes", 1)) * int(settings.get("num_machines", 1) or 1) \
                if settings.get("num_machines", 1) == 1 else None
            if check.spec.get("in_process") and check.spec.get("backend", "local") == "local" \
                    and settings.get("num_processes", 1) != 1:
                check.problems.append(f"parameters launcher.in_process needs a one-process accelerate config; "
                                      f"{path} has num_processes={settings.get('num_processes')}")
    for where, values in training_sections.items():
        check.problems += training_problems(values, where, processes)
    return check.problems


def allocation_problems(spec) -> list[str]:
    check = Checker(spec, "allocation")
    budgets, fractions = check.spec.get("budgets") or [], check.spec.get("budget_fractions") or []
    for i, budget in enumerate(budgets if isinstance(budgets, list) else [budgets]):
        if not (_is_int(budget) and budget > 0):
            check.problems.append(f"parameters allocation.budgets[{i}] must be a positive integer "
                                  f"(translation pairs), got {budget!r}")
    for i, fraction in enumerate(fractions if isinstance(fractions, list) else [fractions]):
        if not (_is_number(fraction) and 0 < fraction <= 1):
            check.problems.append(f"parameters allocation.budget_fractions[{i}] must be in (0, 1], got {fraction!r}")
    return check.problems


def evaluation_problems(spec) -> list[str]:
    check = Checker(spec, "evaluation")
    check.integer("max_examples", 0)
    check.integer("batch_size", 1)
    check.integer("seed", 0)
    scorers = check.spec.get("scorers") or {}
    for name, keys in {"comet": ("batch_size",), "llm_judge": ("max_questions",)}.items():
        sub = Checker(scorers.get(name), f"evaluation.scorers.{name}")
        sub.flag("enabled")
        for key in keys:
            sub.integer(key, 1 if key == "batch_size" else 0)
        if name == "llm_judge":
            sub.number("timeout_s", 0, open_low=True)
        check.problems += sub.problems
    return check.problems


def scaling_problems(spec) -> list[str]:
    check = Checker(spec, "scaling")
    check.choice("metric", ("chrf", "bleu", "spbleu", "comet"))
    check.integer("seed", 0)
    check.integer("similarity_layer", -1000)
    gamma = check.spec.get("gamma") or {}
    for lang, value in (gamma.items() if isinstance(gamma, Mapping) else []):
        if not (_is_number(value) and value > 0):
            check.problems.append(f"parameters scaling.gamma.{lang} must be a positive finite number, got {value!r}")
    fit = Checker(check.spec.get("fit"), "scaling.fit")
    fit.integer("n_starts", 1)
    fit.integer("n_bootstrap", 0)
    fit.number("ci_level", 0, 1, open_low=True, open_high=True)
    fit.choice("loss", ("linear", "soft_l1", "huber", "cauchy", "arctan"))
    fit.number("f_scale", 0, open_low=True)
    unknown = sorted(set(fit.spec) - {"loss", "f_scale", "n_starts", "n_bootstrap", "ci_level", "seed"})
    if unknown:
        fit.problems.append(f"parameters scaling.fit: unknown key(s) {unknown}")
    return check.problems + fit.problems


def data_preparation_problems(spec) -> list[str]:
    check = Checker(spec, "data_preparation")
    reading = Checker(check.spec.get("reading"), "data_preparation.reading")
    reading.integer("min_records", 0)
    reading.flag("skip_bad_lines")
    reading.number("min_margin", -math.inf)
    reading.number("max_misaligned_share", 0, 1)
    cleaning = Checker(check.spec.get("cleaning"), "data_preparation.cleaning")
    cleaning.integer("max_chars", 1)
    cleaning.number("max_length_ratio", 1)
    cleaning.number("min_script_share", 0, 1)
    cleaning.flag("deduplicate")
    return check.problems + reading.problems + cleaning.problems


def base_model_problems(spec) -> list[str]:
    """The tiny base's settings (load_study itself reports a base_model that is not a mapping)."""
    check = Checker(spec if isinstance(spec, Mapping) else {}, "base_model")
    if not check.spec.get("build_tiny"):
        return check.problems
    check.integer("vocab_size", 300)  # above the 256 byte tokens and the special ones
    check.integer("seed", 0)
    config = Checker(check.spec.get("config"), "base_model.config")
    for key in ("hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads",
                "num_key_value_heads", "max_position_embeddings"):
        config.integer(key, 1)
    hidden, heads = config.spec.get("hidden_size"), config.spec.get("num_attention_heads")
    if not config.problems and _is_int(hidden) and _is_int(heads) and hidden % heads:
        config.problems.append(f"parameters base_model.config.hidden_size {hidden} is not a multiple of "
                               f"num_attention_heads {heads}")
    return check.problems + config.problems
