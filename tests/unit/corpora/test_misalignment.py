"""Misaligned stretches of a parallel corpus are found as line ranges: reported in the counts (and so in
data_statistics), and above ``reading.max_misaligned_share`` they stop the run."""

from __future__ import annotations

import random

import pytest
from kedro.io import DatasetError

from xllm_kedro.corpora import ParallelCorpus
from xllm_kedro.datasets import JsonLinesDataset
from xllm_kedro.pipelines.data_preparation.nodes import clean_parallel_node, data_statistics_node

CLEANING = {"max_chars": 1000, "max_length_ratio": 9.0, "min_script_share": 0.0, "deduplicate": False}


def _corpus(tmp_path, n: int, lose_target_line: int | None = None, seed: int = 0) -> ParallelCorpus:
    """Sentences of 2 to 30 words; the target is a word-for-word rendering, so lengths stay in step,
    until a target line is lost and every later pair is two unrelated sentences."""
    rng = random.Random(seed)
    en = [" ".join(f"w{rng.randrange(1000)}" for _ in range(rng.randint(2, 30))) for _ in range(n)]
    x = [s.replace("w", "v") for s in en]
    if lose_target_line is not None:
        del x[lose_target_line - 1]
        x.append("v1 v2")
    (tmp_path / "c.en").write_text("\n".join(en) + "\n")
    (tmp_path / "c.vi").write_text("\n".join(x) + "\n")
    return ParallelCorpus(tmp_path / "c.en", tmp_path / "c.vi")


def test_an_aligned_corpus_has_no_misaligned_block(tmp_path):
    stream, report = clean_parallel_node(CLEANING, {}, "vi", parallel=_corpus(tmp_path, 1000))
    JsonLinesDataset(str(tmp_path / "out.jsonl")).save(stream)
    assert report["parallel.misaligned_lines"] == 0 and report["parallel.misaligned_blocks"] == ""


def test_a_lost_line_is_reported_as_a_block_in_data_statistics(tmp_path):
    stream, report = clean_parallel_node(CLEANING, {"max_misaligned_share": 0.5}, "vi",
                                         parallel=_corpus(tmp_path, 1000, lose_target_line=801))
    JsonLinesDataset(str(tmp_path / "out.jsonl")).save(stream)
    [(start, end)] = [tuple(map(int, b.split("-"))) for b in report["parallel.misaligned_blocks"].split(";")]
    assert 751 <= start <= 851 and end == 1000
    table, _ = data_statistics_node({}, report, labels=[("vi", "parallel")])
    assert table.loc[0, "parallel.misaligned_blocks"] == f"{start}-{end}"
    assert table.loc[0, "parallel_misaligned_lines"] == end - start + 1


def test_a_corpus_mostly_misaligned_stops_the_run_naming_the_lines(tmp_path):
    stream, _ = clean_parallel_node(CLEANING, {}, "vi", parallel=_corpus(tmp_path, 1000, lose_target_line=301))
    with pytest.raises(DatasetError, match=r"parallel corpus 'parallel' of 'vi' .*c\.vi\): \d+ of 1000 lines look "
                                           r"misaligned \(lines \d+-1000\), above parameters "
                                           r"data_preparation\.reading\.max_misaligned_share = 0\.2"):
        JsonLinesDataset(str(tmp_path / "out.jsonl")).save(stream)
    assert not (tmp_path / "out.jsonl").exists()
