"""Recovery that notices staleness: with ``--only-missing-outputs`` an output whose inputs or parameters
changed since it was made is remade, with what is made from it, and nothing else is."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from kedro.framework.hooks import _create_hook_manager
from kedro.io import DataCatalog, MemoryDataset
from kedro.pipeline import Node, Pipeline
from kedro.runner import SequentialRunner
from kedro_datasets.json import JSONDataset

from xllm_kedro.hooks import FingerprintHook

from .conftest import kedro, started_nodes

ran: Counter = Counter()


def _node(name, func, inputs, output):
    def run(*args):
        ran[name] += 1
        return func(*args)
    return Node(run, inputs, output, name=name)


PIPELINE = Pipeline([
    _node("clean", lambda raw, k: {"v": raw["v"] * k}, ["raw", "params:k"], "mid"),
    _node("mix", lambda mid: {"v": mid["v"] + 1}, "mid", "out"),
    _node("other", lambda raw2: raw2, "raw2", "other"),
])


def _run(root: Path, k: int, pipeline=PIPELINE, recovery: bool = True) -> set[str]:
    catalog = DataCatalog({name: JSONDataset(filepath=str(root / f"{name}.json"))
                           for name in ("raw", "raw2", "mid", "out", "other")})
    catalog["params:k"] = MemoryDataset(k)
    hook = FingerprintHook()
    manager = _create_hook_manager()
    manager.register(hook)
    ran.clear()
    hook.before_pipeline_run({"project_path": str(root), "only_missing_outputs": recovery}, pipeline, catalog)
    SequentialRunner().run(pipeline, catalog, manager, only_missing_outputs=recovery)
    return set(ran)


def _write(path: Path, value) -> None:
    time.sleep(0.01)  # a new modification time even on coarse clocks
    path.write_text(json.dumps(value))


def test_recovery_remakes_stale_outputs_and_only_those(tmp_path):
    _write(tmp_path / "raw.json", {"v": 1})
    _write(tmp_path / "raw2.json", {"v": 5})
    assert _run(tmp_path, 2, recovery=False) == {"clean", "mix", "other"}
    assert _run(tmp_path, 2) == set()  # nothing changed: nothing is redone
    _write(tmp_path / "raw.json", {"v": 1})
    assert _run(tmp_path, 2) == set()  # rewritten with the same content: still nothing

    _write(tmp_path / "raw.json", {"v": 3})
    assert _run(tmp_path, 2) == {"clean", "mix"}
    assert json.loads((tmp_path / "out.json").read_text()) == {"v": 7}

    assert _run(tmp_path, 4) == {"clean", "mix"}  # a parameter changed
    assert json.loads((tmp_path / "out.json").read_text()) == {"v": 13}

    _write(tmp_path / "raw.json", {"v": 10})  # a run killed after 'clean' saved, before 'mix'
    assert _run(tmp_path, 4, PIPELINE.only_nodes("clean"), recovery=False) == {"clean"}
    assert _run(tmp_path, 4) == {"mix"}
    assert json.loads((tmp_path / "out.json").read_text()) == {"v": 41}


def test_an_output_without_a_record_is_remade(tmp_path):
    for name, value in {"raw": {"v": 1}, "raw2": {"v": 5}, "mid": {"v": 0}, "out": {"v": 0}, "other": {"v": 5}}.items():
        _write(tmp_path / f"{name}.json", value)
    assert _run(tmp_path, 2) == {"clean", "mix", "other"}  # made before records existed: remade once
    assert _run(tmp_path, 2) == set()


@pytest.mark.e2e
@pytest.mark.slow
def test_sigkill_during_data_preparation_then_recovery_gives_mixes_of_the_new_inputs(project):
    kedro(project, "run", "--env", "test", "--pipelines=data_preparation")
    alpaca = project / "data" / "01_raw" / "alpaca" / "zh.json"
    records = json.loads(alpaca.read_text(encoding="utf-8"))
    records[0]["output"] = "全新的回答"
    alpaca.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")

    args = [str(Path(sys.executable).with_name("kedro")), "run", "--env", "test", "--pipelines=data_preparation"]
    proc = subprocess.Popen(args, cwd=project, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, "COLUMNS": "200"}, start_new_session=True)
    seen = []
    for line in proc.stdout:
        seen.append(line)
        if started_nodes(line) == ["data_preparation.zh.prepare_alpaca_node"]:  # killed inside the node
            os.killpg(proc.pid, signal.SIGKILL)
            break
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, "".join(seen[-40:])
    mix = project / "data" / "05_model_input" / "mixes" / "x_zh.jsonl"
    assert "全新的回答" not in mix.read_text(encoding="utf-8")  # the killed run never reached the mixes

    recovery = kedro(project, "run", "--env", "test", "--pipelines=data_preparation", "--only-missing-outputs")
    text = recovery.stdout + recovery.stderr
    redone = set(started_nodes(text))
    assert any("x_zh" in n for n in redone) and any("m_all" in n for n in redone), redone
    assert not any("parallel" in n or "translation" in n or n.startswith("en.") for n in redone), redone
    assert "全新的回答" in mix.read_text(encoding="utf-8")
    assert not list((project / "data").rglob(".*.partial"))
    with sqlite3.connect(project / "mlflow.db") as db:
        statuses = [s for (s,) in db.execute("select status from runs where status = 'RUNNING'")]
    assert statuses == []  # the killed run is marked KILLED
