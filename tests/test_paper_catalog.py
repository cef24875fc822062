"""conf/paper declares the hub sources of data_preparation and evaluation (no network here: their local
replicas are read in test_paper_hub_replicas.py). The entries must parse and name their dataset types; the
pipelines built from conf/paper's parameters must read them."""

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
           if entry["type"] == "xllm_kedro.datasets.HubDataset" and not name.startswith("_")}  # "_x": an anchor only
    assert {"en.alpaca_raw", "{lang}.wikimatrix_raw", "zh.news_commentary_raw", "hi.news_commentary_raw"} <= set(hub)
    assert "{lang}.alpaca_raw" not in hub  # Alpaca-X is machine-translated here, as in the paper
    for name, entry in hub.items():
        assert entry["dataset_name"].removeprefix("${runtime_params:hub_root,''}").count("/") == 1, name
        # training corpora read the train split; the evaluation sets (qa, flores) their test splits
        training = name.endswith(("alpaca_raw", "wikimatrix_raw", "news_commentary_raw"))
        split = entry["dataset_kwargs"]["split"].split("[")[0]
        assert split in ({"train"} if training else {"validation", "test", "devtest"}), name
        assert entry["metadata"]["kedro-viz"]["layer"] == "raw"
    module = importlib.import_module("xllm_kedro.datasets")  # the type the entries name exists
    assert hasattr(module, "HubDataset")


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
        assert catalog[name]["type"] == "xllm_kedro.datasets.HubDataset", name
    assert catalog["{lang}.qa_raw"]["dataset_name"].endswith("}google/xquad")
    assert catalog["{lang}.mlqa_raw"]["dataset_name"].endswith("}google/xtreme")  # facebook/mlqa: a loading script
    assert catalog["el.flores_raw"]["dataset_name"].endswith("}facebook/flores")
    assert catalog["el.flores_raw"]["dataset_kwargs"] == {"name": "ell_Grek", "split": "devtest"}


def _citations(text: str) -> dict[str, str]:
    """Each top-level catalog entry with the nearest comment block above it: the one that cites it (entries
    of one source, like the seven FLORES ones, share the block above the first of them)."""
    cited, block, in_block = {}, "", False
    for line in text.splitlines():
        if line.startswith("#"):
            block = f"{block} {line.lstrip('# ')}" if in_block else line.lstrip("# ")
        elif line and not line[0].isspace():
            cited[yaml.safe_load(line.partition(":")[0])] = block
        in_block = line.startswith("#")
    return cited


def test_every_hub_entry_cites_its_id_config_and_split_with_where_it_was_checked():
    text = (PAPER / "catalog.yml").read_text(encoding="utf-8")
    catalog, citations = yaml.safe_load(text), _citations(text)
    hub = {name: entry for name, entry in catalog.items() if entry.get("type") == "xllm_kedro.datasets.HubDataset"
           and "dataset_kwargs" in entry}
    assert len(hub) == 14  # XQuAD, MLQA, seven FLORES, Alpaca, WikiMatrix, three News Commentary
    for name, entry in hub.items():
        note = citations[name]
        repo = entry["dataset_name"].removeprefix("${runtime_params:hub_root,''}")
        kwargs = entry["dataset_kwargs"]
        assert repo in note and "checked" in note.lower() and "huggingface.co/datasets/" in note, name
        assert kwargs["split"].split("[")[0] in note, name
        if "name" in kwargs:
            assert kwargs["name"].replace("{lang}", "<lang>") in note, name
