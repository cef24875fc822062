"""Shared fixtures: offline settings, paths, and the real data in ../shared/data when it exists."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

for key, value in {
    "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
    "KEDRO_DISABLE_TELEMETRY": "true", "MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "1",
    "TOKENIZERS_PARALLELISM": "false",
}.items():
    os.environ.setdefault(key, value)

PROJECT_ROOT = Path(__file__).resolve().parents[1]
RAW = PROJECT_ROOT / "data" / "01_raw"


def _shared_data() -> Path | None:
    for candidate in (os.environ.get("XLLM_SHARED_DATA"), PROJECT_ROOT.parent / "shared" / "data"):
        if candidate and Path(candidate, "SOURCES.md").exists():
            return Path(candidate)
    return None


SHARED = _shared_data()


@pytest.fixture
def shared_data() -> Path:
    if SHARED is None:
        pytest.skip("real data not found: put the shared data at ../shared/data or set XLLM_SHARED_DATA")
    return SHARED


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory) -> Path:
    """A tiny LLaMA and its tokenizer, trained here on the embedded sample data."""
    from xllm_kedro.corpora import read_instructions
    from xllm_kedro.training.tiny_model import build_tiny_llama, save_model, train_tokenizer

    texts = [r["instruction"] + "\n" + r["output"] for lang in ("en", "zh", "vi")
             for r in read_instructions(RAW / "alpaca" / f"{lang}.json")]
    tokenizer = train_tokenizer(texts, vocab_size=400)
    model = build_tiny_llama(tokenizer, seed=0, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                             num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=256)
    out = tmp_path_factory.mktemp("tiny") / "model"
    save_model(model, tokenizer, out)
    return out


def scratch_project(parent: Path) -> Path:
    """conf/ (without local), data/01_raw and pyproject.toml under ``parent``; src/ stays empty because
    the package is imported from its install. Runs there leave this checkout untouched."""
    root = parent / "project"
    shutil.copytree(PROJECT_ROOT / "conf", root / "conf", ignore=shutil.ignore_patterns("local"))
    (root / "conf" / "local").mkdir()
    shutil.copytree(RAW, root / "data" / "01_raw")
    shutil.copy(PROJECT_ROOT / "pyproject.toml", root)
    (root / "src").mkdir()
    return root
