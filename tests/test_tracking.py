"""What a researcher compares after a run: the MLflow store of ``kedro run --env test``, read directly,
and the comparison notebook executed on the project's own Kedro context."""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
from collections import defaultdict
from pathlib import Path

import pandas as pd
import pytest

from .conftest import PROJECT_ROOT

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def child_params(root, kind: str = "train") -> dict[str, dict[str, str]]:
    """Each ``<kind>/<experiment>`` child run's params, by run name, from the run's ``mlflow.db``."""
    with sqlite3.connect(root / "mlflow.db") as db:
        rows = db.execute(
            "select r.name, p.key, p.value from runs r join experiments e on r.experiment_id = e.experiment_id "
            "join params p on p.run_uuid = r.run_uuid where e.name = 'xllm_kedro_test' and r.name like ?",
            (f"{kind}/%",)).fetchall()
    params: dict[str, dict[str, str]] = defaultdict(dict)
    for name, key, value in rows:
        params[name][key] = value
    return params


def test_training_runs_compare_by_their_params(test_run):
    params = child_params(test_run)
    assert {"train/x_zh", "train/m_all", "train/sweep_zh_10", "train/sweep_zh_40"} <= set(params)
    assert len({frozenset(p) for p in params.values()}) == 1  # the same keys in every job
    small, large = params["train/sweep_zh_10"], params["train/sweep_zh_40"]
    # the sweep varies the data and no hyperparameter
    assert {k for k in small if small[k] != large[k] and k.startswith("training.")} == set()
    assert small["data.sha256"] != large["data.sha256"]
    for run, exp in ((small, "sweep_zh_10"), (large, "sweep_zh_40")):
        mix = test_run / "data" / "05_model_input" / "mixes" / f"{exp}.jsonl"
        assert int(run["data.examples"]) == sum(1 for line in mix.open(encoding="utf-8") if line.strip())
        [job_file] = (test_run / "data" / "06_models" / "jobs" / exp).glob("run-*/train.jsonl")
        assert run["data.sha256"] == hashlib.sha256(job_file.read_bytes()).hexdigest()
    assert int(large["data.examples"]) > int(small["data.examples"])


def test_evaluation_runs_compare_by_their_params(test_run):
    params = child_params(test_run, "eval")
    assert {"eval/x_zh", "eval/m_all", "eval/sweep_zh_10"} <= set(params)
    assert len({frozenset(p) for p in params.values()}) == 1  # the same keys in every evaluation
    assert {"evaluation.batch_size", "evaluation.seed", "data.examples", "data.sha256"} <= set(params["eval/x_zh"])
    assert len({tuple(v for k, v in sorted(p.items()) if k.startswith("evaluation.")) for p in params.values()}) == 1
    prompts = {name: (int(p["data.examples"]), p["data.sha256"]) for name, p in params.items()}
    # the sweep's models answer the same test prompts (translation), CoIT and MuIT the same larger set (QA too)
    assert prompts["eval/sweep_zh_10"] == prompts["eval/sweep_zh_40"]
    assert prompts["eval/x_zh"] == prompts["eval/m_all"] and prompts["eval/x_zh"][0] > prompts["eval/sweep_zh_10"][0]


def test_training_runs_name_their_model_and_the_run_its_runner(test_run):
    models = test_run / "data" / "06_models" / "x_zh"
    with sqlite3.connect(test_run / "mlflow.db") as db:
        runs = [dict(db.execute("select key, value from tags where run_uuid = ?", (uuid,)).fetchall())
                for (uuid,) in db.execute("select run_uuid from runs where name = 'train/x_zh'").fetchall()]
        runners = {v for (v,) in db.execute("select value from tags where key = 'runner'")}
    assert runs  # one per run that trained x_zh (other tests of the shared run may retrain it)
    for tags in runs:
        assert tags["model_dataset"] == "x_zh.model"
        assert Path(tags["model_path"]) == (models / tags["model_version"] / "x_zh").resolve()
        assert (Path(tags["model_path"]) / "config.json").exists()
        assert "output_dir" not in tags  # the job's folder, moved away when the model was saved
    assert runners == {"SequentialRunner"}


def test_comparison_notebook_runs_on_the_test_env(test_run, monkeypatch):
    import nbformat
    from nbclient import NotebookClient

    shutil.copytree(PROJECT_ROOT / "notebooks", test_run / "notebooks")
    monkeypatch.setenv("KEDRO_ENV", "test")
    notebook = nbformat.read(test_run / "notebooks" / "compare_runs.ipynb", as_version=4)
    NotebookClient(notebook, kernel_name="python3", timeout=600,
                   resources={"metadata": {"path": str(test_run / "notebooks")}}).execute()

    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]
    text = "".join(o.get("text", "") for o in outputs)
    assert "env test" in text and "xllm_kedro_test" in text and str(test_run / "mlflow.db") in text
    results = [o["data"] for o in outputs if o.output_type == "execute_result"]
    assert any("sweep_zh_40" in data.get("text/html", "") for data in results)  # the comparison table
    assert any("image/png" in data for data in results)  # the loss curves
    out = test_run / "data" / "08_reporting" / "compare_runs"
    table = pd.read_csv(out / "run_comparison.csv", index_col="experiment")
    assert {"x_zh", "m_all", "sweep_zh_10", "sweep_zh_40"} <= set(table.index)
    assert table.loc["sweep_zh_40", "data.examples"] > table.loc["sweep_zh_10", "data.examples"]
    assert table["train_loss"].notna().all() and "translation.chrf" in table.columns
    assert (out / "loss_curves.png").stat().st_size > 5000
    assert not (test_run / "notebooks" / "mlflow.db").exists()  # the project's store, not one beside the notebook
