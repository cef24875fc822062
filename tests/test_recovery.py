"""After a failed run, fixing the input and rerunning with ``--only-missing-outputs`` redoes only what is missing."""

from __future__ import annotations

import json
import sqlite3

import pytest

from .conftest import kedro, started_nodes

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_rerun_after_a_failure_redoes_only_the_missing_outputs(project):
    root = project
    qa = root / "data" / "01_raw" / "qa" / "zh.json"
    good = qa.read_text(encoding="utf-8")
    qa.write_text(json.dumps({"data": [{"paragraphs": [{"context": "c", "qas": [{"id": "1", "question": "q"}]}]}]}))

    failed = kedro(root, "run", "--env", "test", "--pipelines=data_preparation", check=False)
    assert failed.returncode != 0
    assert "missing key 'answers'" in failed.stdout + failed.stderr
    done_before = {p.relative_to(root) for p in (root / "data").rglob("*.jsonl")}
    assert done_before, "some nodes should have finished before the failing one"
    stamps = {p: (root / p).stat().st_mtime_ns for p in done_before}

    qa.write_text(good, encoding="utf-8")
    rerun = kedro(root, "run", "--env", "test", "--pipelines=data_preparation", "--only-missing-outputs")
    ran = " ".join(started_nodes(rerun.stdout + rerun.stderr))
    assert "prepare_qa_node" in ran
    assert all((root / p).stat().st_mtime_ns == t for p, t in stamps.items()), "a finished output was rewritten"
    assert (root / "data" / "03_primary" / "qa" / "zh.jsonl").exists()
    assert (root / "data" / "05_model_input" / "mixes" / "x_zh.jsonl").exists()
    with sqlite3.connect(root / "mlflow.db") as db:
        statuses = sorted(s for (s,) in db.execute("select status from runs order by start_time"))
    assert statuses == ["FAILED", "FINISHED"]  # the failed run is recorded as such, not left RUNNING
