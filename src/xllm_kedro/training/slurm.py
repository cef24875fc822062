"""The ``slurm`` launcher backend: the job's ``accelerate launch`` command in a generated sbatch script,
submitted with ``sbatch`` and watched with ``scontrol``/``squeue`` (``sacct`` once the controller forgets it).

One ``srun`` task per node runs accelerate; on several nodes each task passes its machine rank, the first
node's address and a port derived from the job id, all from Slurm's environment. The script records its
exit code beside the log, so a job's end is known even where Slurm keeps no accounting.
"""

from __future__ import annotations

import logging
import os
import re
import shlex
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Mapping

import yaml

log = logging.getLogger(__name__)
JOB_PREFIX = "xllm-"
ENDED = {"COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY", "BOOT_FAIL", "DEADLINE",
         "PREEMPTED", "SPECIAL_EXIT", "REVOKED"}
UNKNOWN_GRACE_S = 300.0  # a controller restart or a slow sacct is not the job's end
_SUBMITTING = threading.Lock()  # nodes under ThreadRunner: the count and the sbatch after it are one step


class SlurmJobError(RuntimeError):
    """A Slurm job ended in a state other than COMPLETED; the message has the state and the log's tail."""


@dataclass
class SlurmSettings:
    """``parameters launcher.slurm``: where and how large each job's allocation is."""

    partition: str | None = None
    nodes: int = 1
    gpus_per_node: int = 0
    cpus_per_task: int = 1
    time: str | None = None           # Slurm's own limit, e.g. "12:00:00"
    account: str | None = None
    extra: list[str] = field(default_factory=list)  # further directives, e.g. ["--qos=high", "--requeue"]
    max_in_flight: int = 4            # this project's jobs queued or running at once
    poll_s: float = 2.0

    @classmethod
    def from_dict(cls, values: Mapping | None, where: str = "parameters launcher.slurm") -> SlurmSettings:
        values = dict(values or {})
        unknown = sorted(set(values) - {f.name for f in fields(cls)})
        if unknown:
            raise ValueError(f"{where}: unknown keys {unknown}")
        settings = cls(**values)
        for key in ("nodes", "cpus_per_task", "max_in_flight"):
            if not isinstance(getattr(settings, key), int) or getattr(settings, key) < 1:
                raise ValueError(f"{where}.{key} must be a positive integer, got {getattr(settings, key)!r}")
        if not isinstance(settings.gpus_per_node, int) or settings.gpus_per_node < 0:
            raise ValueError(f"{where}.gpus_per_node must be a non-negative integer, got {settings.gpus_per_node!r}")
        if not isinstance(settings.extra, list) or not all(str(d).startswith("--") for d in settings.extra):
            raise ValueError(f"{where}.extra must be a list of sbatch options like '--qos=high', "
                             f"got {settings.extra!r}")
        return settings


def sbatch_script(cmd: list[str], accelerate_config: Path, settings: SlurmSettings, name: str, workdir: Path) -> str:
    """The batch script: directives, then one srun task per node running the accelerate command."""
    directives = [f"--job-name={JOB_PREFIX}{name}", f"--output={workdir}/slurm-%j.log", "--open-mode=append",
                  f"--chdir={Path.cwd()}",
                  f"--nodes={settings.nodes}", "--ntasks-per-node=1", f"--cpus-per-task={settings.cpus_per_task}"]
    directives += [f"--gpus-per-node={settings.gpus_per_node}"] if settings.gpus_per_node else []
    directives += [f"--{key}={getattr(settings, key)}" for key in ("partition", "time", "account")
                   if getattr(settings, key)]
    directives += [str(d) for d in settings.extra]
    accelerate = yaml.safe_load(accelerate_config.read_text()) or {}
    per_node = int(accelerate.get("num_processes", 1)) // max(int(accelerate.get("num_machines", 1) or 1), 1)
    # each process gets its share of the task's CPUs (accelerate's own default takes every core of the node)
    rendezvous = ["--main_process_port", "$PORT", "--num_cpu_threads_per_process",
                  str(max(1, settings.cpus_per_task // max(per_node, 1)))]
    if settings.nodes > 1:
        rendezvous += ["--num_machines", "$SLURM_NNODES", "--num_processes", f"$((SLURM_NNODES * {per_node}))",
                       "--machine_rank", "$SLURM_NODEID", "--main_process_ip", "$MAIN_ADDR"]
    launch = [*map(shlex.quote, cmd[:4]), *rendezvous, *map(shlex.quote, cmd[4:])]
    return "\n".join([
        "#!/bin/bash", *(f"#SBATCH {d}" for d in directives), "",
        "# The first node hosts the rendezvous; the port follows the job id so jobs sharing a node do not clash.",
        'export MAIN_ADDR=$(scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n 1)',
        "export PORT=$((20000 + SLURM_JOB_ID % 20000))",
        f"srun --kill-on-bad-exit=1 --ntasks-per-node=1 bash -c {shlex.quote('exec ' + ' '.join(launch))}",
        "code=$?",
        f'echo "$code" > {shlex.quote(str(workdir))}/"slurm-$SLURM_JOB_ID.exit"',
        "exit $code", ""])


def _slurm(*args: str) -> subprocess.CompletedProcess:
    """A Slurm client command; one that gets no answer in 60 s counts as a failed query, not an error."""
    try:
        return subprocess.run(args, capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        return subprocess.CompletedProcess(args, 124, "", f"{args[0]} timed out")


def cluster_answers(timeout_s: float = 20.0) -> bool:
    """Whether the Slurm client commands are here and a controller answers ``sinfo``."""
    if not shutil.which("sinfo"):
        return False
    try:
        return subprocess.run(["sinfo", "-h"], capture_output=True, timeout=timeout_s).returncode == 0
    except subprocess.TimeoutExpired:
        return False


def in_flight() -> int:
    """This user's jobs of this project that are pending or running."""
    out = _slurm("squeue", "-h", "-u", os.environ.get("USER") or str(os.getuid()), "-o", "%j")
    return sum(line.startswith(JOB_PREFIX) for line in out.stdout.splitlines())


def submit(script: Path, env: Mapping[str, str], settings: SlurmSettings) -> str:
    """Wait for a free slot under ``max_in_flight``, then ``sbatch`` the script; return the job id."""
    with _SUBMITTING:
        while in_flight() >= settings.max_in_flight:
            time.sleep(settings.poll_s)
        out = subprocess.run(["sbatch", "--parsable", str(script)], env=dict(env), capture_output=True, text=True,
                             timeout=60)
    if out.returncode != 0:
        raise SlurmJobError(f"sbatch {script} failed: {out.stderr.strip() or out.stdout.strip()}")
    return out.stdout.strip().split(";")[0]


def job_state(job_id: str) -> str | None:
    """The job's state from the controller, else from accounting; None when neither knows it."""
    out = _slurm("scontrol", "show", "job", "-o", job_id)
    match = re.search(r"\bJobState=(\S+)", out.stdout)
    if match:
        return match.group(1)
    out = _slurm("sacct", "-n", "-X", "-P", "-j", job_id, "-o", "State")
    states = out.stdout.split()
    return states[0].split()[0] if out.returncode == 0 and states else None


def cancel(job_id: str) -> None:
    _slurm("scancel", job_id)


class LogFollower:
    """Forwards new lines of the job's log into this process's log and keeps the last ones."""

    def __init__(self, path: Path, keep: int = 40):
        self.path, self.keep, self.offset, self.tail = path, keep, 0, []

    def poll(self) -> None:
        if not self.path.exists():
            return
        with self.path.open("rb") as fh:
            fh.seek(self.offset)
            chunk = fh.read()
        end = chunk.rfind(b"\n") + 1
        self.offset += end
        for line in chunk[:end].decode(errors="replace").splitlines():
            log.info("[slurm] %s", line)
            self.tail = (self.tail + [line])[-self.keep:]


def wait(job_id: str, workdir: Path, settings: SlurmSettings, name: str, timeout_s: float, stall_timeout_s: float,
         heartbeat: Path) -> None:
    """Follow the job until it ends; raise SlurmJobError with its state and log tail unless it COMPLETED.

    ``timeout_s`` and ``stall_timeout_s`` count from when the job starts running (queueing is not a stall);
    on either, or if this process is interrupted, the job is cancelled. A requeued job is followed on.
    """
    follower = LogFollower(workdir / f"slurm-{job_id}.log")
    exit_file = workdir / f"slurm-{job_id}.exit"
    started, state, why, unknown_since = None, None, None, time.time()
    try:
        while True:
            now, known = time.time(), job_state(job_id)
            follower.poll()
            if known is None and exit_file.exists():  # forgotten by the controller, no accounting: the script's code
                known = "COMPLETED" if exit_file.read_text().strip() == "0" else "FAILED"
            if known is None and now - unknown_since > UNKNOWN_GRACE_S:
                why = f"is unknown to scontrol and sacct for {UNKNOWN_GRACE_S:g} s"
                break
            unknown_since = unknown_since if known is None else now
            state = known or state
            if state in ENDED:
                break
            if state == "RUNNING":
                started = started or now
                beats = [p.stat().st_mtime for p in (heartbeat, follower.path) if p.exists()]
                if now - started > timeout_s:
                    why = f"ran past launcher.timeout_s = {timeout_s:g} s"
                elif now - max([started, *beats]) > stall_timeout_s:
                    why = f"gave no heartbeat or output for launcher.stall_timeout_s = {stall_timeout_s:g} s"
            elif state in ("PENDING", "REQUEUED", "REQUEUE_HOLD"):
                started = None
            if why:
                cancel(job_id)
                break
            time.sleep(settings.poll_s)
    except BaseException:
        cancel(job_id)
        raise
    follower.poll()
    if why or state != "COMPLETED":
        raise SlurmJobError(f"job {name} (Slurm job {job_id}) {why or 'ended ' + str(state)}; "
                            f"log {follower.path}. Last lines:\n" + "\n".join(follower.tail))


def run_slurm_job(cmd: list[str], accelerate_config: Path, env: Mapping[str, str], workdir: Path,
                  settings: Mapping | SlurmSettings | None, *, name: str, timeout_s: float, stall_timeout_s: float,
                  heartbeat: Path, on_submit=None) -> str:
    """Write the sbatch script in ``workdir``, submit it and follow it to its end; return the job id."""
    settings = settings if isinstance(settings, SlurmSettings) else SlurmSettings.from_dict(settings)
    script = workdir / "job.sbatch"
    script.write_text(sbatch_script(cmd, accelerate_config, settings, re.sub(r"[^\w.-]", "-", name), workdir))
    job_id = submit(script, env, settings)
    log.info("job %s submitted as Slurm job %s (%s)", name, job_id, script)
    if on_submit:
        on_submit(job_id)
    wait(job_id, workdir, settings, name, timeout_s, stall_timeout_s, heartbeat)
    return job_id
