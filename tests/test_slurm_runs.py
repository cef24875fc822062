"""``kedro run`` with ``launcher.backend=slurm`` on the local single-node Slurm (``.ci/slurm start``): the
training and evaluation jobs of one run are in flight two at a time under ThreadRunner, each in its own
MLflow child run under the one parent run."""

from __future__ import annotations

import sqlite3
import subprocess
from datetime import datetime
from itertools import combinations

import pytest

from xllm_kedro.training.slurm import cluster_answers

from .conftest import kedro, scratch_project


pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.skipif(
    not cluster_answers(), reason="no Slurm cluster answers `sinfo`: start the local one with `.ci/slurm start`")]


def _times(job_id: str) -> tuple[datetime, datetime]:
    out = subprocess.run(["scontrol", "show", "job", "-o", job_id], capture_output=True, text=True, check=True).stdout
    fields = dict(item.split("=", 1) for item in out.split() if "=" in item)
    return datetime.fromisoformat(fields["StartTime"]), datetime.fromisoformat(fields["EndTime"])


def test_a_run_keeps_two_slurm_jobs_in_flight_under_one_parent_run(tmp_path):
    root = scratch_project(tmp_path)
    kedro(root, "run", "--env", "test", "--pipelines=data_preparation,instruction_tuning,evaluation", "--runner", "ThreadRunner",
          "--params", "launcher.backend=slurm,launcher.slurm.max_in_flight=2,training.max_steps=4")
    with sqlite3.connect(root / "mlflow.db") as db:
        runs = db.execute("select run_uuid, name, status from runs").fetchall()
        tags = {(run, key): value for run, key, value in db.execute("select run_uuid, key, value from tags")}
    children = {name: (uuid, status) for uuid, name, status in runs if name.startswith(("train/", "eval/"))}
    assert {"train/x_zh", "train/m_all", "train/sweep_zh_10", "train/sweep_zh_20", "train/sweep_zh_40"} <= set(children)
    assert {"eval/x_zh", "eval/m_all", "eval/sweep_zh_10"} <= set(children)
    assert all(status == "FINISHED" for _, status in children.values())
    parents = {tags[(uuid, "mlflow.parentRunId")] for uuid, _ in children.values()}
    assert len(parents) == 1 and parents <= {uuid for uuid, _, _ in runs}  # one parent: the run's own
    assert all(tags.get((uuid, "backend")) == "slurm" for uuid, _ in children.values())
    spans = [_times(tags[(uuid, "slurm_job_id")]) for uuid, _ in children.values()]
    overlaps = [a for a, b in combinations(spans, 2) if a[0] < b[1] and b[0] < a[1]]
    assert overlaps, f"no two jobs overlapped: {spans}"
    most = max(sum(s[0] <= start < s[1] for s in spans) for start, _ in spans)
    assert most <= 2  # launcher.slurm.max_in_flight
