"""The ``pretraining`` objective: packed raw-text blocks, loss on every token, and a model that learns.

Learning is measured against the untrained model itself: the held-out loss of the trained model must
close most of the gap between the fresh model's loss and zero, on world sentences it never saw.
"""

from __future__ import annotations

import json
import math
import os

import mlflow
import pytest
import torch

from xllm_kedro.files import write_jsonl
from xllm_kedro.training.config import TrainConfig
from xllm_kedro.training.examples import IGNORE_INDEX
from xllm_kedro.training.launch import train_with_accelerate
from xllm_kedro.training.pretraining import encode_texts
from xllm_kedro.training.tiny_model import build_tiny_llama, load_model, save_model, train_tokenizer
from xllm_kedro.world import write_world

from ...conftest import PROJECT_ROOT


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    out = tmp_path_factory.mktemp("world")
    write_world(out, seed=3, monolingual_en=1500, monolingual_target=0, parallel=10, alpaca=10, qa=5,
                multiway=60, devtest=0, languages=["qaa"])
    return out


@pytest.fixture(scope="module")
def fresh_model(world, tmp_path_factory):
    lines = (world / "monolingual" / "en.txt").read_text(encoding="utf-8").splitlines()
    tokenizer = train_tokenizer(lines, vocab_size=400)
    model = build_tiny_llama(tokenizer, seed=0, hidden_size=48, intermediate_size=96, num_hidden_layers=2,
                             num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=128)
    out = tmp_path_factory.mktemp("fresh") / "model"
    save_model(model, tokenizer, out)
    return out


def _config(world, base, out, tmp_path) -> TrainConfig:
    train_file = tmp_path / "corpus.jsonl"
    lines = (world / "monolingual" / "en.txt").read_text(encoding="utf-8").splitlines()
    write_jsonl(train_file, ({"text": line} for line in lines))
    return TrainConfig(base_model_dir=str(base), train_file=str(train_file), output_dir=str(out), objective="pretraining",
                       learning_rate=3e-3, num_epochs=2, global_batch_size=8, per_device_batch_size=8, max_length=64,
                       warmup_ratio=0.05, batching="packed", log_every=10)


@torch.no_grad()
def _heldout_loss(model_dir, world) -> float:
    """Mean next-token loss on the multi-way sentences (never in the monolingual corpus)."""
    model, tokenizer = load_model(model_dir)
    total, count = 0.0, 0
    for line in (world / "multiway" / "en.txt").read_text(encoding="utf-8").splitlines():
        ids = torch.tensor([[tokenizer.bos_token_id, *tokenizer(line, add_special_tokens=False)["input_ids"],
                             tokenizer.eos_token_id]])
        logits = model(input_ids=ids).logits[0, :-1]
        total += torch.nn.functional.cross_entropy(logits, ids[0, 1:], reduction="sum").item()
        count += ids.shape[1] - 1
    return total / count


def test_each_text_is_an_example_whose_tokens_but_the_first_are_targets(fresh_model):
    _, tokenizer = load_model(fresh_model)
    records = [{"text": "the dog sees a cat ."}, {"text": "a red ball ."}] * 7
    examples, report = encode_texts(tokenizer, records, max_length=16)
    assert len(examples) == report.examples == 14
    assert all(e["input_ids"][0] == tokenizer.bos_token_id and e["input_ids"][-1] == tokenizer.eos_token_id
               for e in examples)
    long, _ = encode_texts(tokenizer, [{"text": " ".join(["the dog sees a cat ."] * 6)}], max_length=16)
    assert len(long) > 1 and all(len(e["input_ids"]) <= 16 for e in long)
    assert all(e["labels"][0] == IGNORE_INDEX and e["labels"][1:] == e["input_ids"][1:] for e in examples)


def test_a_record_without_text_is_an_error_naming_it(fresh_model):
    _, tokenizer = load_model(fresh_model)
    with pytest.raises(ValueError, match="record 2"):
        encode_texts(tokenizer, [{"text": "a"}, {"instruction": "b"}], max_length=8)


def test_objective_is_validated():
    with pytest.raises(ValueError, match="objective"):
        TrainConfig.from_dict({"base_model_dir": "m", "train_file": "t", "output_dir": "o", "objective": "mlm"})
    assert TrainConfig(base_model_dir="m", train_file="t", output_dir="o").objective == "sft"


@pytest.mark.slow  # a pre-training job on the world: about 20 s alone, minutes on a loaded machine
def test_in_process_pretraining_learns_the_world(world, fresh_model, tmp_path):
    from xllm_kedro.training.sft import train

    os.environ.pop("MLFLOW_RUN_ID", None)
    before = _heldout_loss(fresh_model, world)
    summary = train(_config(world, fresh_model, tmp_path / "pretrained", tmp_path))
    after = _heldout_loss(tmp_path / "pretrained", world)
    assert before > 0.8 * math.log(400)  # a fresh model is close to uniform over the vocabulary
    assert after < 0.5 * before, (before, after)
    assert summary["target_tokens"] > 0.9 * summary["input_tokens"]  # no prompt masking


@pytest.mark.slow  # an accelerate process
def test_pretraining_runs_under_accelerate_launch(world, fresh_model, tmp_path):
    mlflow.set_tracking_uri(f"sqlite:///{tmp_path / 'mlflow.db'}")
    mlflow.set_experiment("pretraining_test")
    cfg = _config(world, fresh_model, tmp_path / "pretrained", tmp_path)
    cfg.num_epochs = 1
    out = train_with_accelerate(cfg, PROJECT_ROOT / "conf" / "base" / "accelerate" / "cpu_1proc.yaml",
                                tmp_path / "job", run_name="pretrain/test")
    summary = json.loads((out / "train_summary.json").read_text())
    assert summary["steps"] > 0 and summary["world_size"] == 1
    assert _heldout_loss(out, world) < _heldout_loss(fresh_model, world)
