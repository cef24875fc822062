"""Every hub source of conf/paper, read through conf/paper's own catalog entries from a local replica that
has the real repository's layout: the same id, configs, split names, file layout and features. The
``hub_root`` runtime parameter points the entries at the replicas, exactly as ``make rehearse-paper`` does.
A wrong config or split name in conf/paper fails here, not on a cluster.

The layouts below are those of the real repositories, checked where conf/paper/catalog.yml cites them;
they are written here independently of the catalog, which is what is under test.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from xllm_kedro.corpora.parallel import ReadReport, read_pairs
from xllm_kedro.evaluation.sets import qa_set, sentences
from xllm_kedro.pipelines.data_preparation.nodes import prepare_alpaca_node, prepare_qa_node

from .conftest import PROJECT_ROOT, declared_tasks

LANGS = ["ar", "el", "hi", "tr", "vi", "zh"]
FLORES = {"en": "eng_Latn", "ar": "arb_Arab", "el": "ell_Grek", "hi": "hin_Deva", "tr": "tur_Latn",
          "vi": "vie_Latn", "zh": "zho_Hans"}


def _squad_rows(lang: str, n: int = 3) -> list[dict]:
    return [{"id": f"{lang}{i}", "title": "t", "context": f"context {i} in {lang}", "question": f"question {i}?",
             "answers": {"answer_start": [0], "text": [f"context {i}"]}} for i in range(n)]


def _flores_rows(lang: str, n: int = 4) -> list[dict]:
    return [{"id": i + 1, "URL": "u", "domain": "wikinews", "topic": "t", "has_image": 0, "has_hyperlink": 0,
             "sentence": f"sentence {i} in {lang}"} for i in range(n)]


# repository -> {config: {split: rows}}; None is a repository without configs (one default config)
REPLICAS: dict[str, dict[str | None, dict[str, list[dict]]]] = {
    "google/xquad": {f"xquad.{lang}": {"validation": _squad_rows(lang)} for lang in ["en", *LANGS]},
    "google/xtreme": {f"MLQA.{lang}.{lang}": {"test": _squad_rows(lang), "validation": _squad_rows(lang, 1)}
                      for lang in ["en", "ar", "hi", "vi", "zh"]},
    "facebook/flores": {code: {"dev": _flores_rows(code, 2), "devtest": _flores_rows(code)} for code in FLORES.values()},
    "tatsu-lab/alpaca": {None: {"train": [{"instruction": f"Say {w}.", "input": "", "output": w, "text": "t"}
                                          for w in ("yes", "no", "maybe")]}},
    "sentence-transformers/parallel-sentences-wikimatrix": {
        f"en-{lang}": {"train": [{"english": f"English {i}.", "non_english": f"{lang} {i}."} for i in range(3)],
                       "dev": [{"english": "English.", "non_english": f"{lang}."}]} for lang in LANGS},
    "Helsinki-NLP/news_commentary": {
        pair: {"train": [{"id": str(i), "translation": {a: f"{a} {i}.", b: f"{b} {i}."}} for i in range(3)]}
        for pair, (a, b) in {"ar-en": ("ar", "en"), "en-zh": ("en", "zh")}.items()},
    "Helsinki-NLP/opus-100": {"en-hi": {split: [{"translation": {"en": f"English {i}.", "hi": f"हिंदी {i}."}}
                                                for i in range(3)] for split in ("train", "validation", "test")}},
}


def write_replica(root: Path, repo: str, configs: dict[str | None, dict[str, list[dict]]]) -> None:
    """A local dataset repository as the hub lays it out: parquet files per config and split, and the
    README's `configs` list that names them (a repository without configs keeps data/<split>-*.parquet)."""
    from datasets import Dataset

    base = root / repo
    listed = []
    for config, splits in configs.items():
        folder = base / (config or "data")
        for split, rows in splits.items():
            folder.mkdir(parents=True, exist_ok=True)
            Dataset.from_list(rows).to_parquet(str(folder / f"{split}-00000-of-00001.parquet"))
        if config:
            listed.append({"config_name": config, "data_files": [{"split": s, "path": f"{config}/{s}-*"} for s in splits]})
    card = f"---\n{yaml.safe_dump({'configs': listed}, sort_keys=False)}---\n" if listed else ""
    (base / "README.md").write_text(card + f"# local replica of {repo}\n", encoding="utf-8")


@pytest.fixture(scope="module")
def paper_catalog(tmp_path_factory):
    """conf/paper's catalog with `hub_root` set to the replicas, as a run with `--params hub_root=...` builds it."""
    from kedro.config import OmegaConfigLoader
    from kedro.io import DataCatalog

    root = tmp_path_factory.mktemp("hub")
    for repo, configs in REPLICAS.items():
        write_replica(root, repo, configs)
    loader = OmegaConfigLoader(conf_source=str(PROJECT_ROOT / "conf"), base_env="base", default_run_env="paper",
                               env="paper", runtime_params={"hub_root": f"{root}/"})
    return DataCatalog.from_config(loader["catalog"])


@pytest.mark.parametrize("lang", ["en", *LANGS])
def test_xquad_loads_and_prepares(paper_catalog, lang):
    examples = prepare_qa_node(paper_catalog.load(f"{lang}.qa_raw"), lang)
    assert [tuple(e["answers"]) for e in examples] == [(f"context {i}",) for i in range(3)]


@pytest.mark.parametrize("lang", ["en", "ar", "hi", "vi", "zh"])
def test_mlqa_loads_as_the_task_reads_it(paper_catalog, lang):
    examples = qa_set(paper_catalog.load(f"{lang}.mlqa_raw"), f"{lang}.mlqa_raw")
    assert len(examples) == 3 and examples[0].question == "question 0?"  # the test split, not validation


@pytest.mark.parametrize("lang", ["en", *LANGS])
def test_flores_devtest_loads_with_its_sentence_column(paper_catalog, lang):
    task = declared_tasks("paper")["translation"]
    rows = paper_catalog.load(task["data"].format(lang=lang))
    assert sentences(rows, lang, task["text_field"]) == [f"sentence {i} in {FLORES[lang]}" for i in range(4)]


def test_english_alpaca_streams_into_instructions(paper_catalog):
    stream, report = prepare_alpaca_node(paper_catalog.load("en.alpaca_raw"), {"skip_bad_lines": True})
    assert [r["output"] for r in stream] == ["yes", "no", "maybe"]


@pytest.mark.parametrize("lang", LANGS)
def test_wikimatrix_streams_pairs(paper_catalog, lang):
    pairs = list(read_pairs(paper_catalog.load(f"{lang}.wikimatrix_raw"), lang, ReadReport()))
    assert pairs == [(f"English {i}.", f"{lang} {i}.") for i in range(3)]


@pytest.mark.parametrize("lang", ["ar", "hi", "zh"])
def test_news_commentary_and_its_hindi_stand_in_give_english_first_pairs(paper_catalog, lang):
    pairs = list(read_pairs(paper_catalog.load(f"{lang}.news_commentary_raw"), lang, ReadReport()))
    assert len(pairs) == 3 and all(en.startswith(("en ", "English")) for en, _ in pairs)


def test_every_hub_entry_of_conf_paper_has_a_replica_here():
    catalog = yaml.safe_load((PROJECT_ROOT / "conf" / "paper" / "catalog.yml").read_text(encoding="utf-8"))
    named = {entry["dataset_name"].removeprefix("${runtime_params:hub_root,''}") for entry in catalog.values()
             if entry.get("type") == "xllm_kedro.datasets.HubDataset"}
    assert named == set(REPLICAS)
    assert all(entry["dataset_name"].startswith("${runtime_params:hub_root,''}") for entry in catalog.values()
               if entry.get("type") == "xllm_kedro.datasets.HubDataset")  # every source can be rehearsed offline
