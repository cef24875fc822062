"""MLflow runs left RUNNING by a killed process are marked KILLED at the start of the next run."""

from __future__ import annotations

import subprocess
import sys

import mlflow
from kedro.io import DataCatalog
from kedro.pipeline import Pipeline

from xllm_kedro.hooks import KilledRunsHook
from xllm_kedro.tracking import HOST_TAG, PID_TAG, tag_process


def test_runs_of_a_dead_process_and_their_children_are_marked_killed(mlflow_store):
    mlflow_store("killed_runs")
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = gone.stdout.strip()
    client = mlflow.MlflowClient()
    with mlflow.start_run(run_name="killed") as killed:
        tag_process(killed.info.run_id)
        client.set_tag(killed.info.run_id, PID_TAG, dead_pid)
        with mlflow.start_run(run_name="train/x", nested=True) as child:
            pass
    with mlflow.start_run(run_name="alive") as alive:
        tag_process(alive.info.run_id)
    for run in (killed, child, alive):  # as a SIGKILL leaves them
        client.update_run(run.info.run_id, status="RUNNING")
    untagged = client.create_run(client.get_experiment_by_name("killed_runs").experiment_id)

    with mlflow.start_run(run_name="this run") as current:
        KilledRunsHook().before_pipeline_run({}, Pipeline([]), DataCatalog())
        status = {name: client.get_run(run.info.run_id).info.status
                  for name, run in {"killed": killed, "child": child, "alive": alive, "current": current,
                                    "untagged": untagged}.items()}
        assert client.get_run(current.info.run_id).data.tags[HOST_TAG]
    assert status == {"killed": "KILLED", "child": "KILLED", "alive": "RUNNING", "current": "RUNNING",
                      "untagged": "RUNNING"}
