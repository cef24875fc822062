"""Run the training entry point under ``accelerate launch`` in a child process, tracked by an MLflow child run.

A single-process CPU job may instead run in the calling process (``in_process``): the same job config
and entry point, without the seconds of interpreter start and imports that dominate a tiny model's job.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections import deque
from pathlib import Path

import mlflow
import yaml

from xllm_kedro.training.config import TrainConfig

log = logging.getLogger(__name__)
ENTRY_POINT = "xllm_kedro.training.sft"


class TrainingJobError(RuntimeError):
    """The launched job exited non-zero; the message carries its exit code and last log lines."""


def launch_command(accelerate_config: str | Path, job_config: str | Path) -> list[str]:
    """The exact command a user could also run by hand on a GPU machine."""
    accelerate = Path(sys.executable).with_name("accelerate")
    return [str(accelerate), "launch", "--config_file", str(accelerate_config), "-m", ENTRY_POINT,
            "--config", str(job_config)]


def run_job(cmd: list[str], env: dict[str, str], *, tail_lines: int = 40) -> None:
    """Stream the job's output into the log; raise TrainingJobError with the tail if it fails."""
    tail: deque[str] = deque(maxlen=tail_lines)
    with subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            line = line.rstrip()
            tail.append(line)
            log.info("[train] %s", line)
        rc = proc.wait()
    if rc != 0:
        raise TrainingJobError(f"training job exited with code {rc}: {' '.join(cmd)}\n" + "\n".join(tail))


def run_in_process(accelerate_config: Path, job_config: Path, env: dict[str, str]) -> None:
    """Run the entry point here, with ``env`` set for its duration; only a one-process config may."""
    settings = yaml.safe_load(accelerate_config.read_text()) or {}
    if settings.get("num_processes", 1) != 1 or settings.get("num_machines", 1) != 1:
        raise ValueError(f"parameters launcher.in_process needs a one-process accelerate config; "
                         f"{accelerate_config} has num_processes={settings.get('num_processes')}")
    from xllm_kedro.training.sft import main

    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        main(["--config", str(job_config)])
    except Exception as err:
        raise TrainingJobError(f"training job {job_config} failed in process: {err}") from err
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def train_with_accelerate(cfg: TrainConfig, accelerate_config: str | Path, workdir: str | Path, run_name: str,
                          extra_env: dict[str, str] | None = None, in_process: bool = False) -> Path:
    """Write the job config, launch the job in an MLflow child run and return the model directory.

    The child run is nested under whatever run is active (kedro-mlflow's); it ends FAILED if the job fails.
    """
    accelerate_config = Path(accelerate_config)
    if not accelerate_config.exists():
        raise FileNotFoundError(f"accelerate config not found: {accelerate_config} (parameters launcher.accelerate_config)")
    job_config = Path(workdir) / "job.json"
    cfg.save(job_config)
    job_env = dict(extra_env or {})
    if (yaml.safe_load(accelerate_config.read_text()) or {}).get("use_cpu"):
        job_env["ACCELERATE_USE_CPU"] = "true"  # multi-process CPU (gloo) needs it; the YAML key alone is not enough
    with mlflow.start_run(run_name=run_name, nested=mlflow.active_run() is not None) as run:
        mlflow.set_tags({"checkpoint_dir": str(cfg.checkpoints.resolve()), "output_dir": str(Path(cfg.output_dir).resolve()),
                         "accelerate_config": str(accelerate_config), "in_process": str(in_process).lower()})
        job_env.update(MLFLOW_RUN_ID=run.info.run_id, MLFLOW_TRACKING_URI=mlflow.get_tracking_uri())
        if in_process:
            run_in_process(accelerate_config, job_config, job_env)
        else:
            run_job(launch_command(accelerate_config, job_config), {**os.environ, **job_env})
    return Path(cfg.output_dir)
