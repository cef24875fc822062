"""The whole project, run as a user runs it: ``kedro run --env test`` in a copy of the project."""

from __future__ import annotations

import json
import re
import sqlite3

import pandas as pd
import pytest

from xllm_kedro.pipeline_registry import STAGES

from .conftest import kedro, started_nodes

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_every_stage_leaves_its_outputs(test_run):
    data = test_run / "data"
    for exp in ("x_zh", "m_all", "sweep_zh_10", "sweep_zh_20", "sweep_zh_40"):
        [version] = list((data / "06_models" / exp).iterdir())
        model_dir = version / exp
        assert (model_dir / "model.safetensors").exists() and (model_dir / "tokenizer.json").exists()
        summary = json.loads((model_dir / "train_summary.json").read_text())
        assert summary["steps"] > 0 and summary["dropped_no_room_for_response"] == 0
    results = pd.read_csv(data / "08_reporting" / "evaluation_results.csv")
    assert {"qa", "translation"} <= set(results["task"])
    assert set(results["metric"]) >= {"exact_match", "f1", "containment", "bleu", "chrf"}
    laws = json.loads((data / "08_reporting" / "scaling_laws.json").read_text())
    assert -1 < laws["zh"]["beta"] < 0 and laws["zh"]["alpha"] > 0
    assert (data / "08_reporting" / "scaling_laws.png").stat().st_size > 1000
    allocation = pd.read_csv(data / "08_reporting" / "allocation.csv")
    assert set(allocation["budget"]) == {10, 30}
    optimised = allocation[allocation["strategy"] == "optimised"]
    assert (optimised["X_zh"] - optimised["budget"]).abs().max() < 1e-9  # one language gets the whole budget


def test_mlflow_holds_the_run_and_one_finished_child_per_training_job(test_run):
    with sqlite3.connect(test_run / "mlflow.db") as db:
        runs = db.execute(
            "select r.run_uuid, r.name, r.status from runs r join experiments e on r.experiment_id = e.experiment_id "
            "where e.name = 'xllm_kedro_test'").fetchall()
        names = {name: status for _, name, status in runs}
        assert {f"train/{e}" for e in ("x_zh", "m_all", "sweep_zh_10")} <= set(names)
        assert all(status == "FINISHED" for status in names.values())
        child = next(uuid for uuid, name, _ in runs if name == "train/x_zh")
        steps = db.execute("select count(*) from metrics where run_uuid = ? and key = 'train_loss'", (child,)).fetchone()
        assert steps[0] > 1
        keys = {k for (k,) in db.execute("select distinct key from metrics")}
        assert "x_zh.qa.zh.f1" in keys and "scaling.zh.beta" in keys
        params = {k for (k,) in db.execute("select distinct key from params")}
        assert "training.learning_rate" in params


def test_only_missing_outputs_reruns_only_what_is_missing(test_run):
    models = test_run / "data" / "06_models"
    before = sorted(p.name for p in (models / "x_zh").iterdir())
    (test_run / "data" / "08_reporting" / "allocation.csv").unlink()
    proc = kedro(test_run, "run", "--env", "test", "--only-missing-outputs")
    ran = started_nodes(proc.stdout + proc.stderr)
    assert any("allocate_budget_node" in line for line in ran)
    expensive = ("train_model_node", "evaluate_model_node", "build_base_model_node")
    assert not [line for line in ran if any(e in line for e in expensive)]  # metric-only nodes may rerun
    assert (test_run / "data" / "08_reporting" / "allocation.csv").exists()
    assert sorted(p.name for p in (models / "x_zh").iterdir()) == before  # no model was retrained


def test_registry_lists_the_eight_pipelines_and_the_default(project):
    listed = kedro(project, "registry", "list").stdout
    names = set(re.findall(r"^- (\w+)$", listed, flags=re.MULTILINE))
    assert names == {"data_preparation", "instruction_tuning", "evaluation", "scaling_analysis", "allocation",
                     "representation_analysis", "budgeted", "mi_eval", "__default__"} == {*STAGES, "__default__"}


def test_instruction_tuning_alone_retrains_every_declared_model_identically(test_run):
    """``--pipelines=instruction_tuning,evaluation`` after a full run: every declared experiment is trained
    again from a rebuilt base model, and with the same seeds the weights and the scores come out the same."""
    from safetensors.torch import load_file

    models = test_run / "data" / "06_models"
    # the budgeted experiments belong to the `budgeted` pipeline (they need the allocation table)
    declared = sorted(p.name for p in models.iterdir() if p.name not in {"base_model", "jobs"} and "budget" not in p.name)
    assert {"x_zh", "m_all", "sweep_zh_10", "sweep_zh_20", "sweep_zh_40"} == set(declared)
    metrics_dir = test_run / "data" / "08_reporting" / "metrics"
    before = {p.name: json.loads(p.read_text()) for p in metrics_dir.glob("*.json")}
    proc = kedro(test_run, "run", "--env", "test", "--pipelines=instruction_tuning,evaluation")
    trained = {name.split(".")[1] for name in started_nodes(proc.stdout + proc.stderr)
               if name.startswith("instruction_tuning.") and name.endswith(".train_model_node")}
    assert trained == set(declared)
    for exp in declared:
        first, second = sorted((models / exp).iterdir())  # versions sort by time
        a = load_file(first / exp / "model.safetensors")
        b = load_file(second / exp / "model.safetensors")
        assert a.keys() == b.keys() and all(bool((a[k] == b[k]).all()) for k in a), exp
    after = {p.name: json.loads(p.read_text()) for p in metrics_dir.glob("*.json")}
    assert after == before and len(after) >= 4
