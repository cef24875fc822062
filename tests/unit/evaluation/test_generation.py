"""Batched generation: what the model receives (left padding, longest first), finished rows leaving and
their slots refilled, what comes back (batch-1 greedy outputs, token offset, input order), and the
data-parallel sharding."""

import pytest
import torch

from xllm_kedro.evaluation.decoding import greedy_refill, prefill_groups
from xllm_kedro.evaluation.generation import generate, longest_first, merge_shards, shard
from xllm_kedro.training.tiny_model import load_model

PROMPTS = ["a b", "one two three four five six seven eight", "cat", "the quick brown fox jumps", "x y z w"]


class Recorder(torch.nn.Module):
    """The real model, recording the input of every forward call (prefill: several columns; decode: one)."""

    def __init__(self, model):
        super().__init__()
        self.model, self.calls = model, []
        self.config = model.config

    def forward(self, **kwargs):
        mask = kwargs.get("attention_mask")  # none for a shared prefix's own prefill (shared_prefix.py)
        self.calls.append((kwargs["input_ids"].clone(), None if mask is None else mask.clone()))
        return self.model(**kwargs)


def reference(model, tokenizer, prompt: str, max_new_tokens: int, eos: int | None = None) -> list[int]:
    """transformers' own greedy decoding of one prompt alone (no padding, no batch)."""
    ids = torch.tensor([[tokenizer.bos_token_id] + tokenizer(prompt, add_special_tokens=False)["input_ids"]])
    out = model.generate(input_ids=ids, attention_mask=torch.ones_like(ids), max_new_tokens=max_new_tokens,
                         do_sample=False, pad_token_id=tokenizer.pad_token_id,
                         eos_token_id=tokenizer.eos_token_id if eos is None else eos)
    tokens = out[0, ids.shape[1]:].tolist()
    return tokens[:tokens.index(eos)] if eos is not None and eos in tokens else tokens


@pytest.fixture(scope="module")
def tiny(tiny_model_dir):
    return load_model(tiny_model_dir)


def test_prompts_join_longest_first_left_padded(tiny):
    model, tokenizer = tiny
    recorder = Recorder(model)
    generate(recorder, tokenizer, PROMPTS, max_new_tokens=3, batch_size=2)
    lengths = [len(tokenizer(p, add_special_tokens=False)["input_ids"]) + 1 for p in PROMPTS]  # + BOS
    joined = []
    for ids, mask in recorder.calls:
        if ids.shape[1] == 1:
            continue  # a decoding step
        for row_ids, row_mask in zip(ids, mask):
            n = int(row_mask.sum())
            assert row_mask.tolist() == [0] * (len(row_mask) - n) + [1] * n  # padding only on the left
            assert (row_ids[: len(row_mask) - n] == tokenizer.pad_token_id).all()
            assert row_ids[len(row_mask) - n] == tokenizer.bos_token_id
            joined.append(n)
    assert any(0 in m for ids, m in recorder.calls if ids.shape[1] > 1), "the prompts should need padding"
    assert joined == sorted(lengths, reverse=True)


def test_greedy_outputs_equal_batch_1_decoding(tiny):
    model, tokenizer = tiny
    batched = generate(model, tokenizer, PROMPTS, max_new_tokens=7, batch_size=2)
    alone = [tokenizer.decode(reference(model, tokenizer, p, 7), skip_special_tokens=True).strip() for p in PROMPTS]
    assert batched == alone
    assert len(set(alone)) > 1, "the model's outputs hardly depend on the prompt: the check says little"


def test_a_finished_sequence_leaves_and_the_next_prompt_takes_its_slot(tiny):
    """Three prompts, two slots: the second ends at its second token (taken as EOS), and the third joins
    while the first is still decoding. Without the refill the third would wait for the first to end."""
    model, tokenizer = tiny
    prompts = PROMPTS[1], PROMPTS[3], PROMPTS[4]
    eos = reference(model, tokenizer, prompts[1], 2)[1]
    expected = [reference(model, tokenizer, p, 8, eos=eos) for p in prompts]
    assert [len(e) for e in expected] == [8, 1, 8], f"pick other prompts: {expected} with EOS {eos}"
    encoded = [[tokenizer.bos_token_id] + tokenizer(p, add_special_tokens=False)["input_ids"] for p in prompts]
    recorder = Recorder(model)
    out = dict(greedy_refill(recorder, encoded, [0, 1, 2], slots=2, max_new_tokens=8, eos_token_id=eos,
                             pad_token_id=tokenizer.pad_token_id))
    assert [out[i] for i in range(3)] == expected
    shapes = [tuple(ids.shape) for ids, _ in recorder.calls]
    # prefill of 0 and 1; one step (1 ends); prefill of 2; 0 needs 6 more steps, 2 needs 7
    assert [rows for rows, _ in shapes] == [2, 2, 1] + [2] * 6 + [1]
    assert [width > 1 for _, width in shapes] == [True, False, True] + [False] * 7


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


def test_prefill_groups_keep_their_padded_size_under_the_budget():
    lengths = [40, 30, 30, 12, 10, 9, 70]
    groups = prefill_groups(lengths, 64)
    assert [i for g in groups for i in g] == list(range(len(lengths)))  # every prompt once, in order
    assert groups == [[0], [1, 2], [3, 4, 5], [6]]  # 30 x 2, 12 x 3; a prompt over the budget goes alone
    assert all(len(g) == 1 or max(lengths[i] for i in g) * len(g) <= 64 for g in groups)


def test_prompts_prefilled_in_groups_decode_as_batch_1(tiny):
    """A budget that fits two short prompts: the five joining prompts take several prefill calls, none
    over the budget unless a prompt alone is, and every output is still that of batch-1 decoding."""
    model, tokenizer = tiny
    encoded = [[tokenizer.bos_token_id] + tokenizer(p, add_special_tokens=False)["input_ids"] for p in PROMPTS]
    budget = 2 * sorted(len(e) for e in encoded)[1]
    recorder = Recorder(model)
    out = dict(greedy_refill(recorder, encoded, longest_first([len(e) for e in encoded]), slots=5, max_new_tokens=5,
                             eos_token_id=None, pad_token_id=tokenizer.pad_token_id, prefill_tokens=budget))
    prefills = [ids.shape for ids, _ in recorder.calls if ids.shape[1] > 1]
    assert len(prefills) >= 3 and sum(rows for rows, _ in prefills) == len(PROMPTS)
    assert all(rows == 1 or rows * width <= budget for rows, width in prefills)
    assert [out[i] for i in range(len(PROMPTS))] == [reference(model, tokenizer, p, 5) for p in PROMPTS]
