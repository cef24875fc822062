"""A UTF-8 byte-order mark at the start of a file is dropped by every text reader, never glued to the
first pair, record or line."""

from __future__ import annotations

import gzip
import json

from kedro.io import DataCatalog
from kedro.pipeline import Node, Pipeline
from kedro_datasets.json import JSONDataset
from kedro_datasets.text import TextDataset

from xllm_kedro.corpora import ParallelCorpus, WikiMatrixCorpus, read_instructions
from xllm_kedro.corpora.monolingual import MonolingualText
from xllm_kedro.files import iter_jsonl
from xllm_kedro.hooks import LocalFilesHook

BOM = "\ufeff"


def test_moses_and_wikimatrix_pairs_lose_the_mark(tmp_path):
    (tmp_path / "c.en").write_text(BOM + "Hello\nBye\n", encoding="utf-8")
    (tmp_path / "c.zh").write_text(BOM + "你好\n再见\n", encoding="utf-8")
    assert list(ParallelCorpus(tmp_path / "c.en", tmp_path / "c.zh"))[0] == ("Hello", "你好")
    with gzip.open(tmp_path / "w.tsv.gz", "wt", encoding="utf-8") as fh:
        fh.write(BOM + "1.2\tHello\t你好\n")
    assert list(WikiMatrixCorpus(tmp_path / "w.tsv.gz", "en-x")) == [("Hello", "你好")]


def test_monolingual_and_instruction_files_lose_the_mark(tmp_path):
    (tmp_path / "m.txt").write_text(BOM + "first line\n", encoding="utf-8")
    assert list(MonolingualText(tmp_path / "m.txt")) == [{"text": "first line"}]
    record = {"instruction": "a", "input": "", "output": "b"}
    (tmp_path / "a.jsonl").write_text(BOM + json.dumps(record) + "\n", encoding="utf-8")
    (tmp_path / "a.json").write_text(BOM + json.dumps([record]), encoding="utf-8")
    assert list(iter_jsonl(tmp_path / "a.jsonl")) == [record]
    assert list(read_instructions(tmp_path / "a.json")) == [record]


def test_kedro_text_and_json_datasets_lose_the_mark_in_a_run(tmp_path):
    (tmp_path / "flores.txt").write_text(BOM + "one\ntwo\n", encoding="utf-8")
    (tmp_path / "qa.json").write_text(BOM + json.dumps({"data": []}), encoding="utf-8")
    catalog = DataCatalog({"flores": TextDataset(filepath=str(tmp_path / "flores.txt")),
                           "qa": JSONDataset(filepath=str(tmp_path / "qa.json"))})
    pipeline = Pipeline([Node(lambda a, b: None, ["flores", "qa"], None, name="n")])
    LocalFilesHook().before_pipeline_run({}, pipeline, catalog)
    assert catalog.load("flores") == "one\ntwo\n"
    assert catalog.load("qa") == {"data": []}
