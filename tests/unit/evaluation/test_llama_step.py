"""The lean decoding step computes what the model's own forward computes, bit for bit, and generate uses
it for every decoding step of a LLaMA model."""

import copy

import pytest
import torch
from transformers import LlamaConfig, LlamaForCausalLM

from xllm_kedro.evaluation.decoding import left_padded
from xllm_kedro.evaluation.generation import generate
from xllm_kedro.evaluation.llama_step import LlamaStep
from xllm_kedro.evaluation.shared_prefix import NAME, SharedPrefix, common_prefix
from xllm_kedro.training.tiny_model import build_tiny_llama

from .test_generation import Recorder, reference
from .test_shared_prefix import PROMPTS


LLAMA3_ROPE = {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
               "original_max_position_embeddings": 64}


@pytest.mark.parametrize("config,dtype", [
    ({}, torch.float32),  # grouped-query attention: 4 query heads, 2 key-value heads
    ({"head_dim": 8}, torch.float32),  # a head size other than hidden / heads
    ({"rope_scaling": LLAMA3_ROPE}, torch.float32),
    ({"num_key_value_heads": 4, "tie_word_embeddings": False}, torch.bfloat16),
], ids=["gqa", "head_dim", "llama3_rope", "bf16"])
@torch.inference_mode()
def test_a_step_equals_the_models_own_step(random_llama, config, dtype):
    tokenizer = random_llama[1]
    model = build_tiny_llama(tokenizer, seed=0, **{
        "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2, "num_attention_heads": 4,
        "num_key_value_heads": 2, "max_position_embeddings": 256, "initializer_range": 0.1, **config}).to(dtype).eval()
    encoded = [[tokenizer.bos_token_id] + tokenizer(p, add_special_tokens=False)["input_ids"] for p in PROMPTS]
    prefix = SharedPrefix(model, common_prefix(encoded), "cpu")
    saved, model.config._attn_implementation = model.config._attn_implementation, NAME
    try:
        ids, mask = left_padded([e[prefix.length:] for e in encoded], tokenizer.pad_token_id)
        out = model(input_ids=ids, position_ids=prefix.length + (mask.cumsum(-1) - 1).clamp(min=0),
                    cache=prefix.new_cache(model), use_cache=True, logits_to_keep=1, **prefix.forward_kwargs(mask))
        mask = torch.cat([mask, mask.new_ones((len(encoded), 1))], dim=1)
        positions = prefix.length + mask.sum(dim=1, keepdim=True) - 1
        token = out.logits[:, -1].argmax(-1)[:, None]
        lean_cache = copy.deepcopy(out.cache)
        kwargs = prefix.step_kwargs(mask)
        expected = model(input_ids=token, position_ids=positions, cache=out.cache, use_cache=True, logits_to_keep=1,
                         **kwargs).logits[:, -1]
        logits = LlamaStep(model)(token, positions, lean_cache, kwargs["shared_prefix"], kwargs["own_bias"])
    finally:
        model.config._attn_implementation = saved
    assert torch.equal(logits, expected)
    for mine, theirs in zip(lean_cache.layers, out.cache.layers, strict=True):
        assert torch.equal(mine.keys, theirs.keys) and torch.equal(mine.values, theirs.values)


def test_generate_decodes_every_step_without_the_module_stack(random_llama):
    model, tokenizer = random_llama
    widths = []
    hook = model.model.register_forward_pre_hook(lambda _, args, kwargs: widths.append(kwargs["input_ids"].shape[1]),
                                                 with_kwargs=True)
    try:
        out = generate(model, tokenizer, PROMPTS, max_new_tokens=6, batch_size=2)
    finally:
        hook.remove()
    assert widths and min(widths) > 1  # the prefix and the prompts' prefills; no one-token step
    assert out == [tokenizer.decode(reference(model, tokenizer, p, 6), skip_special_tokens=True).strip() for p in PROMPTS]


def test_models_the_step_does_not_compute_keep_their_own_forward(random_llama):
    model, _ = random_llama
    assert LlamaStep.supports(model)
    assert not LlamaStep.supports(Recorder(model))  # a wrapper may change what forward does
    config = LlamaConfig(vocab_size=32, hidden_size=16, intermediate_size=32, num_hidden_layers=1,
                         num_attention_heads=2, attention_bias=True)
    assert not LlamaStep.supports(LlamaForCausalLM(config))
    config.attention_bias, config.hidden_act = False, "gelu"
    assert not LlamaStep.supports(LlamaForCausalLM(config))
    hooked = LlamaForCausalLM(LlamaConfig(vocab_size=32, hidden_size=16, intermediate_size=32, num_hidden_layers=1,
                                          num_attention_heads=2))
    assert LlamaStep.supports(hooked)
    handle = hooked.model.layers[0].mlp.up_proj.register_forward_hook(lambda module, args, out: out * 2)
    assert not LlamaStep.supports(hooked)  # a hook (an adapter, say) changes what the projection gives
    handle.remove()

    class Scaled(torch.nn.Linear):
        pass

    hooked.model.layers[0].self_attn.q_proj.__class__ = Scaled
    assert not LlamaStep.supports(hooked)  # nor a Linear of another kind (quantised, say)
