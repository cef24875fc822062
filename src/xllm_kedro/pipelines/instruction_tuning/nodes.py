"""Nodes of instruction_tuning: build the tiny base model, and launch one accelerate job per experiment."""

from __future__ import annotations

import tempfile
from itertools import chain
from pathlib import Path

from xllm_kedro.files import write_jsonl
from xllm_kedro.training.tiny_model import build_tiny_llama, save_model, train_tokenizer
from xllm_kedro.training.config import TrainConfig
from xllm_kedro.training.launch import train_with_accelerate


def build_base_model_node(base_model: dict, *instruction_sets: list[dict]) -> Path:
    """Train a byte-level BPE tokenizer on the instruction text and build a tiny LLaMA from config.

    Returns:
        A model directory for the ``base_model`` dataset to take over.
    """
    texts = (f"{r['instruction']}\n{r['input']}\n{r['output']}" for r in chain.from_iterable(instruction_sets))
    tokenizer = train_tokenizer(texts, vocab_size=base_model["vocab_size"])
    model = build_tiny_llama(tokenizer, seed=base_model["seed"], **base_model["config"])
    out = Path(tempfile.mkdtemp(prefix="base_model_")) / "model"
    save_model(model, tokenizer, out)
    return out


def train_model_node(train_mix: list[dict], base_model: Path, training: dict, launcher: dict, trust_remote_code: bool,
                     experiment: str) -> Path:
    """Write the mix and the job config, run ``accelerate launch`` on them, return the model directory."""
    workdir = Path(launcher["workdir"]) / experiment
    train_file = workdir / "train.jsonl"
    write_jsonl(train_file, train_mix)
    cfg = TrainConfig.from_dict(
        {**training, "base_model_dir": str(base_model), "train_file": str(train_file),
         "output_dir": str(workdir / "model"), "trust_remote_code": trust_remote_code},
        where="parameters training",
    )
    return train_with_accelerate(cfg, launcher["accelerate_config"], workdir, run_name=f"train/{experiment}",
                                 in_process=bool(launcher.get("in_process", False)))
