"""A tampered checkpoint never runs code on resume: every file of it is parsed as safetensors or JSON,
and a pickle payload planted anywhere is refused (the checkpoint is skipped) or ignored (a file the
format does not have)."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys

import pytest

from .conftest import job_command, job_env, kill_at_step, resume_config

ACCELERATE_NAMES = ("custom_checkpoint_0.pkl", "random_states_0.pkl", "optimizer.bin", "scheduler.bin",
                    "pytorch_model.bin")


class Payload:
    """Unpickling this creates ``marker``: proof that code ran."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return open, (self.marker, "w")


def _payload_is_live(blob: bytes, marker) -> bool:
    """Unpickle ``blob`` in a child process: it must create ``marker`` (the payload works)."""
    subprocess.run([sys.executable, "-c", "import pickle, sys; pickle.loads(sys.stdin.buffer.read())"],
                   input=blob, check=True, env=job_env())
    live = os.path.exists(marker)
    os.remove(marker)
    return live


@pytest.mark.slow  # two training jobs: about 15 s
@pytest.mark.parametrize("where", ["every_file", "extra_files"])
def test_planted_pickles_never_run_on_resume(tmp_path, tiny_model_dir, where):
    cfg = resume_config(tmp_path, tiny_model_dir, "run")
    cmd = job_command(cfg, tmp_path / "run.json")
    kill_at_step(cmd, 2)
    checkpoints = sorted(cfg.checkpoints.glob("step_*"))
    assert checkpoints, "the killed job left no checkpoint"
    marker = tmp_path / "pwned"
    blob = pickle.dumps(Payload(marker))
    assert _payload_is_live(blob, marker)
    for folder in checkpoints:
        targets = list(folder.iterdir()) if where == "every_file" else []
        targets += [folder / name for name in ACCELERATE_NAMES]
        for path in targets:
            path.write_bytes(blob)

    rerun = subprocess.run(cmd, env=job_env(), capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stdout[-2000:] + rerun.stderr[-2000:]
    assert not marker.exists()
    if where == "every_file":
        assert "skipping checkpoint" in rerun.stdout and "not a safetensors file" in rerun.stdout
        assert "resumed from" not in rerun.stdout
    else:
        assert "resumed from" in rerun.stdout  # the format's own files are intact; the planted ones are not read
    assert (tmp_path / "run" / "model.safetensors").exists()
