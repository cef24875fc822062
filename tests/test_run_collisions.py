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
def test_a_kedro_run_started_while_another_holds_its_outputs_is_refused(project):
    holder = _start(project, 600)  # a run producing x_zh's outputs, under way
    refused = kedro(project, "run", "--env", "test", "--pipelines=data_preparation", check=False)
    out = (refused.stdout + refused.stderr).replace("\n", " ")
    assert refused.returncode != 0
    assert f"another run is producing 'x_zh': PID {holder.pid}" in " ".join(out.split()) and "started" in out
    assert not [p for d in (project / "data").glob("0[2-8]_*") for p in d.rglob("*") if p.is_file()]
    holder.terminate()
    holder.wait()
    kedro(project, "run", "--env", "test", "--pipelines=data_preparation")  # the lock is free again


def test_sessions_start_one_at_a_time(tmp_path):
    from xllm_kedro.locks import startup_lock

    held = startup_lock(tmp_path)
    waiter = subprocess.Popen([sys.executable, "-c", "import sys; from xllm_kedro.locks import startup_lock; "
                               "startup_lock(sys.argv[1]); print('STARTED', flush=True)", str(tmp_path)],
                              stdout=subprocess.PIPE, text=True)
    with pytest.raises(subprocess.TimeoutExpired):
        waiter.wait(timeout=3)  # it waits while the first session starts
    held.close()
    assert waiter.communicate(timeout=30)[0].strip() == "STARTED"


def test_a_session_that_never_reaches_its_catalog_delays_others_only_so_long(tmp_path):
    from xllm_kedro.locks import startup_lock

    held = startup_lock(tmp_path)
    assert startup_lock(tmp_path, wait_s=0.5) is None  # it starts anyway, with a warning
    held.close()
    startup_lock(tmp_path, wait_s=0.5).close()
