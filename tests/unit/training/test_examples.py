"""Training examples: response-only labels, truncation, padding, length grouping, the global batch."""

import pytest

from xllm_kedro.prompts import alpaca_prompt
from xllm_kedro.training.config import TrainConfig
from xllm_kedro.training.examples import IGNORE_INDEX, EncodeReport, collate, encode_example, length_grouped_batches
from xllm_kedro.training.tiny_model import load_model


@pytest.fixture(scope="module")
def tokenizer(tiny_model_dir):
    return load_model(tiny_model_dir)[1]


def test_loss_is_on_the_response_and_eos_only(tokenizer):
    record = {"instruction": "Say hi.", "input": "", "output": "hi"}
    enc = encode_example(tokenizer, record, 512, EncodeReport())
    prompt_len = 1 + len(tokenizer(alpaca_prompt("Say hi."), add_special_tokens=False)["input_ids"])
    response = tokenizer("hi", add_special_tokens=False)["input_ids"]
    assert enc["labels"][:prompt_len] == [IGNORE_INDEX] * prompt_len
    assert enc["labels"][prompt_len:] == response + [tokenizer.eos_token_id]
    assert enc["input_ids"][0] == tokenizer.bos_token_id


def test_long_prompt_is_cut_from_the_front_and_the_response_survives(tokenizer):
    record = {"instruction": "Summarise.", "input": "word " * 300, "output": "short"}
    report = EncodeReport()
    enc = encode_example(tokenizer, record, 64, report)
    assert len(enc["input_ids"]) == 64 and report.prompt_truncated == 1
    kept = [t for t in enc["labels"] if t != IGNORE_INDEX]
    assert kept == tokenizer("short", add_special_tokens=False)["input_ids"] + [tokenizer.eos_token_id]
    assert tokenizer.decode(enc["input_ids"]).rstrip().endswith("### Response:short") or "### Response:" in tokenizer.decode(enc["input_ids"])


def test_example_whose_response_cannot_fit_is_counted(tokenizer):
    report = EncodeReport()
    assert encode_example(tokenizer, {"instruction": "a", "input": "", "output": "long " * 200}, 32, report) is None
    assert report.dropped_no_room_for_response == 1 and report.examples == 0


def test_collate_pads_without_loss_or_attention():
    batch = collate([{"input_ids": [5, 6, 7], "labels": [-100, 6, 7]}, {"input_ids": [5], "labels": [5]}], pad_id=0)
    assert batch["input_ids"].tolist() == [[5, 6, 7], [5, 0, 0]]
    assert batch["labels"].tolist() == [[-100, 6, 7], [5, -100, -100]]
    assert batch["attention_mask"].tolist() == [[1, 1, 1], [1, 0, 0]]


def test_length_grouping_covers_every_example_once_and_pads_less_than_random():
    examples = [{"input_ids": [0] * n} for n in [3, 50, 4, 49, 5, 48, 6, 47]]
    batches = length_grouped_batches(examples, 2, seed=0, epoch=0)
    assert sorted(i for b in batches for i in b) == list(range(8))
    padded = sum(max(len(examples[i]["input_ids"]) for i in b) * len(b) for b in batches)
    assert padded < 8 * 50 * 0.7


def test_global_batch_holds_for_any_world_size():
    cfg = TrainConfig.from_dict({"base_model_dir": "m", "train_file": "t", "output_dir": "o",
                                 "global_batch_size": 128, "per_device_batch_size": 4})
    assert [cfg.accumulation_steps(w) for w in (1, 2, 8)] == [32, 16, 4]
    # a world size that cannot split it, and unknown keys: tests/unit/spec/test_bad_parameters.py
