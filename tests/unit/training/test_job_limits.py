"""No job hangs a run: a wall-clock limit and a heartbeat watch kill the job's whole process group and
the workers it started in sessions of their own (as torchrun does), the error names the job and its last
lines, and the job's MLflow run ends FAILED."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time

import mlflow
import pytest

from xllm_kedro.training.launch import TrainingJobError, run_job, train_with_accelerate

from ...conftest import CPU_1PROC
from .conftest import resume_config

# A launcher-like parent that starts a worker and waits for it, both sleeping for good
HANGS = ("import subprocess, sys, time\n"
         "worker = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'])\n"
         "print('worker', worker.pid, flush=True)\n"
         "worker.wait()\n")


# The same with the worker in a session of its own, as torchrun starts its workers: outside the group
HANGS_OWN_SESSION = HANGS.replace("time.sleep(600)'])", "time.sleep(600)'], start_new_session=True)")
# A launcher that leaves while its own-session worker lives on, as a launcher killed by a signal would
LEAVES_WORKER = HANGS_OWN_SESSION.replace("worker.wait()\n", "time.sleep(2)\n")


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    with open(f"/proc/{pid}/stat") as fh:  # a zombie awaiting its reaper is gone too
        return fh.read().split(")")[-1].split()[0] == "Z"


def _worker_pid(message: str) -> int:
    return int(message.split("worker ", 1)[1].split()[0])


@pytest.mark.parametrize("script", [HANGS, HANGS_OWN_SESSION], ids=["worker_in_group", "worker_in_own_session"])
def test_a_job_past_its_timeout_is_killed_with_its_workers(tmp_path, script):
    start = time.monotonic()
    with pytest.raises(TrainingJobError) as err:
        run_job([sys.executable, "-c", script], dict(os.environ), name="train/hangs", timeout_s=3, stall_timeout_s=60)
    assert time.monotonic() - start < 30
    message = str(err.value)
    assert "train/hangs ran past launcher.timeout_s = 3 s" in message and "worker" in message
    time.sleep(0.5)
    assert _gone(_worker_pid(message))


def test_a_worker_left_behind_by_its_launcher_does_not_outlive_the_job(tmp_path, caplog):
    # Without run_job the worker outlives its launcher, outside the launcher's group
    with open(tmp_path / "alone.log", "w") as log:  # a file: a pipe would stay open while the worker lives
        subprocess.run([sys.executable, "-c", LEAVES_WORKER], stdout=log, check=True)
    orphan = _worker_pid((tmp_path / "alone.log").read_text())
    try:
        assert not _gone(orphan) and os.getsid(orphan) == orphan
    finally:
        os.kill(orphan, signal.SIGKILL)
    with caplog.at_level(logging.INFO, logger="xllm_kedro.training.launch"):
        run_job([sys.executable, "-c", LEAVES_WORKER], dict(os.environ), name="train/leaves", timeout_s=60)
    time.sleep(0.5)
    assert _gone(_worker_pid(caplog.text))


def test_a_job_without_heartbeat_or_output_is_killed(tmp_path):
    with pytest.raises(TrainingJobError, match=r"train/silent gave no heartbeat or output for launcher\.stall_timeout_s"):
        run_job([sys.executable, "-c", HANGS], dict(os.environ), name="train/silent", timeout_s=60, stall_timeout_s=2,
                heartbeat=tmp_path / "heartbeat")


def test_a_heartbeat_keeps_a_quiet_job_alive(tmp_path):
    beats = ("import os, sys, time, pathlib\n"
             "for _ in range(10):\n"
             "    pathlib.Path(os.environ['XLLM_HEARTBEAT_FILE']).touch(); time.sleep(0.4)\n")
    run_job([sys.executable, "-c", beats], dict(os.environ), name="train/quiet", timeout_s=60, stall_timeout_s=2,
            heartbeat=tmp_path / "heartbeat")


@pytest.mark.parametrize("in_process", [False, True])
def test_an_overrunning_training_job_fails_its_node_and_its_run(tmp_path, tiny_model_dir, mlflow_store, in_process):
    mlflow_store(f"timeout_{in_process}")
    cfg = resume_config(tmp_path, tiny_model_dir, "out")
    cfg.num_epochs = 500  # minutes of steps: no machine finishes inside the half-second deadline
    with pytest.raises(TrainingJobError, match="timeout_s"):
        train_with_accelerate(cfg, CPU_1PROC, tmp_path / "job", run_name="train/slow", in_process=in_process,
                              timeout_s=0.5)
    [run] = mlflow.search_runs(experiment_names=[f"timeout_{in_process}"], output_format="list")
    assert run.info.status == "FAILED"
    assert not (tmp_path / "out" / "model.safetensors").exists()
