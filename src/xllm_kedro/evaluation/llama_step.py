"""A decoding step of a LLaMA-architecture model run straight on its weights.

A decoding step computes one token per row, so on a CPU most of what transformers' module stack costs
per step is Python and operator dispatch, not arithmetic: on the generation benchmark's model about a
fifth of decoding. This step does the same arithmetic, operation for operation (RMSNorm, rotary
embedding, attention to the shared prefix and each row's own keys, SwiGLU MLP), with the query, key and
value projections in one matrix product and the gate and up projections in another. Prefills still go
through the model's own forward. ``LlamaStep.supports`` says which models qualify; others decode
through ``model(...)``.
"""

from __future__ import annotations

import torch
from torch.nn import functional as F
from transformers import DynamicCache, LlamaForCausalLM

from xllm_kedro.evaluation.shared_prefix import step_attention


def _rms_norm(x: torch.Tensor, weight: torch.Tensor, eps: float) -> torch.Tensor:
    """LlamaRMSNorm's arithmetic in its order, so a step's outputs equal the model's own."""
    dtype = x.dtype
    x = x.to(torch.float32)
    x = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps)
    return weight * x.to(dtype)


def _rotate(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    half = x.shape[-1] // 2
    return x * cos + torch.cat((-x[..., half:], x[..., :half]), dim=-1) * sin


class LlamaStep:
    """The weights of ``model`` arranged for decoding steps (projections concatenated once)."""

    def __init__(self, model):
        config, body = model.config, model.model
        self.heads, self.kv_heads = config.num_attention_heads, config.num_key_value_heads
        self.head_dim = getattr(config, "head_dim", None) or config.hidden_size // self.heads
        self.eps = config.rms_norm_eps
        self.scale = self.head_dim ** -0.5
        self.embed, self.rotary = body.embed_tokens.weight, body.rotary_emb
        self.norm, self.head = body.norm.weight, model.lm_head.weight
        with torch.no_grad():
            self.layers = [(
                layer.input_layernorm.weight,
                torch.cat([layer.self_attn.q_proj.weight, layer.self_attn.k_proj.weight, layer.self_attn.v_proj.weight]),
                layer.self_attn.o_proj.weight,
                layer.post_attention_layernorm.weight,
                torch.cat([layer.mlp.gate_proj.weight, layer.mlp.up_proj.weight]),
                layer.mlp.down_proj.weight,
            ) for layer in body.layers[:config.num_hidden_layers]]

    @staticmethod
    def supports(model) -> bool:
        """transformers' LLaMA without biases, with a SiLU MLP and one tensor-parallel slice (what the step
        computes); a wrapped or other model decodes through its own forward."""
        config = model.config
        return (type(model) is LlamaForCausalLM and not config.attention_bias and not config.mlp_bias
                and config.hidden_act == "silu" and (getattr(config, "pretraining_tp", 1) or 1) == 1)

    @torch.inference_mode()
    def __call__(self, ids: torch.Tensor, positions: torch.Tensor, cache: DynamicCache,
                 prefix: list[tuple[torch.Tensor, torch.Tensor]], own_bias: torch.Tensor) -> torch.Tensor:
        """The next-token logits (rows, vocabulary) after ``ids`` (rows, 1) at ``positions``; each layer's
        keys and values are appended to ``cache``."""
        rows = ids.shape[0]
        h = F.embedding(ids, self.embed)
        cos, sin = self.rotary(h, positions)
        cos, sin = cos[:, None], sin[:, None]
        sizes = [self.heads, self.kv_heads, self.kv_heads]
        for i, (norm1, qkv, out, norm2, gate_up, down) in enumerate(self.layers):
            x = F.linear(_rms_norm(h, norm1, self.eps), qkv).view(rows, 1, -1, self.head_dim).transpose(1, 2)
            q, k, v = x.split(sizes, dim=1)
            k, v = cache.layers[i].update(_rotate(k, cos, sin), v)
            o = step_attention(_rotate(q, cos, sin), k, v, prefix[i], own_bias, self.scale)
            h = h + F.linear(o.reshape(rows, 1, -1), out)
            gate, up = F.linear(_rms_norm(h, norm2, self.eps), gate_up).chunk(2, dim=-1)
            h = h + F.linear(F.silu(gate.contiguous()) * up, down)  # contiguous: silu rounds as the model does
        return F.linear(_rms_norm(h[:, -1], self.norm, self.eps), self.head)
