"""Readers, streams and the batched filter of corpora/: formats, laziness, skip counting, exactness."""

import gzip
import json
import unicodedata

import pytest

from xllm_kedro.corpora import (CleaningReport, CleaningRules, CountedStream, DigestSet, InstructionFile,
                                ParallelCorpus, ReadingOptions, ReadReport, WikiMatrixCorpus, build_mix, clean_corpora,
                                clean_pairs, configure)
from xllm_kedro.corpora.dedup import pair_digest
from xllm_kedro.corpora.scripts import SCRIPT_PREFIXES, script_share
from xllm_kedro.files import iter_json_array_numbered


def _tsv(path, rows, gz=False):
    data = "".join("\t".join(map(str, r)) + "\n" for r in rows).encode("utf-8")
    if gz:
        with gzip.open(path, "wb") as fh:
            fh.write(data)
    else:
        path.write_bytes(data)
    return path


@pytest.mark.parametrize("gz", [False, True])
def test_wikimatrix_reads_columns_and_drops_below_the_margin(tmp_path, gz):
    path = _tsv(tmp_path / ("w.tsv.gz" if gz else "w.tsv"), [(1.2, "one", "一"), (1.0, "two", "二"), (1.05, "three", "三")], gz)
    report = ReadReport()
    pairs = list(WikiMatrixCorpus(path, min_margin=1.04).read(report))
    assert pairs == [("one", "一"), ("three", "三")]
    assert report.as_dict() == {"read": 3, "skipped_bad_lines": 0, "dropped_below_margin": 1}
    assert list(WikiMatrixCorpus(path, order="x-en")) == [("一", "one"), ("二", "two"), ("三", "three")]


def test_moses_and_wikimatrix_skip_and_count_bad_lines_when_asked(tmp_path):
    en, zh = tmp_path / "a.en", tmp_path / "a.zh"
    en.write_bytes(b"one\ntwo\nthree\n")
    zh.write_bytes("一\n".encode() + b"\xff\xfe\n" + "三\n".encode())
    report = ReadReport()
    assert list(ParallelCorpus(en, zh, skip_bad_lines=True).read(report)) == [("one", "一"), ("three", "三")]
    assert (report.read, report.skipped_bad_lines) == (2, 1)
    tsv = tmp_path / "w.tsv"
    tsv.write_bytes(b"1.1\ta\tb\nnot-a-number\tc\td\n1.2\tonly two\n1.3\te\tf\n")
    report = ReadReport()
    opts = ReadingOptions(skip_bad_lines=True, min_margin=None)
    assert list(configure(WikiMatrixCorpus(tsv), opts).read(report)) == [("a", "b"), ("e", "f")]
    assert (report.read, report.skipped_bad_lines) == (2, 2)


def test_json_list_streams_records_with_their_line_numbers(tmp_path):
    path = tmp_path / "a.json"
    records = [{"instruction": f"i{n}", "input": "", "output": "ü" * n} for n in range(50)]
    path.write_text(json.dumps(records, ensure_ascii=False, indent=1), encoding="utf-8")
    numbered = list(iter_json_array_numbered(path, chunk_chars=37))  # chunks far smaller than a record
    assert [r for _, r in numbered] == records
    text_lines = path.read_text(encoding="utf-8").splitlines()
    assert all(text_lines[line - 1].strip() == "{" for line, _ in numbered)


def test_a_reader_is_lazy_and_reiterable(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_text('{"instruction": "a", "output": "b"}\n', encoding="utf-8")
    reader = InstructionFile(path)
    assert list(reader) == list(reader) == [{"instruction": "a", "input": "", "output": "b"}]
    path.write_text('{"instruction": "c", "output": "d"}\n', encoding="utf-8")
    assert list(reader)[0]["instruction"] == "c"  # nothing was cached


def test_counted_stream_reports_after_a_pass_or_runs_one_itself(tmp_path):
    en, zh = tmp_path / "a.en", tmp_path / "a.zh"
    en.write_text("a b\na b\nc d\n", encoding="utf-8")
    zh.write_text("甲乙\n甲乙\n丙丁\n", encoding="utf-8")
    stream = CountedStream(clean_corpora, {"moses": ParallelCorpus(en, zh)}, "zh", CleaningRules())
    assert dict(stream.report)["kept"] == 2  # asked first: one counting pass
    assert [r["x"] for r in stream] == ["甲乙", "丙丁"]
    assert stream.counts()["moses.dropped_duplicate"] == 1 and stream.counts()["read"] == 3


def _reference_share(text, script):
    letters = [c for c in text if c.isalpha()]
    hits = sum(unicodedata.name(c, "").startswith(SCRIPT_PREFIXES[script]) for c in letters)
    return hits / len(letters) if letters else 0.0


def test_script_table_agrees_with_character_names():
    samples = ["Việt Nam ｆｕｌｌ", "中文 ABC 〆々 𠀀𠀁", "Ελληνικά ϗ", "नमस्ते ॐ", "مرحبا ﻻ", "123 !!", "ǅǈ ꭐ"]
    for text in samples:
        for script in SCRIPT_PREFIXES:
            assert script_share(text, script) == pytest.approx(_reference_share(text, script)), (text, script)


def test_duplicates_are_found_across_batches_and_digests_are_unambiguous(monkeypatch):
    monkeypatch.setattr("xllm_kedro.corpora.cleaning.BATCH", 3)
    pairs = [(f"s{i % 4}", f"t{i % 4}") for i in range(10)]
    report = CleaningReport()
    kept = list(clean_pairs(pairs, "vi", CleaningRules(min_script_share=0.0), report))
    assert kept == pairs[:4] and report.dropped["duplicate"] == 6
    assert pair_digest("ab", "c") != pair_digest("a", "bc")
    seen = DigestSet()
    assert seen.add_new([1, 2, 2]).tolist() == [True, True, False] and seen.add_new([2, 3]).tolist() == [False, True]


def test_a_mix_reads_a_stream_only_as_far_as_its_prefix():
    pulled = []

    def source():
        for n in range(1_000_000):
            pulled.append(n)
            yield {"n": n}

    class Source:
        def __iter__(self):
            return source()

    mix = build_mix({"a": Source()}, ["a:5"], seed=0)
    assert sorted(r["n"] for r in mix) == [0, 1, 2, 3, 4] and len(pulled) <= 6
