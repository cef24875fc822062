"""Bad input across the library and the pipelines' nodes: each case fails with a message that names the
file, line or parameter key, and leaves no output (and no temporary file) behind."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from xllm_kedro.analysis.allocation import solve_allocation
from xllm_kedro.corpora import CleaningRules
from xllm_kedro.datasets import HFModelDataset, JsonLinesDataset
from xllm_kedro.evaluation.sets import squad_examples
from xllm_kedro.spec.experiments import load_experiments
from xllm_kedro.files import write_jsonl
from xllm_kedro.spec.languages import check_languages
from xllm_kedro.pipelines.scaling_analysis.nodes import fit_laws_node
from xllm_kedro.analysis.scaling import ScalingLaw
from xllm_kedro.training.config import TrainConfig
from xllm_kedro.training.launch import train_with_accelerate

pytestmark = pytest.mark.badinput

BASE = {"languages": ["zh", "vi"], "tasks": ["qa", "translation"],
        "experiments": {"x_zh": {"sources": ["alpaca_en", "alpaca_zh", "translation_en_zh"], "eval_languages": ["zh"]}}}


def leftovers(directory: Path) -> list[str]:
    return sorted(str(p.relative_to(directory)) for p in directory.rglob("*"))


def with_changes(**changes) -> dict:
    params = json.loads(json.dumps(BASE))
    params.update(changes)
    return params


PARAMETER_CASES = {
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
    "negative budget": (with_changes(sweep={"languages": ["zh"], "translation_sizes": [1, 2, 3]},
                                     allocation={"experiments": {"budget": -5}}), r"allocation\.experiments\.budget"),
    "unknown allocation strategy": (with_changes(sweep={"languages": ["zh"], "translation_sizes": [1, 2, 3]},
                                                 allocation={"experiments": {"budget": 5, "strategies": ["greedy"]}}),
                                    r"allocation\.experiments\.strategies.*greedy"),
}


@pytest.mark.parametrize("case", sorted(PARAMETER_CASES))
def test_bad_experiment_parameters_name_the_key(case):
    params, pattern = PARAMETER_CASES[case]
    with pytest.raises(ValueError, match=pattern):
        load_experiments(params)


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
    assert leftovers(tmp_path) == []


def test_unknown_cleaning_parameter_is_named():
    with pytest.raises(ValueError, match=r"unknown cleaning parameter\(s\) \['max_ratio'\]"):
        CleaningRules.from_params({"max_ratio": 2.0})


def test_malformed_jsonl_line_names_file_and_line(tmp_path):
    path = tmp_path / "mix.jsonl"
    path.write_text('{"a": 1}\n\n{"a": 2}\n[1, 2]\n')
    with pytest.raises(Exception, match=re.escape(f"{path}:4: expected a JSON object, got list")):
        list(JsonLinesDataset(str(path)).load())


def test_a_failing_record_stream_leaves_neither_file_nor_temporary(tmp_path):
    def records():
        yield {"a": 1}
        raise RuntimeError("source broke after one record")

    with pytest.raises(RuntimeError, match="source broke"):
        write_jsonl(tmp_path / "out" / "mix.jsonl", records())
    assert leftovers(tmp_path) == ["out"]


def test_model_directory_without_config_is_refused_on_load_and_save(tmp_path):
    (tmp_path / "not_a_model").mkdir()
    (tmp_path / "not_a_model" / "weights.bin").write_bytes(b"\0")
    with pytest.raises(Exception, match=r"not_a_model is not a Hugging Face model directory \(missing \['config.json'\]\)"):
        HFModelDataset(str(tmp_path / "not_a_model")).load()
    with pytest.raises(Exception, match=r"cannot save .*not_a_model: not a model directory"):
        HFModelDataset(str(tmp_path / "models" / "x")).save(tmp_path / "not_a_model")
    assert leftovers(tmp_path / "models") == []
    assert (tmp_path / "not_a_model" / "weights.bin").exists()  # the source is left as it was


def test_qa_record_without_answers_names_its_position():
    doc = {"data": [{"paragraphs": [{"context": "c", "qas": [{"id": "1", "question": "q", "answers": []}]}]}]}
    with pytest.raises(ValueError, match=re.escape("xquad.zh.json: data[0].paragraphs[0].qas[0]: no reference answer")):
        squad_examples(doc, where="xquad.zh.json")
    doc["data"][0]["paragraphs"][0]["qas"][0] = {"id": "1", "answers": [{"text": "a"}]}
    with pytest.raises(ValueError, match=r"qas\[0\]: missing key 'question'"):
        squad_examples(doc, where="xquad.zh.json")


def test_user_scaling_points_without_a_score_column_are_named():
    points = pd.DataFrame({"language": ["zh"] * 3, "size": [1, 2, 3], "chrf": [1.0, 2.0, 3.0]})
    with pytest.raises(ValueError, match=r"scaling points lack column\(s\) \['score'\]"):
        fit_laws_node(points, {"zh": 0.5}, {"fit": {}})


def test_scaling_law_outside_its_domain_names_the_parameter():
    with pytest.raises(ValueError, match=r"zh: beta must lie in \(-1, 0\), got 0.2"):
        ScalingLaw(50.0, 0.2, 0.5).check("zh")


def test_budget_beyond_the_available_data_is_refused():
    laws = {"zh": ScalingLaw(80.0, -0.3, 0.5), "vi": ScalingLaw(60.0, -0.2, 0.7)}
    with pytest.raises(ValueError, match=r"budget 500.0 exceeds the data available \(sum of caps 300.0\)"):
        solve_allocation(laws, 500.0, {"zh": 100.0, "vi": 200.0})
    with pytest.raises(ValueError, match=r"cap of 'vi' must be a non-negative number"):
        solve_allocation(laws, 50.0, {"zh": 100.0, "vi": float(np.nan)})


def test_repeated_language_is_named():
    with pytest.raises(ValueError, match=r"parameters 'languages' repeats a language"):
        check_languages(["zh", "vi", "zh"], where="parameters 'languages'")
