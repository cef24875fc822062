"""Prompts that share a template: the common prefix is prefilled once and kept out of the rows' cache,
and the outputs stay those of batch-1 greedy decoding (rows ending early and refills included)."""

import pytest
import torch
from torch.nn import functional as F

from xllm_kedro.evaluation.decoding import greedy_refill
from xllm_kedro.evaluation.generation import generate
from xllm_kedro.evaluation.shared_prefix import MIN_SHARED_PREFIX, common_prefix, shared_prefix_attention
from xllm_kedro.prompts import alpaca_prompt

from .test_generation import Recorder, reference

SENTENCES = ["The cat sleeps.", "A ferry leaves the harbour at dawn with the morning mail.", "Rain again.",
             "Two trains met at the old station near the river.", "Bread"]
PROMPTS = [alpaca_prompt("Translate the following sentences from English to Chinese.", s) for s in SENTENCES]


def test_the_common_prefix_leaves_every_row_a_token_of_its_own():
    head = list(range(100, 100 + MIN_SHARED_PREFIX + 2))
    assert common_prefix([head + [1, 2], head + [3]]) == head
    assert common_prefix([head, head + [7]]) == head[:-1]  # the first row keeps its last token
    assert common_prefix([head[:MIN_SHARED_PREFIX - 1] + [1], head[:MIN_SHARED_PREFIX - 1] + [2]]) == []  # too short
    assert common_prefix([head + [1]]) == []  # one row: nothing to share


def test_templated_prompts_prefill_the_prefix_once_and_decode_as_batch_1(random_llama):
    model, tokenizer = random_llama
    encoded = [[tokenizer.bos_token_id] + tokenizer(p, add_special_tokens=False)["input_ids"] for p in PROMPTS]
    shared = common_prefix(encoded)
    assert len(shared) >= 20, "the template should give a long common prefix"
    eos = tokenizer.eos_token_id
    expected = [reference(model, tokenizer, p, 8, eos=eos) for p in PROMPTS]
    assert min(len(e) for e in expected) < 8, "some request should end early (at EOS), freeing its slot"
    assert len({tuple(e) for e in expected}) > 2, "the outputs should depend on the prompt"
    recorder = Recorder(model)
    attention = model.config._attn_implementation
    out = dict(greedy_refill(recorder, encoded, list(range(5)), slots=2, max_new_tokens=8, eos_token_id=eos,
                             pad_token_id=tokenizer.pad_token_id))
    assert [out[i] for i in range(5)] == expected
    assert model.config._attn_implementation == attention  # given back after decoding
    (first_ids, _), *rest = recorder.calls
    assert first_ids.tolist() == [shared]  # the prefix alone, once
    suffixes = [len(e) - len(shared) for e in encoded]
    prefills = [(ids, mask) for ids, mask in rest if ids.shape[1] > 1]
    assert prefills and all(ids.shape[1] <= max(suffixes) for ids, _ in prefills)  # never the prefix again
    assert all(mask.shape[1] == len(shared) + ids.shape[1] for ids, mask in prefills)
    assert all(bool(mask[:, :len(shared)].all()) for _, mask in prefills)  # every row sees the prefix
    steps = [mask for ids, mask in rest if ids.shape[1] == 1]
    assert steps and all(mask is None for mask in steps)  # a step's mask is the own columns' bias alone


def test_generate_gives_the_same_text_with_and_without_a_shared_prefix(random_llama):
    model, tokenizer = random_llama
    alone = [tokenizer.decode(reference(model, tokenizer, p, 6), skip_special_tokens=True).strip() for p in PROMPTS]
    assert generate(model, tokenizer, PROMPTS, max_new_tokens=6, batch_size=3) == alone


@pytest.mark.parametrize("heads,kv_heads", [(4, 4), (4, 2)])
def test_split_attention_equals_sdpa_over_the_whole_row(heads, kv_heads):
    torch.manual_seed(0)
    rows, dim, length, own = 3, 8, 5, 4

    class Layer(torch.nn.Module):
        layer_idx = 0

    query = torch.randn(rows, heads, 1, dim)
    prefix = (torch.randn(1, kv_heads, length, dim), torch.randn(1, kv_heads, length, dim))
    key, value = torch.randn(rows, kv_heads, own, dim), torch.randn(rows, kv_heads, own, dim)
    mask = torch.ones(rows, 1, 1, length + own, dtype=torch.bool)
    mask[0, ..., length:length + 2] = False  # a left-padded row
    bias = torch.zeros(rows, 1, 1, own).masked_fill(~mask[..., length:], float("-inf"))
    out, _ = shared_prefix_attention(Layer(), query, key, value, None, shared_prefix=[prefix], own_bias=bias)
    whole_k = torch.cat([prefix[0].expand(rows, -1, -1, -1), key], 2).repeat_interleave(heads // kv_heads, 1)
    whole_v = torch.cat([prefix[1].expand(rows, -1, -1, -1), value], 2).repeat_interleave(heads // kv_heads, 1)
    expected = F.scaled_dot_product_attention(query, whole_k, whole_v, attn_mask=mask).transpose(1, 2)
    torch.testing.assert_close(out, expected, rtol=1e-5, atol=1e-6)
    padded_out, _ = shared_prefix_attention(Layer(), query, key, value, None, shared_prefix=[prefix],
                                            own_bias=torch.zeros_like(bias))
    assert not torch.allclose(padded_out[0], out[0])  # the mask mattered
