"""Kill a training job mid-run (SIGKILL) and rerun it: it resumes and ends where an uninterrupted run ends."""

from __future__ import annotations

import json
import subprocess

import pytest
from safetensors.torch import load_file

from .conftest import job_command, job_env, kill_at_step, resume_config


@pytest.mark.slow  # three training jobs each: 15 s alone, about 30 s in a full run
@pytest.mark.parametrize("batching", ["packed", "length_grouped"])
def test_sigkill_then_rerun_equals_an_uninterrupted_run(tmp_path, tiny_model_dir, batching):
    straight = resume_config(tmp_path, tiny_model_dir, "straight")
    straight.batching = batching
    subprocess.run(job_command(straight, tmp_path / "straight.json"), check=True, env=job_env(), capture_output=True)

    killed = resume_config(tmp_path, tiny_model_dir, "killed")
    killed.batching = batching
    cmd = job_command(killed, tmp_path / "killed.json")
    kill_at_step(cmd, 4)
    assert not (tmp_path / "killed" / "model.safetensors").exists()
    rerun = subprocess.run(cmd, check=True, env=job_env(), capture_output=True, text=True)
    assert "resumed from" in rerun.stdout

    a = json.loads((tmp_path / "straight" / "train_summary.json").read_text())
    b = json.loads((tmp_path / "killed" / "train_summary.json").read_text())
    assert a["steps"] == b["steps"] > 4
    assert abs(a["final_train_loss"] - b["final_train_loss"]) < 1e-6
    wa, wb = load_file(tmp_path / "straight" / "model.safetensors"), load_file(tmp_path / "killed" / "model.safetensors")
    assert all((wa[k] - wb[k]).abs().max() < 1e-6 for k in wa)


def test_checkpoints_of_other_data_are_not_resumed(tmp_path, tiny_model_dir):
    cfg = resume_config(tmp_path, tiny_model_dir, "run")
    cmd = job_command(cfg, tmp_path / "run.json")
    kill_at_step(cmd, 2)
    with open(cfg.train_file, "a", encoding="utf-8") as fh:  # the data changed since the checkpoint
        fh.write(json.dumps({"instruction": "new", "input": "", "output": "record"}) + "\n")
    rerun = subprocess.run(cmd, check=True, env=job_env(), capture_output=True, text=True)
    assert "ignoring checkpoints" in rerun.stdout and "resumed from" not in rerun.stdout
    assert not cfg.checkpoints.exists()  # removed once the model is saved
