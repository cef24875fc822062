"""A save killed by SIGKILL leaves the previous content intact, for every kind of dataset a catalog of
the project saves (kedro-datasets, kedro-mlflow wrappers and the project's own), and the next run
removes the temporary sibling it left.

The kill comes at the worst moment: the new content is fully written and only the rename is left (the
child kills itself when ``os.replace`` is called). A dataset that wrote in place would never call it,
finish the save and fail the test.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
from pathlib import Path

import pandas as pd
import pytest
import yaml
from kedro.io import AbstractDataset, DataCatalog
from kedro.pipeline import Node, Pipeline

from xllm_kedro.hooks import LocalFilesHook

from ..conftest import PROJECT_ROOT

WRAPPER = "kedro_mlflow.io.artifacts.MlflowArtifactDataset"
READ_ONLY = {  # catalog types that load only: nothing to make atomic
    "xllm_kedro.datasets.ParallelCorpusDataset", "xllm_kedro.datasets.MonolingualTextDataset",
    "huggingface.HFDataset", "xllm_kedro.datasets.HubDataset", "kedro_mlflow.io.metrics.MlflowMetricsHistoryDataset",
}


def _figure(title):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.set_title(title)
    ax.plot(range(50))
    return fig


def _model_dir(parent: Path, tag: str) -> Path:
    folder = parent / f"job_{tag}"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({"model_type": "llama", "tag": tag}))
    return folder


# kind -> (file name, old value, new value); values are factories taking a scratch folder
KINDS = {
    "pandas.CSVDataset": ("t.csv", lambda d: pd.DataFrame({"a": [1]}), lambda d: pd.DataFrame({"a": range(999)})),
    "json.JSONDataset": ("t.json", lambda d: {"v": 1}, lambda d: {"v": list(range(999))}),
    "text.TextDataset": ("t.md", lambda d: "old\n", lambda d: "new " * 999),
    "matplotlib.MatplotlibDataset": ("t.png", lambda d: _figure("old"), lambda d: _figure("new")),
    "xllm_kedro.datasets.JsonLinesDataset": ("t.jsonl", lambda d: [{"v": 1}], lambda d: [{"v": i} for i in range(999)]),
    "xllm_kedro.datasets.InstructionDataset": ("t.jsonl", lambda d: [{"instruction": "a", "input": "", "output": "b"}],
                                               lambda d: [{"instruction": "c", "input": "", "output": "d"}] * 99),
    "xllm_kedro.datasets.ReportDataset": ("t.json", lambda d: {"kept": 1}, lambda d: {"kept": 999}),
    "xllm_kedro.datasets.HFModelDataset": ("model", lambda d: _model_dir(d, "old"), lambda d: _model_dir(d, "new")),
}


def catalog_kinds() -> set[str]:
    """Every dataset type the project's catalogs declare; a wrapper counts as ``wrapper(inner)``."""
    kinds = set()
    for path in (PROJECT_ROOT / "conf").glob("*/catalog.yml"):
        for name, entry in (yaml.safe_load(path.read_text()) or {}).items():
            if isinstance(entry, dict) and "type" in entry and not name.startswith("_"):
                inner = (entry.get("dataset") or {}).get("type")
                kinds.add(f"{entry['type']}({inner})" if inner else entry["type"])
    return kinds


def _config(kind: str, folder: Path) -> dict:
    wrapper, _, inner = kind.partition("(")
    inner = inner.rstrip(")")
    name = KINDS[inner or wrapper][0]
    config = {"type": inner or wrapper, "filepath": str(folder / name)}
    if wrapper == "xllm_kedro.datasets.HFModelDataset":
        config["versioned"] = True
    return {"type": wrapper, "dataset": config} if inner else config


def _save(config: dict, value, version: str | None, kill: bool) -> None:
    """Save ``value`` through a catalog prepared by the project's hook, as a run does."""
    dataset = AbstractDataset.from_config("out", config, save_version=version)
    catalog = DataCatalog({"out": dataset})
    LocalFilesHook().before_pipeline_run({}, Pipeline([Node(lambda: None, None, "out", name="n")]), catalog)
    if kill:
        os.replace = lambda *a, **k: os.kill(os.getpid(), signal.SIGKILL)
    catalog.save("out", value)


def _state(folder: Path) -> dict[str, bytes]:
    """Every visible file under ``folder``, by relative path (temporary siblings are hidden)."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and not any(part.startswith(".") for part in p.relative_to(folder).parts)}


def test_every_saving_catalog_type_is_covered():
    wrapped = {k for k in catalog_kinds() if "(" in k}
    assert {k.split("(")[0] for k in wrapped} == {WRAPPER}
    uncovered = {k for k in catalog_kinds() - READ_ONLY if k.split("(")[-1].rstrip(")") not in KINDS}
    assert uncovered == set()


@pytest.mark.parametrize("kind", sorted(set(KINDS) | {k for k in catalog_kinds() if "(" in k}))
def test_a_save_killed_before_its_rename_keeps_the_previous_content(tmp_path, kind):
    folder, scratch = tmp_path / "out", tmp_path / "scratch"
    scratch.mkdir()
    config = _config(kind, folder)
    inner = config.get("dataset", config)
    _, old, new = KINDS[inner["type"]]
    _save(inner, old(scratch), "2020-01-01T00.00.00.000Z", kill=False)  # the previous run's output
    before = _state(folder)
    assert before

    child = multiprocessing.get_context("fork").Process(
        target=_save, args=(config, new(scratch), "2020-01-02T00.00.00.000Z", True))
    child.start()
    child.join(60)
    assert child.exitcode == -signal.SIGKILL  # it died inside the save
    assert _state(folder) == before
    leftovers = [p for p in folder.rglob(".*.partial")]
    assert leftovers, "the killed save should have left its temporary sibling"

    LocalFilesHook().before_pipeline_run({}, Pipeline([Node(lambda: None, None, "out", name="n")]),
                                            DataCatalog({"out": AbstractDataset.from_config("out", config)}))
    assert not [p for p in folder.rglob(".*.partial")]
    assert _state(folder) == before
