"""Bad settings stop the study before any node runs, each naming its parameter key: types, ranges,
finiteness, sizes of 0, colliding names and a launcher that cannot split the batch.

The study is parsed before the first node (the registry builds the pipelines from it), so nothing is
written when it fails; ``test_a_bad_setting_stops_kedro_before_any_file_is_written`` shows it end to end.
"""

from __future__ import annotations

import copy

import pytest

from xllm_kedro.spec.study import StudyError, load_study

from ...conftest import kedro, parameters

pytestmark = pytest.mark.badinput


def _set(path: str, value):
    def change(params):
        *parents, last = path.split(".")
        node = params
        for key in parents:
            node = node[int(key)] if isinstance(node, list) else node.setdefault(key, {})
        node[last] = value
    return change


CASES = {  # change to conf/base parameters -> the key (and value) the message must name
    "budget as a string": (_set("allocation.budgets", ["1500"]), "allocation.budgets[0]", "'1500'"),
    "negative budget": (_set("allocation.budgets", [100, -5]), "allocation.budgets[1]", "-5"),
    "fraction above one": (_set("allocation.budget_fractions", [0.5, 1.5]), "allocation.budget_fractions[1]", "1.5"),
    "infinite fraction": (_set("allocation.budget_fractions", [float("inf")]), "allocation.budget_fractions[0]", "inf"),
    "source capped at 0": (_set("experiments.x_qaa.sources", ["alpaca_en:200", "translation_en_qaa:0"]),
                           "experiments.x_qaa.sources", "'translation_en_qaa:0'"),
    "empty source name": (_set("experiments.x_qaa.sources", ["alpaca_en", ""]), "experiments.x_qaa.sources", "''"),
    "sources not a list": (_set("experiments.x_qaa.sources", "alpaca_en"), "experiments.x_qaa.sources", "'alpaca_en'"),
    "sweep sizes repeat": (_set("sweep.translation_sizes_per_language", {}), "sweep.translation_sizes", "'qaa'"),
    "sweep sizes of one language repeat": (_set("sweep.translation_sizes_per_language.qab", [32, 64, 64]),
                                           "sweep.translation_sizes_per_language.qab", "64"),
    "sweep sizes lack a language": (_set("sweep.translation_sizes_per_language", {"qaa": [8, 16, 32], "qab": [32, 64, 128]}),
                                    "sweep.translation_sizes", "'qac'"),
    "sweep sizes for a language not swept": (_set("sweep.translation_sizes_per_language.qad", [1, 2, 3]),
                                             "sweep.translation_sizes_per_language", "'qad'"),
    "sweep sizes per language not a mapping": (_set("sweep.translation_sizes_per_language", [4, 8, 16]),
                                               "sweep.translation_sizes_per_language", "[4, 8, 16]"),
    "sweep source capped at 0": (_set("sweep.sources", ["alpaca_en:0"]), "sweep.sources", "'alpaca_en:0'"),
    "experiment named like a language": (_set("experiments.qab", {"sources": ["alpaca_en"]}), "experiments.qab",
                                         "collides"),
    "experiment named like a parameter": (_set("experiments.training", {"sources": ["alpaca_en"]}),
                                          "experiments.training", "collides"),
    "experiment with a dotted name": (lambda p: p["experiments"].update({"x.y": {"sources": ["alpaca_en"]}}),
                                      "experiments.x.y", "identifier"),
    "experiment in the sweep's names": (_set("experiments.sweep_qaa_9", {"sources": ["alpaca_en"]}),
                                        "experiments.sweep_qaa_9", "generated"),
    "learning rate as a string": (_set("training.learning_rate", "1e-3"), "training.learning_rate", "'1e-3'"),
    "learning rate not finite": (_set("training.learning_rate", float("nan")), "training.learning_rate", "nan"),
    "negative epochs": (_set("training.num_epochs", -1), "training.num_epochs", "-1"),
    "warmup of a whole run": (_set("training.warmup_ratio", 1.0), "parameters training", "warmup_ratio"),
    "stage batch as a float": (_set("pretraining.stages.0.training.global_batch_size", 16.5),
                               "pretraining.stages[0].training.global_batch_size", "16.5"),
    "batch the processes cannot split": (_set("launcher", {"accelerate_config": "conf/base/accelerate/cpu_ddp_2proc.yaml",
                                                           "in_process": False, "workdir": "data/06_models/jobs"}),
                                         "parameters training", "x 2 processes"),
    "missing accelerate config": (_set("launcher.accelerate_config", "conf/base/accelerate/none.yaml"),
                                  "launcher.accelerate_config", "none.yaml"),
    "zero job timeout": (_set("launcher.timeout_s", 0), "launcher.timeout_s", "0"),
    "zero CPU threads": (_set("launcher.cpu_threads", 0), "launcher.cpu_threads", "0"),
    "evaluation batch of 0": (_set("evaluation.batch_size", 0), "evaluation.batch_size", "0"),
    "negative max_examples": (_set("evaluation.max_examples", -1), "evaluation.max_examples", "-1"),
    "judge timeout of 0": (_set("evaluation.scorers.llm_judge.timeout_s", 0), "evaluation.scorers.llm_judge.timeout_s",
                           "0"),
    "confidence level of 1": (_set("scaling.fit.ci_level", 1.0), "scaling.fit.ci_level", "1.0"),
    "unknown fit loss": (_set("scaling.fit.loss", "l3"), "scaling.fit.loss", "'l3'"),
    "negative gamma": (_set("scaling.gamma", {"qaa": -0.5}), "scaling.gamma.qaa", "-0.5"),
    "length ratio below one": (_set("data_preparation.cleaning.max_length_ratio", 0.5),
                               "data_preparation.cleaning.max_length_ratio", "0.5"),
    "script share as a word": (_set("data_preparation.cleaning.min_script_share", "half"),
                               "data_preparation.cleaning.min_script_share", "'half'"),
    "negative min_records": (_set("data_preparation.reading.min_records", -3), "data_preparation.reading.min_records",
                             "-3"),
    "vocabulary below the bytes": (_set("base_model.vocab_size", 100), "base_model.vocab_size", "100"),
    "heads that do not divide": (_set("base_model.config.num_attention_heads", 3), "base_model.config.hidden_size",
                                 "num_attention_heads 3"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_bad_setting_is_named_by_its_key(case):
    change, key, value = CASES[case]
    params = copy.deepcopy(parameters("base"))
    change(params)
    with pytest.raises(StudyError) as err:
        load_study(params)
    [problem] = [p for p in err.value.problems if f"parameters {key}" in p or key in p]
    assert value in problem, problem


def test_the_default_settings_pass_the_gate():
    for env in ("base", "sample", "test", "paper"):
        load_study(parameters(env))


@pytest.mark.e2e
@pytest.mark.slow
def test_a_bad_setting_stops_kedro_before_any_file_is_written(project):
    params = project / "conf" / "test" / "parameters.yml"
    params.write_text(params.read_text().replace("budgets: [10, 30]", "budgets: [10, '30']", 1))
    proc = kedro(project, "run", "--env", "test", check=False)
    assert proc.returncode != 0
    assert "parameters allocation.budgets[1] must be a positive integer" in (proc.stdout + proc.stderr).replace("\n", " ")
    written = [p for d in (project / "data").glob("0[2-8]_*") for p in d.rglob("*") if p.is_file()]
    assert written == []
