"""A model directory that cannot be loaded is named in the error."""

from __future__ import annotations

import shutil

import pytest

from xllm_kedro.training.tiny_model import load_model

pytestmark = pytest.mark.badinput


@pytest.mark.parametrize("damage", ["weights", "tokenizer"])
def test_a_damaged_model_directory_is_named(tmp_path, tiny_model_dir, damage):
    broken = tmp_path / "broken_model"
    shutil.copytree(tiny_model_dir, broken)
    if damage == "weights":
        (broken / "model.safetensors").write_bytes(b"not a safetensors file")
    else:
        (broken / "tokenizer.json").write_text("{")
    with pytest.raises(ValueError, match=f"cannot load the model in {broken}"):
        load_model(broken)
