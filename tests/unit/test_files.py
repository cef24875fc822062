"""files.py: outputs appear whole or not at all."""

import json

import pytest

from xllm_kedro.files import atomic_path, write_jsonl


def test_atomic_write_leaves_the_old_file_when_the_writer_fails(tmp_path):
    target = tmp_path / "out.jsonl"
    write_jsonl(target, [{"a": 1}])

    def records():
        yield {"a": 2}
        raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError):
        write_jsonl(target, records())
    assert [json.loads(line) for line in target.read_text().splitlines()] == [{"a": 1}]
    assert [p.name for p in tmp_path.iterdir()] == ["out.jsonl"]


def test_atomic_directory_is_not_left_half_written(tmp_path):
    with pytest.raises(ValueError):
        with atomic_path(tmp_path / "model", directory=True) as tmp:
            (tmp / "weights").write_text("partial")
            raise ValueError("crash")
    assert list(tmp_path.iterdir()) == []
