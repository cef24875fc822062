"""The project's catalog datasets (their errors on bad data are in tests/unit/test_bad_data.py)."""

import json

from xllm_kedro.datasets import HFModelDataset, JsonLinesDataset


def test_jsonl_dataset_round_trip(tmp_path):
    ds = JsonLinesDataset(str(tmp_path / "x.jsonl"))
    ds.save([{"en": "a", "x": "甲"}])
    assert ds.load() == [{"en": "a", "x": "甲"}]


def test_model_dataset_moves_a_model_directory_into_place(tmp_path):
    src = tmp_path / "job" / "model"
    src.mkdir(parents=True)
    (src / "config.json").write_text(json.dumps({"model_type": "llama"}))
    ds = HFModelDataset(str(tmp_path / "models" / "m"))
    ds.save(src)
    assert not src.exists() and (ds.load() / "config.json").exists()
