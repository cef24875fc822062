"""A one-process CPU job may run in the Kedro process: same job config and entry point, its MLflow run,
the environment given back, and a clear refusal for configs that need several processes."""

from __future__ import annotations

import json
import logging
import os

import mlflow
import pytest

from xllm_kedro.corpora import read_instructions
from xllm_kedro.files import write_jsonl
from xllm_kedro.training.config import TrainConfig
from xllm_kedro.training.launch import TrainingJobError, train_with_accelerate
from xllm_kedro.training.sft import step_line_every
from xllm_kedro.training.tiny_model import load_model

from ...conftest import CPU_1PROC, RAW


def job(tmp_path, model_dir, **overrides) -> TrainConfig:
    write_jsonl(tmp_path / "train.jsonl", list(read_instructions(RAW / "alpaca" / "en.json")))
    return TrainConfig(**{"base_model_dir": str(model_dir), "train_file": str(tmp_path / "train.jsonl"),
                          "output_dir": str(tmp_path / "out"), "global_batch_size": 4, "per_device_batch_size": 4,
                          "num_epochs": 1, "batching": "length_grouped", "learning_rate": 1e-3, **overrides})


def test_an_in_process_job_trains_logs_and_restores_the_environment(tmp_path, tiny_model_dir, mlflow_store):
    mlflow_store("in_process")
    before = dict(os.environ)
    out = train_with_accelerate(job(tmp_path, tiny_model_dir), CPU_1PROC, tmp_path / "job", run_name="train/here",
                                in_process=True)
    assert dict(os.environ) == before  # MLFLOW_RUN_ID and ACCELERATE_USE_CPU were only set for the job
    summary = json.loads((out / "train_summary.json").read_text())
    assert summary["steps"] == 3 and summary["world_size"] == 1  # 12 examples / global batch 4
    load_model(out)
    [run] = mlflow.search_runs(experiment_names=["in_process"], output_format="list")
    assert run.info.status == "FINISHED" and run.data.tags["in_process"] == "true"
    assert len(mlflow.MlflowClient().get_metric_history(run.info.run_id, "train_loss")) == 3


def test_a_failing_in_process_job_raises_and_leaves_its_run_failed(tmp_path, tiny_model_dir, mlflow_store):
    mlflow_store("in_process_failure")
    cfg = job(tmp_path, tiny_model_dir, train_file=str(tmp_path / "missing.jsonl"))
    with pytest.raises(TrainingJobError, match="missing.jsonl"):
        train_with_accelerate(cfg, CPU_1PROC, tmp_path / "job", run_name="train/broken", in_process=True)
    [run] = mlflow.search_runs(experiment_names=["in_process_failure"], output_format="list")
    assert run.info.status == "FAILED"


def test_a_multi_process_config_is_refused_in_process(tmp_path, tiny_model_dir, mlflow_store):
    mlflow_store("in_process_ddp")
    with pytest.raises(ValueError, match="launcher.in_process needs a one-process accelerate config"):
        train_with_accelerate(job(tmp_path, tiny_model_dir), CPU_1PROC.with_name("cpu_ddp_2proc.yaml"),
                              tmp_path / "job", run_name="train/ddp", in_process=True)


def test_a_job_logs_a_handful_of_step_lines_and_tracks_every_step(tmp_path, tiny_model_dir, mlflow_store, capsys,
                                                                   caplog):
    mlflow_store("console")
    cfg = job(tmp_path, tiny_model_dir, per_device_batch_size=1, global_batch_size=1, max_steps=10, log_every=1)
    with caplog.at_level(logging.INFO, logger="xllm_kedro.training.sft"):
        train_with_accelerate(cfg, CPU_1PROC, tmp_path / "job", run_name="train/console", in_process=True)
    printed = capsys.readouterr()
    assert "\r" not in printed.out + printed.err  # no progress bar off a terminal
    steps = [m.split()[1] for m in caplog.messages if m.startswith("step ")]
    # log_every 1 would print all ten; a job prints about step_lines (4 by default): every third step, and the last
    assert steps == ["3/10", "6/10", "9/10", "10/10"]
    assert caplog.messages[-1].startswith("trained 10 steps in ")  # and one line when it is done
    [run] = mlflow.search_runs(experiment_names=["console"], output_format="list")
    history = mlflow.MlflowClient().get_metric_history(run.info.run_id, "train_loss")
    assert sorted(m.step for m in history) == list(range(1, 11))  # every step goes to MLflow
    assert run.data.params["training.log_every"] == "1" and run.data.params["data.examples"] == "12"


def test_step_lines_come_every_log_every_steps_or_about_step_lines_in_all():
    assert step_line_every(4, 10, 4) == 4  # ten steps at most every fourth: 4, 8 (and the last)
    assert step_line_every(1, 10, 4) == 3  # ten lines would be too many: 3, 6, 9 (and the last)
    assert step_line_every(50, 2000, 4) == 500  # a default job of 2,000 steps: four lines, not forty
    assert step_line_every(1, 10, 0) == 1  # no bound: every log_every steps


def test_a_packed_job_says_how_many_examples_share_a_template_preamble(tmp_path, tiny_model_dir, mlflow_store, caplog):
    mlflow_store("preambles")
    cfg = job(tmp_path, tiny_model_dir, batching="packed", max_steps=1)
    with caplog.at_level(logging.INFO, logger="xllm_kedro.training.sft"):
        train_with_accelerate(cfg, CPU_1PROC, tmp_path / "job", run_name="train/preambles", in_process=True)
    [line] = [m for m in caplog.messages if "template preamble" in m]
    shared, examples = int(line.split()[0]), int(line.split()[2])
    assert (shared, examples) == (12, 12)  # every sample prompt follows the Alpaca template, none is truncated
