"""A language whose clean Alpaca or parallel data is empty, or under ``reading.min_records``, stops the
run with the counts, and its output file is not written."""

from __future__ import annotations

import json

import pytest
from kedro.io import DatasetError

from xllm_kedro.corpora import InstructionFile, ParallelCorpus
from xllm_kedro.datasets import JsonLinesDataset
from xllm_kedro.pipelines.data_preparation.nodes import clean_parallel_node, prepare_alpaca_node

pytestmark = pytest.mark.badinput

CLEANING = {"max_chars": 1000, "max_length_ratio": 3.0, "min_script_share": 0.5, "deduplicate": True}


def test_alpaca_whose_records_are_all_empty_stops_with_the_counts(tmp_path):
    path = tmp_path / "zh.json"
    path.write_text(json.dumps([{"instruction": "", "input": "", "output": "x"}, {"instruction": "q", "output": " "}]))
    stream, _ = prepare_alpaca_node(InstructionFile(path), {})
    out = JsonLinesDataset(str(tmp_path / "out" / "zh.jsonl"))
    with pytest.raises(DatasetError, match=r"zh\.json: 0 clean record\(s\) kept, fewer than parameters "
                                         r"data_preparation\.reading\.min_records = 1; counts: .*'dropped_empty': 2"):
        out.save(stream)
    assert not (tmp_path / "out" / "zh.jsonl").exists()


def test_parallel_data_under_min_records_stops_with_the_counts(tmp_path):
    (tmp_path / "c.en").write_text("Hello there\nGood morning\n", encoding="utf-8")
    (tmp_path / "c.zh").write_text("你好\n早上好\n", encoding="utf-8")
    stream, _ = clean_parallel_node(CLEANING, {"min_records": 3}, "zh",
                                    parallel=ParallelCorpus(tmp_path / "c.en", tmp_path / "c.zh"))
    with pytest.raises(DatasetError, match=r"parallel data of 'zh': 2 clean record\(s\) kept, fewer than parameters "
                                         r"data_preparation\.reading\.min_records = 3; counts: .*'read': 2"):
        JsonLinesDataset(str(tmp_path / "zh.jsonl")).save(stream)
    assert not (tmp_path / "zh.jsonl").exists()
    stream, _ = clean_parallel_node(CLEANING, {"min_records": 2}, "zh",
                                    parallel=ParallelCorpus(tmp_path / "c.en", tmp_path / "c.zh"))
    JsonLinesDataset(str(tmp_path / "zh.jsonl")).save(stream)  # enough now
