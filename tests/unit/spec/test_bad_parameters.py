"""Bad parameters, caught before anything runs: each error names the parameter key at fault, and the
study spec reports every problem of a config at once.

The other levels of bad input: tests/unit/test_bad_data.py (files, records and datasets) and
tests/test_bad_input.py (``kedro run`` end to end).
"""

from __future__ import annotations

import copy
import json
import re

import pytest

from xllm_kedro.corpora import CleaningRules, ParallelCorpus
from xllm_kedro.pipelines.data_preparation.nodes import clean_parallel_node
from xllm_kedro.spec.experiments import load_experiments
from xllm_kedro.spec.languages import check_languages
from xllm_kedro.spec.study import StudyError, load_study, parallel_corpora
from xllm_kedro.spec.tasks import load_tasks
from xllm_kedro.training.config import TrainConfig
from xllm_kedro.training.launch import train_with_accelerate

from ...conftest import sample_parameters, declared_tasks

pytestmark = pytest.mark.badinput

BASE = {"languages": ["zh", "vi"], "tasks": ["qa", "translation"],
        "experiments": {"x_zh": {"sources": ["alpaca_en", "alpaca_zh", "translation_en_zh"], "eval_languages": ["zh"]}}}


def with_changes(**changes) -> dict:
    params = json.loads(json.dumps(BASE))
    params.update(changes)
    return params


SWEEP = {"languages": ["zh"], "translation_sizes": [1, 2, 3]}
EXPERIMENT_CASES = {
    "unknown experiment key": (with_changes(experiments={"x_zh": {"sources": ["alpaca_en"], "eval_langs": ["zh"]}}),
                               r"experiments\.x_zh.*eval_langs"),
    "source language not declared": (with_changes(experiments={"x_el": {"sources": ["alpaca_el"]}}),
                                     r"experiments\.x_el\.sources.*'el'"),
    "unknown source kind": (with_changes(experiments={"x_zh": {"sources": ["wiki_zh"]}}), r"unknown mix source 'wiki_zh'"),
    "size that is not a number": (with_changes(experiments={"x_zh": {"sources": ["translation_en_zh:many"]}}),
                                  r"translation_en_zh:many"),
    "unknown task": (with_changes(experiments={"x_zh": {"sources": ["alpaca_en"], "tasks": ["summary"]}}),
                     r"experiments\.x_zh\.tasks.*summary"),
    "unknown language code": (with_changes(languages=["zh", "xx"]), r"unknown language code 'xx' in parameters 'languages'"),
    "english as a target": (with_changes(languages=["en", "zh"]), r"parameters 'languages' lists 'en'"),
    "too few sweep sizes": (with_changes(sweep={"languages": ["zh"], "translation_sizes": [10, 20]}),
                            r"sweep\.translation_sizes"),
    "sweep language not declared": (with_changes(sweep={"languages": ["hi"], "translation_sizes": [1, 2, 3]}),
                                    r"sweep\.languages.*'hi'"),
    "negative budget": (with_changes(sweep=SWEEP, allocation={"experiments": {"budget": -5}}),
                        r"allocation\.experiments\.budget"),
    "unknown allocation strategy": (with_changes(sweep=SWEEP, allocation={"experiments": {"budget": 5,
                                                                                          "strategies": ["greedy"]}}),
                                    r"allocation\.experiments\.strategies.*greedy"),
}


@pytest.mark.parametrize("case", sorted(EXPERIMENT_CASES))
def test_bad_experiment_parameters_name_the_key(case):
    params, pattern = EXPERIMENT_CASES[case]
    with pytest.raises(ValueError, match=pattern):
        load_experiments(params)


def test_an_experiment_naming_an_undeclared_task_is_named():
    params = {"languages": ["zh"], "tasks": declared_tasks(),
              "experiments": {"x_zh": {"sources": ["alpaca_en"], "eval_languages": ["zh"], "tasks": ["xquad"]}}}
    with pytest.raises(ValueError, match=r"experiments\.x_zh\.tasks: unknown task\(s\) \['xquad'\]"):
        load_experiments(params)


def test_repeated_language_is_named():
    with pytest.raises(ValueError, match=r"parameters 'languages' repeats a language"):
        check_languages(["zh", "vi", "zh"], where="parameters 'languages'")


@pytest.mark.parametrize("change,key", [
    (lambda t: t["qa"].update(kind="ranking"), "tasks.qa.kind"),
    (lambda t: t["qa"].update(metrics=["bleu"]), "tasks.qa.metrics"),
    (lambda t: t["qa"]["generation"].update(max_new_tokens=0), "tasks.qa.generation.max_new_tokens"),
    (lambda t: t["qa"]["generation"].update(greedy=False), "tasks.qa.generation.greedy"),
    (lambda t: t["qa"]["prompts"]["zh"].pop("answer"), "tasks.qa.prompts.zh"),
    (lambda t: t["translation"].update(instruction="Translate."), "tasks.translation.instruction"),
    (lambda t: t["translation"].update(directions=["en-x", "sideways"]), "tasks.translation.directions"),
    (lambda t: t["translation"].update(data="flores_raw"), "tasks.translation.data"),
    (lambda t: t["translation"].update(split="devtest"), "tasks.translation"),
])
def test_bad_task_declarations_name_the_key(change, key):
    spec = copy.deepcopy(declared_tasks())
    change(spec)
    with pytest.raises(ValueError, match=key.replace(".", r"\.")):
        load_tasks(spec)


def test_unknown_data_preparation_parameters_are_named(tmp_path):
    with pytest.raises(ValueError, match=r"unknown cleaning parameter\(s\) \['max_ratio'\]"):
        CleaningRules.from_params({"max_ratio": 2.0})
    (tmp_path / "c.en").write_text("a\n")
    (tmp_path / "c.zh").write_text("b\n")
    corpus = ParallelCorpus(tmp_path / "c.en", tmp_path / "c.zh")
    cleaning = {"max_chars": 1000, "max_length_ratio": 3.0, "min_script_share": 0.5, "deduplicate": True}
    with pytest.raises(ValueError, match=r"data_preparation.reading: unknown key\(s\) \['skip_bad_line'\]"):
        clean_parallel_node(cleaning, {"skip_bad_line": True}, "zh", moses=corpus)
    with pytest.raises(ValueError, match="unknown language code 'xx' in parameters data_preparation.parallel_corpora"):
        parallel_corpora({"default": ["parallel"], "xx": ["wikimatrix"]}, ("zh",))


TRAINING_CASES = {
    "misspelt key": ({"learning_rat": 1e-3}, r"training parameters: unknown key\(s\) \['learning_rat'\]"),
    "unknown batching": ({"batching": "bucketed"}, r"batching must be .*'bucketed'"),
    "unknown schedule": ({"lr_scheduler": "cyclic"}, r"lr_scheduler must be .*'cyclic'"),
    "zero batch": ({"per_device_batch_size": 0}, r"batch sizes must be positive"),
}


@pytest.mark.parametrize("case", sorted(TRAINING_CASES))
def test_bad_training_parameters_name_the_key(case):
    values, pattern = TRAINING_CASES[case]
    with pytest.raises(ValueError, match=pattern):
        TrainConfig.from_dict({"base_model_dir": "b", "train_file": "t", "output_dir": "o", **values})


def test_global_batch_that_processes_cannot_split_is_refused():
    cfg = TrainConfig("b", "t", "o", global_batch_size=128, per_device_batch_size=4)
    assert cfg.accumulation_steps(8) == 4
    with pytest.raises(ValueError, match=r"global_batch_size 128 is not a multiple of per_device_batch_size 4 x 3"):
        cfg.accumulation_steps(3)


def test_malformed_job_config_names_file_and_line(tmp_path):
    job = tmp_path / "job.json"
    job.write_text('{\n  "base_model_dir": "b",\n  "train_file": \n}\n')
    with pytest.raises(ValueError, match=re.escape(f"{job}:4: malformed job config")):
        TrainConfig.load(job)


def test_missing_accelerate_config_is_named_before_anything_is_written(tmp_path):
    cfg = TrainConfig("b", "t", str(tmp_path / "out"))
    with pytest.raises(FileNotFoundError, match=r"nowhere\.yaml \(parameters launcher\.accelerate_config\)"):
        train_with_accelerate(cfg, tmp_path / "nowhere.yaml", tmp_path / "jobs", "train/x")
    assert list(tmp_path.rglob("*")) == []


def test_the_study_reports_every_problem_at_once_each_with_its_key():
    params = sample_parameters()
    params["tasks"]["qa"]["kind"] = "ranking"
    params["experiments"]["x_zh"]["eval_langs"] = ["zh"]
    params["data_preparation"]["parallel_corpora"] = {"default": ["parallel"], "xx": ["wikimatrix"]}
    params["data_preparation"]["alpaca_translation"] = {"enabled": True, "languages": ["zh"]}
    params["scaling"]["points_source"] = "magic"
    params["representation_analysis"]["models"] = ["no_such_run"]
    params["base_model"] = "tiny"
    with pytest.raises(StudyError) as err:
        load_study(params)
    keys = ["tasks.qa.kind", "experiments.x_zh", "data_preparation.parallel_corpora",
            "data_preparation.alpaca_translation.model_dir", "scaling.points_source",
            "representation_analysis.models", "base_model"]
    problems = err.value.problems
    assert len(problems) == len(keys), problems
    owner = {key: [i for i, p in enumerate(problems) if f"parameters {key}" in p] for key in keys}
    assert all(len(found) == 1 for found in owner.values()), (owner, problems)  # each key named by one problem
    assert sorted(i for [i] in owner.values()) == list(range(len(keys)))  # and each problem names one of them
    assert "'xx'" in str(err.value) and "eval_langs" in str(err.value) and "no_such_run" in str(err.value)
    assert str(err.value).startswith(f"the parameters have {len(keys)} problem(s):")
    assert isinstance(err.value, ValueError)  # callers that catch ValueError still do


def test_a_study_with_one_problem_reports_just_that_one():
    params = sample_parameters()
    params["scaling"]["similarity_model"] = "x_nowhere"
    with pytest.raises(StudyError) as err:
        load_study(params)
    [problem] = err.value.problems
    assert "parameters scaling.similarity_model" in problem and "'x_nowhere'" in problem
