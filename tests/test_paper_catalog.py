"""conf/paper declares the hub sources of data_preparation and evaluation (not run here: no network). The
entries must parse and name their dataset types; the pipelines built from conf/paper's parameters must read them."""

from __future__ import annotations

import importlib

import yaml

from xllm_kedro.spec.study import parallel_corpora
from xllm_kedro.spec.tasks import load_tasks

from .conftest import PROJECT_ROOT, declared_tasks

PAPER = PROJECT_ROOT / "conf" / "paper"


def test_paper_catalog_parses_and_names_its_hub_datasets():
    catalog = yaml.safe_load((PAPER / "catalog.yml").read_text(encoding="utf-8"))
    hub = {name: entry for name, entry in catalog.items()
           if entry["type"] == "huggingface.HFDataset" and not name.startswith("_")}  # "_x": a YAML anchor only
    assert {"en.alpaca_raw", "{lang}.alpaca_raw", "{lang}.wikimatrix_raw", "zh.news_commentary_raw"} <= set(hub)
    for name, entry in hub.items():
        assert entry["dataset_name"].count("/") == 1, name
        # training corpora read the train split; the evaluation sets (qa, flores) their test splits
        training = name.endswith(("alpaca_raw", "wikimatrix_raw", "news_commentary_raw"))
        assert entry["dataset_kwargs"]["split"] in ({"train"} if training else {"validation", "test", "devtest"}), name
        assert entry["metadata"]["kedro-viz"]["layer"] == "raw"
    module = importlib.import_module("kedro_datasets.huggingface")  # the type the entries name exists
    assert hasattr(module, "HFDataset")


def test_paper_parameters_name_a_declared_corpus_for_every_language():
    params = yaml.safe_load((PAPER / "parameters.yml").read_text(encoding="utf-8"))
    params.update(yaml.safe_load((PAPER / "parameters_data_preparation.yml").read_text(encoding="utf-8")))
    catalog = yaml.safe_load((PAPER / "catalog.yml").read_text(encoding="utf-8"))
    corpora = parallel_corpora(params["data_preparation"]["parallel_corpora"], params["languages"])
    assert corpora["zh"] == ("wikimatrix", "news_commentary") and corpora["el"] == ("wikimatrix",)
    assert set(corpora) == set(params["languages"])
    for lang, names in corpora.items():
        for name in names:
            assert f"{lang}.{name}_raw" in catalog or f"{{lang}}.{name}_raw" in catalog, (lang, name)


def test_paper_catalog_reads_the_three_evaluation_sets_from_the_hub():
    catalog = yaml.safe_load((PAPER / "catalog.yml").read_text(encoding="utf-8"))
    tasks = load_tasks(declared_tasks("paper"))
    assert tasks["qa"].dataset("zh") == "zh.qa_examples"  # prepared from {lang}.qa_raw by data_preparation
    for name in ("{lang}.qa_raw", tasks["mlqa"].data, tasks["translation"].dataset("el")):
        assert catalog[name]["type"] == "huggingface.HFDataset", name
    assert catalog["{lang}.qa_raw"]["dataset_name"] == "google/xquad"
    assert catalog["{lang}.mlqa_raw"]["dataset_name"] == "facebook/mlqa"
    assert catalog["el.flores101"]["dataset_name"] == "gsarti/flores_101"
    assert catalog["el.flores101"]["dataset_kwargs"]["split"] == "devtest"
