"""The node side of the job boundary: the launch command, a failing job, and its MLflow child run."""

from __future__ import annotations

import json

import mlflow
import pytest
import yaml

from xllm_kedro.corpora import read_instructions
from xllm_kedro.files import write_jsonl
from xllm_kedro.training.config import TrainConfig
from xllm_kedro.training.launch import TrainingJobError, launch_command, train_with_accelerate

from ...conftest import CPU_1PROC, PROJECT_ROOT, RAW


def test_paper_config_builds_the_fsdp_launch_command():
    params = yaml.safe_load((PROJECT_ROOT / "conf" / "paper" / "parameters.yml").read_text())
    cfg = TrainConfig.from_dict({**params["training"], "base_model_dir": "m", "train_file": "t", "output_dir": "o"})
    assert cfg.accumulation_steps(8) == 4  # 128 = 4 per device x 4 steps x 8 GPUs
    launcher = params["launcher"]["accelerate_config"]
    fsdp = yaml.safe_load((PROJECT_ROOT / launcher).read_text())
    assert fsdp["num_processes"] == 8 and fsdp["mixed_precision"] == "bf16"
    assert fsdp["fsdp_config"]["fsdp_transformer_layer_cls_to_wrap"] == "LlamaDecoderLayer"
    cmd = launch_command(launcher, "job.json")
    assert cmd[1:] == ["launch", "--config_file", launcher, "--rdzv_backend", "xllm-loopback",
                       "-m", "xllm_kedro.training.sft", "--config", "job.json"]


def test_a_failing_job_raises_with_its_log_and_leaves_its_run_failed(tmp_path, tiny_model_dir, mlflow_store):
    mlflow_store("launch_test")
    cfg = TrainConfig(base_model_dir=str(tiny_model_dir), train_file=str(tmp_path / "missing.jsonl"),
                      output_dir=str(tmp_path / "out"), global_batch_size=2, per_device_batch_size=2)
    with pytest.raises(TrainingJobError, match=r"exited with code 1[\s\S]*missing.jsonl"):
        train_with_accelerate(cfg, CPU_1PROC, tmp_path / "job", run_name="train/broken")
    [run] = mlflow.search_runs(experiment_names=["launch_test"], output_format="list")
    assert run.info.status == "FAILED" and run.info.run_name == "train/broken"
    assert json.loads((tmp_path / "job" / "job.json").read_text())["train_file"].endswith("missing.jsonl")


@pytest.mark.slow  # two accelerate jobs, one of them two processes: over 20 s
def test_two_gloo_processes_share_the_global_batch(tmp_path, tiny_model_dir, mlflow_store):
    mlflow_store("launch_ddp_test")
    write_jsonl(tmp_path / "train.jsonl", list(read_instructions(RAW / "alpaca" / "en.json")))
    summaries = {}
    for name in ("cpu_1proc", "cpu_ddp_2proc"):
        cfg = TrainConfig(base_model_dir=str(tiny_model_dir), train_file=str(tmp_path / "train.jsonl"),
                          output_dir=str(tmp_path / name), global_batch_size=4, per_device_batch_size=1,
                          num_epochs=1, batching="length_grouped", learning_rate=1e-3)
        out = train_with_accelerate(cfg, CPU_1PROC.with_name(f"{name}.yaml"), tmp_path / f"job_{name}",
                                    run_name=f"train/{name}")
        summaries[name] = json.loads((out / "train_summary.json").read_text())
    one, two = summaries["cpu_1proc"], summaries["cpu_ddp_2proc"]
    assert (one["world_size"], one["gradient_accumulation_steps"]) == (1, 4)
    assert (two["world_size"], two["gradient_accumulation_steps"]) == (2, 2)  # 4 = 1 per device x 2 x 2 processes
    assert one["steps"] == two["steps"] == 3  # 12 examples / global batch 4


@pytest.mark.slow  # five 2-process jobs: about two minutes
def test_a_two_process_gloo_job_exits_cleanly_five_times_in_a_row(tmp_path, tiny_model_dir, mlflow_store):
    mlflow_store("gloo_exit")
    write_jsonl(tmp_path / "train.jsonl", list(read_instructions(RAW / "alpaca" / "en.json"))[:8])
    for i in range(5):
        cfg = TrainConfig(base_model_dir=str(tiny_model_dir), train_file=str(tmp_path / "train.jsonl"),
                          output_dir=str(tmp_path / f"out{i}"), global_batch_size=2, per_device_batch_size=1,
                          max_steps=2, batching="length_grouped")
        # a hang at exit would stall with no output: the watch turns it into a failure, not a stuck test
        train_with_accelerate(cfg, CPU_1PROC.with_name("cpu_ddp_2proc.yaml"), tmp_path / f"job{i}",
                              run_name=f"train/gloo{i}", timeout_s=240, stall_timeout_s=90)
        assert (tmp_path / f"out{i}" / "model.safetensors").exists()
    runs = mlflow.search_runs(experiment_names=["gloo_exit"], output_format="list")
    assert sorted(r.info.status for r in runs) == ["FINISHED"] * 5
