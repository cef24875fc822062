"""Monolingual text streams as records, skipping blank lines, and names the line that is not UTF-8."""

from __future__ import annotations

import gzip

import pytest

from xllm_kedro.corpora.monolingual import MonolingualText
from xllm_kedro.files import BadLine


def test_lines_become_text_records_plain_or_gzip(tmp_path):
    (tmp_path / "x.txt").write_text("one line\n\n  two  \n", encoding="utf-8")
    with gzip.open(tmp_path / "x.txt.gz", "wt", encoding="utf-8") as fh:
        fh.write("one line\n\n  two  \n")
    for name in ("x.txt", "x.txt.gz"):
        assert list(MonolingualText(tmp_path / name)) == [{"text": "one line"}, {"text": "two"}]


def test_a_line_that_is_not_utf8_is_named(tmp_path):
    (tmp_path / "x.txt").write_bytes(b"fine\n\xff\xfe bad\n")
    with pytest.raises(BadLine, match=r"x.txt:2"):
        list(MonolingualText(tmp_path / "x.txt"))


def test_an_empty_file_is_refused_before_reading(tmp_path):
    (tmp_path / "x.txt").write_text("", encoding="utf-8")
    with pytest.raises(ValueError, match="empty file"):
        MonolingualText(tmp_path / "x.txt").check()
