"""What ``kedro`` prints, as a user sees it (no PYTHONWARNINGS, none of the Makefile's variables): a
readable amount, no progress-bar fragments glued by '\\r', no warning blocks. The default run is too long
for the test suite; the test env runs the same pipelines, jobs and hooks on a smaller study."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from xllm_kedro.training.config import TrainConfig

from .conftest import KEDRO, started_nodes

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

# The goal is 600 lines for the default run: 134 nodes and 35 training jobs to this run's 35 and 5.
# A node prints one line, a job about step_lines + 2, an experiment's evaluation one: about 400 in all.
LINE_BUDGET = 120
STEP_LINES = TrainConfig(base_model_dir="", train_file="", output_dir="").step_lines  # conf/test keeps the default
WARNING = re.compile(r"\b\w*Warning\b:")
# What the Makefile exports and a user's shell need not: offline hubs and quiet tokenizers are settings of
# the machine; telemetry and warnings are the project's own business (src/xllm_kedro/quiet.py).
MACHINE = ("PATH", "HOME", "PYTHONPATH", "HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE",
           "TOKENIZERS_PARALLELISM")

MLFLOW_IMPORT_WATCH = """
import builtins, os, sys
seen, _import = {}, builtins.__import__
def watching(name, *args, **kwargs):
    module = _import(name, *args, **kwargs)
    if "mlflow" in sys.modules and "env" not in seen:
        seen["env"] = os.environ.get("MLFLOW_DISABLE_TELEMETRY")
    return module
builtins.__import__ = watching
from kedro.framework.cli.cli import main
sys.argv = ["kedro", "registry", "list"]
try:
    main()
finally:
    print("MLFLOW_DISABLE_TELEMETRY as mlflow was imported:", seen.get("env"))
"""


def test_a_run_prints_within_its_line_budget_without_fragments_or_warnings(test_run):
    log = (test_run / "run.log").read_text(encoding="utf-8")
    assert "\r" not in log
    lines = log.splitlines()
    nodes = started_nodes(log)
    total = int(re.search(r"Running node 1/(\d+): ", log).group(1))
    assert len(nodes) == total  # one line per node, counted over the run
    assert re.search(rf"Run completed: {total} nodes in \d+ s", log)
    assert len(lines) < LINE_BUDGET, f"{len(lines)} lines"
    warnings = [line for line in lines if WARNING.search(line)]
    assert not warnings, "\n".join(warnings[:10])
    # each experiment's training and evaluation says which of how many it is
    started = re.findall(r"(\w+): training, experiment (\d+) of (\d+)", log)
    assert started and sorted(int(k) for _, k, _ in started) == list(range(1, int(started[0][2]) + 1))
    assert re.search(r"\w+: evaluation, experiment 1 of \d+", log)
    jobs = len(started)
    step_lines = [line for line in lines if re.search(r"train/\w+ \| step \d+/\d+ ", line)]
    assert jobs <= len(step_lines) <= jobs * (STEP_LINES + 1)  # a handful per job, however long
    assert len(re.findall(r"comet skipped", log)) == 1  # a notice each evaluation repeats is said once


def test_the_log_file_holds_what_the_console_leaves_out(test_run):
    """info.log (conf/logging.yml) has every line of the console and Kedro's own per node and dataset."""
    printed = (test_run / "run.log").read_text(encoding="utf-8")
    logged = (test_run / "info.log").read_text(encoding="utf-8")
    nodes = started_nodes(printed)
    assert nodes and all(f"Completed node: {name}" in logged for name in nodes)
    assert f"Completed {len(nodes)} out of {len(nodes)} tasks" in logged
    assert "Completed node" not in printed and "Loading data from" not in printed
    assert "Loading data from" in logged and "Saving data to" in logged
    assert re.search(r"train/\w+ \| step \d+/\d+ ", logged) and "Running node 1/" in logged


def test_the_kedro_command_is_quiet_without_the_makefile(project):
    """Kedro's configuration, kedro-mlflow and kedro-viz warn as they load, and MLflow starts its
    telemetry as it is imported: settings.py, which the CLI imports before any plugin, sees to both, so
    the environment needs none of the Makefile's variables."""
    env = {k: os.environ[k] for k in MACHINE if k in os.environ} | {"COLUMNS": "200"}
    for args in (["registry", "list"], ["registry", "describe", "allocation"]):
        proc = subprocess.run([KEDRO, *args], cwd=project, env=env, capture_output=True, text=True, timeout=600)
        printed = proc.stdout + proc.stderr
        assert proc.returncode == 0, printed[-3000:]
        assert not WARNING.search(printed), printed[-3000:]
        assert "telemetry" not in printed.lower(), printed[-3000:]
    # the same command, watched for the environment MLflow finds as it is imported (its telemetry starts then)
    proc = subprocess.run([sys.executable, "-c", MLFLOW_IMPORT_WATCH], cwd=project, env=env, capture_output=True,
                          text=True, timeout=600)
    assert "MLFLOW_DISABLE_TELEMETRY as mlflow was imported: true" in proc.stdout, proc.stdout + proc.stderr[-3000:]
