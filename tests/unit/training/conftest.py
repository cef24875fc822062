"""Helpers of the training tests: a resumable job config on the sample's Alpaca, the job as a process, and
a SIGKILL at a given step."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from xllm_kedro.corpora import read_instructions
from xllm_kedro.files import write_jsonl
from xllm_kedro.training.config import TrainConfig

from ...conftest import RAW


def resume_config(tmp_path, tiny_model_dir, name: str) -> TrainConfig:
    train_file = tmp_path / "train.jsonl"
    if not train_file.exists():
        write_jsonl(train_file, list(read_instructions(RAW / "alpaca" / "zh.json")) +
                    list(read_instructions(RAW / "alpaca" / "en.json")))
    return TrainConfig(base_model_dir=str(tiny_model_dir), train_file=str(train_file), output_dir=str(tmp_path / name),
                       learning_rate=3e-3, num_epochs=3, global_batch_size=4, per_device_batch_size=2,
                       max_length=256, save_every=1, batching="packed", warmup_ratio=0.1,
                       step_lines=0)  # a line every step: kill_at_step watches for one


def job_command(cfg: TrainConfig, path) -> list[str]:
    cfg.save(path)
    return [sys.executable, "-m", "xllm_kedro.training.sft", "--config", str(path)]


def job_env():
    return {k: v for k, v in os.environ.items() if k != "MLFLOW_RUN_ID"}


def kill_at_step(cmd: list[str], step: int) -> None:
    """Start the job and SIGKILL it as soon as it reports ``step``."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=job_env())
    for line in proc.stdout:
        if line.startswith(f"step {step}/"):
            proc.send_signal(signal.SIGKILL)
            break
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
