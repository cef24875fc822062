"""Run the training entry point under ``accelerate launch`` in a child process, tracked by an MLflow child run.

A single-process CPU job may instead run in the calling process (``in_process``): the same job config
and entry point, without the seconds of interpreter start and imports that dominate a tiny model's job.

No job can hang a run: each runs in a process group of its own with a wall-clock limit
(``launcher.timeout_s``) and a heartbeat (the job touches ``$XLLM_HEARTBEAT_FILE`` every optimiser
step; output lines count too) that must not stop for ``launcher.stall_timeout_s``. On expiry the whole
group is killed and the node fails naming the job and its last log lines.

With ``launcher.backend: slurm`` the same command goes to a Slurm cluster instead (``training/slurm.py``).
"""

from __future__ import annotations

import hashlib
import importlib
import logging
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections import deque
from pathlib import Path

import mlflow
import torch
import yaml

from xllm_kedro.files import process_alive
from xllm_kedro.tracking import tag_process
from xllm_kedro.training.config import TrainConfig
from xllm_kedro.training.job_processes import JobProcesses
from xllm_kedro.training.slurm import SlurmJobError, run_slurm_job

log = logging.getLogger(__name__)
ENTRY_POINT = "xllm_kedro.training.sft"
DEFAULT_TIMEOUT_S = 24 * 3600.0
DEFAULT_STALL_TIMEOUT_S = 1800.0
HEARTBEAT_ENV = "XLLM_HEARTBEAT_FILE"
DEADLINE_ENV = "XLLM_JOB_DEADLINE"  # epoch seconds; an in-process job checks it every step
# torchrun's notice at every launch with a rendezvous backend other than "static" (accelerate always
# passes the master_addr it names): true and of no use in a job's log.
LAUNCHER_NOTICE = re.compile(r"master_addr is only used for static rdzv_backend")


class TrainingJobError(RuntimeError):
    """The launched job exited non-zero; the message carries its exit code and last log lines."""


def job_workspace(root: Path) -> Path:
    """A fresh work folder for one run of a job, ``<root>/run-<time>-<pid>``; folders of runs whose
    process is gone are removed first (a job's output is moved out of its folder once saved)."""
    root.mkdir(parents=True, exist_ok=True)
    for old in root.glob("run-*-*"):
        pid = old.name.rsplit("-", 1)[-1]
        if pid.isdigit() and int(pid) != os.getpid() and not process_alive(int(pid)):
            shutil.rmtree(old, ignore_errors=True)
    folder = root / f"run-{time.strftime('%Y%m%dT%H%M%S')}-{time.monotonic_ns() % 10**6:06d}-{os.getpid()}"
    folder.mkdir()
    return folder


def run_params(cfg: TrainConfig) -> dict:
    """A training child run's params: ``training.<key>`` for every resolved hyperparameter, and the data
    mix's size (``data.examples``, lines of the JSONL) and content hash (``data.sha256``); without the
    file, the job itself reports it missing."""
    params = {f"training.{k}": v for k, v in cfg.hyperparameters().items()}
    if not Path(cfg.train_file).is_file():
        return params
    digest, lines = hashlib.sha256(), 0
    with open(cfg.train_file, "rb") as fh:
        for line in fh:
            digest.update(line)
            lines += bool(line.strip())
    return {**params, "data.examples": lines, "data.sha256": digest.hexdigest()}


def launch_command(accelerate_config: str | Path, job_config: str | Path, entry_point: str = ENTRY_POINT) -> list[str]:
    """The exact command a user could also run by hand on a GPU machine (training, or evaluation's
    generation job as ``entry_point``)."""
    accelerate = Path(sys.executable).with_name("accelerate")
    return [str(accelerate), "launch", "--config_file", str(accelerate_config), *rendezvous_flags(accelerate_config),
            "-m", entry_point, "--config", str(job_config)]


def rendezvous_flags(accelerate_config: str | Path) -> list[str]:
    """``--rdzv_backend`` from the YAML's ``rdzv_backend``: accelerate 1.x reads every other key of the file
    but keeps its own default ("static") for this one unless it is given on the command line."""
    path = Path(accelerate_config)
    backend = (yaml.safe_load(path.read_text()) or {}).get("rdzv_backend") if path.is_file() else None
    return ["--rdzv_backend", str(backend)] if backend else []


def job_environment(accelerate_config: Path, cpu_threads: int | None = None) -> dict[str, str]:
    """What the launch needs beyond the YAML: multi-process CPU (gloo) needs ACCELERATE_USE_CPU set, and
    CPU threads per process are set here (the YAML has no key for them): ``cpu_threads``
    (``launcher.cpu_threads``), else cores / processes as accelerate would pick, with a notice at every
    launch. An OMP_NUM_THREADS already in the environment wins. A single-node CPU job keeps gloo on the
    loopback interface."""
    if not accelerate_config.exists():
        raise FileNotFoundError(f"accelerate config not found: {accelerate_config} (parameters launcher.accelerate_config)")
    settings = yaml.safe_load(accelerate_config.read_text()) or {}
    if not settings.get("use_cpu"):
        return {}
    env = {"ACCELERATE_USE_CPU": "true"}
    if int(settings.get("num_machines", 1) or 1) == 1 and "lo" in {name for _, name in socket.if_nameindex()}:
        env["GLOO_SOCKET_IFNAME"] = "lo"  # gloo's peer sockets on loopback too, not on the host name's address
    if "OMP_NUM_THREADS" not in os.environ:
        env["OMP_NUM_THREADS"] = str(cpu_threads or max(1, len(os.sched_getaffinity(0))
                                                        // int(settings.get("num_processes", 1))))
    return env


def run_job(cmd: list[str], env: dict[str, str], *, name: str | None = None, timeout_s: float | None = None,
            stall_timeout_s: float | None = None, heartbeat: Path | None = None, tail_lines: int = 40) -> None:
    """Stream the job's output into the log; raise TrainingJobError with the tail if it fails or overruns.

    The job runs in a new session (its own process group), and its descendants are remembered while it
    runs (torchrun puts each worker in a session of its own): a timeout kills every process it started,
    and so does its end, so a worker left behind by an exiting launcher cannot outlive the job.
    """
    name = name or " ".join(cmd[-2:])
    timeout_s = timeout_s or DEFAULT_TIMEOUT_S
    stall_timeout_s = stall_timeout_s or DEFAULT_STALL_TIMEOUT_S
    tail: deque[str] = deque(maxlen=tail_lines)
    last_output = [time.monotonic()]
    env = {**env, **({HEARTBEAT_ENV: str(heartbeat)} if heartbeat else {})}
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1,
                            start_new_session=True)

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            line = line.rstrip()
            tail.append(line)
            last_output[0] = time.monotonic()
            if not LAUNCHER_NOTICE.search(line):
                log.info("%s | %s", name, line)  # no [brackets]: the rich console would take them for markup

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    processes = JobProcesses(proc)
    start, why = time.monotonic(), None
    while proc.poll() is None:
        time.sleep(0.5)
        processes.refresh()
        now = time.monotonic()
        beat = now - (time.time() - heartbeat.stat().st_mtime) if heartbeat and heartbeat.exists() else start
        if now - start > timeout_s:
            why = f"ran past launcher.timeout_s = {timeout_s:g} s"
        elif now - max(last_output[0], beat) > stall_timeout_s:
            why = f"gave no heartbeat or output for launcher.stall_timeout_s = {stall_timeout_s:g} s"
        if why:
            processes.end()
            break
    processes.end(grace_s=0)
    proc.wait()
    reader.join(timeout=5)
    if why:
        raise TrainingJobError(f"training job {name} {why}; its process group was killed. Last lines:\n"
                               + "\n".join(tail))
    if proc.returncode != 0:
        raise TrainingJobError(f"training job {name} exited with code {proc.returncode}: {' '.join(cmd)}\n"
                               + "\n".join(tail))


def run_on_slurm(cmd: list[str], accelerate_config: Path, env: dict[str, str], workdir: str | Path, *, name: str,
                 slurm: dict | None, timeout_s: float | None = None, stall_timeout_s: float | None = None) -> None:
    """``run_job`` for ``launcher.backend: slurm``: the same command as a Slurm job, its id tagged on the
    active MLflow run; a job that does not complete raises TrainingJobError with Slurm's state."""
    workdir = Path(workdir).resolve()
    try:
        run_slurm_job(cmd, Path(accelerate_config), {**env, HEARTBEAT_ENV: str(workdir / "heartbeat")}, workdir, slurm,
                      name=name, timeout_s=timeout_s or DEFAULT_TIMEOUT_S,
                      stall_timeout_s=stall_timeout_s or DEFAULT_STALL_TIMEOUT_S, heartbeat=workdir / "heartbeat",
                      on_submit=lambda job_id: mlflow.set_tag("slurm_job_id", job_id))
    except SlurmJobError as err:
        raise TrainingJobError(str(err)) from err


def run_in_process(accelerate_config: Path, job_config: Path, env: dict[str, str], entry_point: str = ENTRY_POINT) -> None:
    """Run the entry point here, with ``env`` set for its duration; only a one-process config may."""
    settings = yaml.safe_load(accelerate_config.read_text()) or {}
    if settings.get("num_processes", 1) != 1 or settings.get("num_machines", 1) != 1:
        raise ValueError(f"parameters launcher.in_process needs a one-process accelerate config; "
                         f"{accelerate_config} has num_processes={settings.get('num_processes')}")
    main = importlib.import_module(entry_point).main
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    threads = torch.get_num_threads()  # this process's pool is up already: OMP_NUM_THREADS comes too late
    torch.set_num_threads(int(env.get("OMP_NUM_THREADS") or threads))
    try:
        main(["--config", str(job_config)])
    except Exception as err:
        raise TrainingJobError(f"job {job_config} failed in process: {err}") from err
    finally:
        torch.set_num_threads(threads)
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def train_with_accelerate(cfg: TrainConfig, accelerate_config: str | Path, workdir: str | Path, run_name: str,
                          extra_env: dict[str, str] | None = None, in_process: bool = False,
                          timeout_s: float | None = None, stall_timeout_s: float | None = None,
                          backend: str = "local", slurm: dict | None = None, cpu_threads: int | None = None) -> Path:
    """Write the job config, launch the job in an MLflow child run and return the model directory.

    ``backend`` ``local`` runs the job on this machine; ``slurm`` submits it with the ``slurm`` settings
    (``in_process`` then does not apply) and waits for it.

    The child run is nested under whatever run is active (kedro-mlflow's); it ends FAILED if the job fails
    or overruns ``timeout_s`` (an in-process job stops itself at the deadline, between steps).
    """
    accelerate_config = Path(accelerate_config)
    job_env = {**(extra_env or {}), **job_environment(accelerate_config, cpu_threads)}
    job_config = Path(workdir) / "job.json"
    cfg.save(job_config)
    with mlflow.start_run(run_name=run_name, nested=mlflow.active_run() is not None) as run:
        tag_process(run.info.run_id)
        mlflow.set_tags({"checkpoint_dir": str(cfg.checkpoints.resolve()), "output_dir": str(Path(cfg.output_dir).resolve()),
                         "accelerate_config": str(accelerate_config), "backend": backend,
                         "in_process": str(in_process and backend == "local").lower()})
        mlflow.log_params(run_params(cfg))
        job_env.update(MLFLOW_RUN_ID=run.info.run_id, MLFLOW_TRACKING_URI=mlflow.get_tracking_uri())
        if backend == "slurm":
            run_on_slurm(launch_command(accelerate_config, job_config), accelerate_config, {**os.environ, **job_env},
                         workdir, name=run_name, slurm=slurm, timeout_s=timeout_s, stall_timeout_s=stall_timeout_s)
        elif backend != "local":
            raise ValueError(f"parameters launcher.backend must be local or slurm, got {backend!r}")
        elif in_process:
            job_env[DEADLINE_ENV] = str(time.time() + (timeout_s or DEFAULT_TIMEOUT_S))
            run_in_process(accelerate_config, job_config, job_env)
        else:
            run_job(launch_command(accelerate_config, job_config), {**os.environ, **job_env}, name=run_name,
                    timeout_s=timeout_s, stall_timeout_s=stall_timeout_s, heartbeat=Path(workdir) / "heartbeat")
    return Path(cfg.output_dir)
