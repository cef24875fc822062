"""Batched generation: what the model receives (left padding, longest first), what comes back (token
offset, input order), and the data-parallel sharding."""

import pytest
import torch

from xllm_kedro.evaluation.generation import generate, merge_shards, shard
from xllm_kedro.training.tiny_model import load_model

PROMPTS = ["a b", "one two three four five six seven eight", "cat", "the quick brown fox jumps", "x y z w"]


class Recorder(torch.nn.Module):
    """The real model, recording every batch that generate() hands it."""

    def __init__(self, model):
        super().__init__()
        self.model, self.batches = model, []

    def generate(self, **kwargs):
        self.batches.append((kwargs["input_ids"].clone(), kwargs["attention_mask"].clone()))
        return self.model.generate(**kwargs)


@pytest.fixture(scope="module")
def tiny(tiny_model_dir):
    return load_model(tiny_model_dir)


def test_batches_are_left_padded_and_longest_first(tiny):
    model, tokenizer = tiny
    recorder = Recorder(model)
    generate(recorder, tokenizer, PROMPTS, max_new_tokens=3, batch_size=2)
    lengths = [len(tokenizer(p, add_special_tokens=False)["input_ids"]) + 1 for p in PROMPTS]  # + BOS
    seen = []
    for ids, mask in recorder.batches:
        for row_ids, row_mask in zip(ids, mask):
            n = int(row_mask.sum())
            assert row_mask.tolist() == [0] * (len(row_mask) - n) + [1] * n  # padding only on the left
            assert (row_ids[: len(row_mask) - n] == tokenizer.pad_token_id).all()
            assert row_ids[len(row_mask) - n] == tokenizer.bos_token_id
            seen.append(n)
    assert any(0 in m for _, m in recorder.batches), "the prompts should need padding"
    assert seen == sorted(lengths, reverse=True) and len(recorder.batches) == 3
    recorder.batches.clear()
    generate(recorder, tokenizer, PROMPTS, max_new_tokens=3, batch_size=2, sort=False)  # the paper code's order
    assert [int(n) for _, m in recorder.batches for n in m.sum(dim=1)] == lengths


def test_outputs_come_back_in_input_order(tiny):
    model, tokenizer = tiny
    batched = generate(model, tokenizer, PROMPTS, max_new_tokens=5, batch_size=2)
    alone = [generate(model, tokenizer, [p], max_new_tokens=5, batch_size=1)[0] for p in PROMPTS]
    assert batched == alone


def test_prediction_is_cut_at_the_token_offset_not_by_characters(tiny):
    model, tokenizer = tiny
    prompt = "tell me</s> more"  # "</s>" is a special token: decoding the whole sequence drops it
    ids = [tokenizer.bos_token_id] + tokenizer(prompt, add_special_tokens=False)["input_ids"]
    out = model.generate(input_ids=torch.tensor([ids]), attention_mask=torch.ones(1, len(ids), dtype=torch.long),
                         max_new_tokens=6, do_sample=False, pad_token_id=tokenizer.pad_token_id)
    expected = tokenizer.decode(out[0, len(ids):], skip_special_tokens=True).strip()
    by_characters = tokenizer.decode(out[0], skip_special_tokens=True)[len(prompt):].strip()
    assert expected != by_characters  # character slicing would lose the first characters
    assert generate(model, tokenizer, [prompt, "a longer neighbour prompt"], max_new_tokens=6)[0] == expected


def test_stop_strings_cut_the_output(tiny):
    model, tokenizer = tiny
    full = generate(model, tokenizer, ["hello"], max_new_tokens=12)[0]
    if len(full) > 2:
        stop = full[1:3]
        cut = generate(model, tokenizer, ["hello"], max_new_tokens=12, stop=[stop])[0]
        assert cut == full[: full.find(stop)].strip()


def test_shards_cover_every_request_once_with_balanced_lengths():
    order = list(range(10))  # already sorted longest first
    shards = [shard(order, r, 3) for r in range(3)]
    assert shards == [[0, 3, 6, 9], [1, 4, 7], [2, 5, 8]]
    texts = [[(i, f"out{i}") for i in s] for s in shards]
    assert merge_shards(texts, 10) == [f"out{i}" for i in range(10)]
    with pytest.raises(ValueError, match="rank 3"):
        shard(order, 3, 3)


def test_merge_rejects_a_missing_or_duplicated_request():
    with pytest.raises(ValueError, match="by no process"):
        merge_shards([[(0, "a")]], 2)
    with pytest.raises(ValueError, match="two processes"):
        merge_shards([[(0, "a")], [(0, "b")]], 1)
