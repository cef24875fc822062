"""Two runs of the same outputs cannot overlap: the second stops before any node, naming the holder's
PID and start time; a killed holder leaves no stale lock."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import pytest
from kedro.io import DataCatalog
from kedro.pipeline import Node, Pipeline

from xllm_kedro.hooks import RunLockHook
from xllm_kedro.locks import RunCollision

from .conftest import kedro

RUN = textwrap.dedent("""
    import sys, time
    from kedro.io import DataCatalog
    from kedro.pipeline import Node, Pipeline
    from xllm_kedro.hooks import RunLockHook
    pipeline = Pipeline([Node(lambda: 1, None, "x_zh.train_mix", name="mix"),
                         Node(lambda m: 2, "x_zh.train_mix", "x_zh.model", name="train")])
    hook = RunLockHook()
    try:
        hook.before_pipeline_run({"project_path": sys.argv[1]}, pipeline, DataCatalog())
    except Exception as err:
        print("REFUSED", err, flush=True)
        sys.exit(3)
    print("HOLDING", flush=True)
    time.sleep(float(sys.argv[2]))
    hook.after_pipeline_run()
""")


def _start(root, hold_s: float) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", RUN, str(root), str(hold_s)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "HOLDING"
    return proc


def _pipeline() -> Pipeline:
    return Pipeline([Node(lambda m: 2, "x_zh.train_mix", "x_zh.model", name="train")])


def test_a_second_run_of_the_same_experiment_is_refused_naming_the_holder(tmp_path):
    first = _start(tmp_path, 60)
    hook = RunLockHook()
    with pytest.raises(RunCollision) as err:
        hook.before_pipeline_run({"project_path": str(tmp_path)}, _pipeline(), DataCatalog())
    message = str(err.value)
    assert f"PID {first.pid}" in message and "'x_zh'" in message and "started 20" in message
    first.terminate()
    first.wait()
    hook.before_pipeline_run({"project_path": str(tmp_path)}, _pipeline(), DataCatalog())  # free again
    hook.after_pipeline_run()


def test_a_killed_holder_leaves_no_stale_lock(tmp_path):
    holder = _start(tmp_path, 600)
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait()
    hook = RunLockHook()
    hook.before_pipeline_run({"project_path": str(tmp_path)}, _pipeline(), DataCatalog())
    hook.on_pipeline_error()


def test_runs_of_other_outputs_do_not_wait_for_each_other(tmp_path):
    first = _start(tmp_path, 60)
    other = Pipeline([Node(lambda m: 2, "x_vi.train_mix", "x_vi.model", name="train")])
    hook = RunLockHook()
    hook.before_pipeline_run({"project_path": str(tmp_path)}, other, DataCatalog())
    hook.after_pipeline_run()
    first.terminate()
    first.wait()


@pytest.mark.e2e
@pytest.mark.slow
def test_two_kedro_runs_started_at_once_do_not_collide(project):
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    args = [str(__import__("pathlib").Path(sys.executable).with_name("kedro")), "run", "--env", "test",
            "--pipelines=data_preparation"]
    procs = [subprocess.Popen(args, cwd=project, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
             for _ in range(2)]
    outs = [p.communicate(timeout=1200)[0] for p in procs]
    codes = sorted(p.returncode for p in procs)
    assert codes[0] == 0 and codes[1] != 0, outs
    refused = next(out for p, out in zip(procs, outs) if p.returncode != 0)
    assert "another run is producing" in refused and "PID" in refused and "started" in refused
    kedro(project, "run", "--env", "test", "--pipelines=data_preparation", "--only-missing-outputs")
