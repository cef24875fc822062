import json

import pytest
from kedro.io import DatasetError

from xllm_kedro.datasets import HFModelDataset, InstructionDataset, JsonLinesDataset, ParallelCorpusDataset
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


def test_jsonl_dataset_round_trip(tmp_path):
    ds = JsonLinesDataset(str(tmp_path / "x.jsonl"))
    ds.save([{"en": "a", "x": "甲"}])
    assert ds.load() == [{"en": "a", "x": "甲"}]


def test_instruction_dataset_reports_file_and_line(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"instruction": "i", "output": "o"}\n\n{"instruction": 3, "output": "o"}\n', encoding="utf-8")
    records = InstructionDataset(str(path)).load()  # a lazy reader: records are checked as they stream
    with pytest.raises(ValueError, match=r"bad.jsonl:3: key 'instruction' must be a string"):
        list(records)


def test_parallel_dataset_names_a_missing_file(tmp_path):
    (tmp_path / "a.en").write_text("x\n")
    with pytest.raises(DatasetError, match="a.zh"):
        ParallelCorpusDataset(str(tmp_path / "a.en"), str(tmp_path / "a.zh")).load()


def test_model_dataset_moves_a_model_directory_into_place(tmp_path):
    src = tmp_path / "job" / "model"
    src.mkdir(parents=True)
    (src / "config.json").write_text(json.dumps({"model_type": "llama"}))
    ds = HFModelDataset(str(tmp_path / "models" / "m"))
    ds.save(src)
    assert not src.exists() and (ds.load() / "config.json").exists()


def test_model_dataset_refuses_a_directory_without_config(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(DatasetError, match="no config.json"):
        HFModelDataset(str(tmp_path / "m")).save(tmp_path / "empty")
    assert not (tmp_path / "m").exists()
