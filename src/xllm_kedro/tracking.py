"""Which process an MLflow run belongs to, and the runs whose process died without ending them."""

from __future__ import annotations

import os
import socket

from mlflow.tracking import MlflowClient

from xllm_kedro.files import process_alive

PID_TAG, HOST_TAG = "xllm.pid", "xllm.host"


def tag_process(run_id: str, client: MlflowClient | None = None) -> None:
    """Record this process and host on the run, so a later run can tell if its owner is gone."""
    client = client or MlflowClient()
    for key, value in {PID_TAG: str(os.getpid()), HOST_TAG: socket.gethostname()}.items():
        client.set_tag(run_id, key, value)


def mark_killed_runs(client: MlflowClient | None = None) -> list[str]:
    """Set KILLED on every RUNNING run of this host whose process no longer exists, and on the RUNNING
    children of those; return their ids."""
    client = client or MlflowClient()
    experiments = [e.experiment_id for e in client.search_experiments()]
    if not experiments:
        return []
    running = client.search_runs(experiments, filter_string="attributes.status = 'RUNNING'", max_results=10000)
    host = socket.gethostname()
    dead = {r.info.run_id for r in running
            if r.data.tags.get(HOST_TAG) == host and r.data.tags.get(PID_TAG, "").isdigit()
            and not process_alive(int(r.data.tags[PID_TAG]))}
    dead |= {r.info.run_id for r in running if r.data.tags.get("mlflow.parentRunId") in dead}
    for run_id in sorted(dead):
        client.set_terminated(run_id, status="KILLED")
    return sorted(dead)
