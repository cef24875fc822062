"""What ``kedro`` prints, as a user sees it (no PYTHONWARNINGS, none of the Makefile's variables): a
readable amount, no progress-bar fragments glued by '\\r', no warning blocks. The default run is too long
for the test suite; the test env runs the same pipelines, jobs and hooks on a smaller study."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from .conftest import KEDRO

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

LINE_BUDGET = 400  # the goal is 600 for the default run, which trains 30 jobs to this run's 5
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
    assert len(lines) < LINE_BUDGET, f"{len(lines)} lines"
    warnings = [line for line in lines if WARNING.search(line)]
    assert not warnings, "\n".join(warnings[:10])
    step_lines = [line for line in lines if re.search(r"train/\w+ \| step \d+/\d+ ", line)]
    assert step_lines  # the compact training lines, each naming its run
    # each experiment's training and evaluation says which of how many it is
    started = re.findall(r"(\w+): training, experiment (\d+) of (\d+)", log)
    assert started and sorted(int(k) for _, k, _ in started) == list(range(1, int(started[0][2]) + 1))
    assert re.search(r"\w+: evaluation, experiment 1 of \d+", log)


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
