"""A one-process CPU job may run in the Kedro process: same job config and entry point, its MLflow run,
the environment given back, and a clear refusal for configs that need several processes."""

from __future__ import annotations

import json
import os

import mlflow
import pytest

from xllm_kedro.corpora import read_instructions
from xllm_kedro.files import write_jsonl
from xllm_kedro.training.config import TrainConfig
from xllm_kedro.training.launch import TrainingJobError, train_with_accelerate
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


def test_a_job_prints_every_log_every_steps_and_tracks_every_step(tmp_path, tiny_model_dir, mlflow_store, capsys):
    mlflow_store("console")
    cfg = job(tmp_path, tiny_model_dir, per_device_batch_size=1, global_batch_size=1, max_steps=10, log_every=4)
    train_with_accelerate(cfg, CPU_1PROC, tmp_path / "job", run_name="train/console", in_process=True)
    printed = capsys.readouterr()
    assert "\r" not in printed.out + printed.err  # no progress bar off a terminal
    steps = [line.split()[1] for line in printed.out.splitlines() if line.startswith("step ")]
    assert steps == ["4/10", "8/10", "10/10"]  # every log_every steps, and the last
    [run] = mlflow.search_runs(experiment_names=["console"], output_format="list")
    history = mlflow.MlflowClient().get_metric_history(run.info.run_id, "train_loss")
    assert sorted(m.step for m in history) == list(range(1, 11))  # every step goes to MLflow
    assert run.data.params["training.log_every"] == "4" and run.data.params["data.examples"] == "12"
