"""Kill a training job mid-run (SIGKILL) and rerun it: it resumes and ends where an uninterrupted run ends."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import pytest
from safetensors.torch import load_file

from xllm_kedro.corpora import read_instructions
from xllm_kedro.files import write_jsonl
from xllm_kedro.training.config import TrainConfig

from ...conftest import RAW


def _config(tmp_path, tiny_model_dir, name: str) -> TrainConfig:
    train_file = tmp_path / "train.jsonl"
    if not train_file.exists():
        write_jsonl(train_file, list(read_instructions(RAW / "alpaca" / "zh.json")) +
                    list(read_instructions(RAW / "alpaca" / "en.json")))
    return TrainConfig(base_model_dir=str(tiny_model_dir), train_file=str(train_file), output_dir=str(tmp_path / name),
                       learning_rate=3e-3, num_epochs=3, global_batch_size=4, per_device_batch_size=2,
                       max_length=256, save_every=1, batching="packed", warmup_ratio=0.1)


def _job(cfg: TrainConfig, path) -> list[str]:
    cfg.save(path)
    return [sys.executable, "-m", "xllm_kedro.training.sft", "--config", str(path)]


def _env():
    return {k: v for k, v in os.environ.items() if k != "MLFLOW_RUN_ID"}


def _kill_at_step(cmd: list[str], step: int) -> None:
    """Start the job and SIGKILL it as soon as it reports ``step``."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=_env())
    for line in proc.stdout:
        if line.startswith(f"step {step}/"):
            proc.send_signal(signal.SIGKILL)
            break
    proc.wait()
    assert proc.returncode == -signal.SIGKILL


@pytest.mark.slow  # three training jobs each: 15 s alone, about 30 s in a full run
@pytest.mark.parametrize("batching", ["packed", "length_grouped"])
def test_sigkill_then_rerun_equals_an_uninterrupted_run(tmp_path, tiny_model_dir, batching):
    straight = _config(tmp_path, tiny_model_dir, "straight")
    straight.batching = batching
    subprocess.run(_job(straight, tmp_path / "straight.json"), check=True, env=_env(), capture_output=True)

    killed = _config(tmp_path, tiny_model_dir, "killed")
    killed.batching = batching
    cmd = _job(killed, tmp_path / "killed.json")
    _kill_at_step(cmd, 4)
    assert not (tmp_path / "killed" / "model.safetensors").exists()
    rerun = subprocess.run(cmd, check=True, env=_env(), capture_output=True, text=True)
    assert "resumed from" in rerun.stdout

    a = json.loads((tmp_path / "straight" / "train_summary.json").read_text())
    b = json.loads((tmp_path / "killed" / "train_summary.json").read_text())
    assert a["steps"] == b["steps"] > 4
    assert abs(a["final_train_loss"] - b["final_train_loss"]) < 1e-6
    wa, wb = load_file(tmp_path / "straight" / "model.safetensors"), load_file(tmp_path / "killed" / "model.safetensors")
    assert all((wa[k] - wb[k]).abs().max() < 1e-6 for k in wa)


def test_checkpoints_of_other_data_are_not_resumed(tmp_path, tiny_model_dir):
    cfg = _config(tmp_path, tiny_model_dir, "run")
    cmd = _job(cfg, tmp_path / "run.json")
    _kill_at_step(cmd, 2)
    with open(cfg.train_file, "a", encoding="utf-8") as fh:  # the data changed since the checkpoint
        fh.write(json.dumps({"instruction": "new", "input": "", "output": "record"}) + "\n")
    rerun = subprocess.run(cmd, check=True, env=_env(), capture_output=True, text=True)
    assert "ignoring checkpoints" in rerun.stdout and "resumed from" not in rerun.stdout
    assert not cfg.checkpoints.exists()  # removed once the model is saved
