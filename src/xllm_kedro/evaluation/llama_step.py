"""A decoding step of a LLaMA-architecture model run straight on its weights.

A decoding step computes one token per row, so on a CPU much of what transformers' module stack costs
per step is Python and operator dispatch rather than arithmetic: about a tenth of the generation
benchmark's CPU time. This step does the same arithmetic, operation for operation and in the same
order (RMSNorm, rotary embedding, attention to the shared prefix and each row's own keys, SwiGLU MLP),
on the model's own weight tensors: no copy, so nothing is added to a 7B model's memory. It serves the
steps of prompts that share a prefix (shared_prefix.py: evaluation prompts share their template);
prefills, and prompts without a common prefix, go through the model's forward. ``LlamaStep.supports``
says which models qualify; others decode through ``model(...)``.
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
    """The modules of ``model`` that a decoding step reads."""

    def __init__(self, model):
        config, body = model.config, model.model
        self.head_dim = getattr(config, "head_dim", None) or config.hidden_size // config.num_attention_heads
        self.eps, self.scale = config.rms_norm_eps, self.head_dim ** -0.5
        self.body, self.head = body, model.lm_head.weight
        self.layers = body.layers[:config.num_hidden_layers]

    @staticmethod
    def supports(model) -> bool:
        """transformers' LLaMA without biases and with a SiLU MLP, whose modules the step reads are plain:
        exact ``nn.Linear`` projections, no forward hooks (an adapter, accelerate's device map or
        offloading) that would change what they compute. Other models decode through their forward."""
        config = model.config
        if not (type(model) is LlamaForCausalLM and not config.attention_bias and not config.mlp_bias
                and config.hidden_act == "silu"):
            return False
        body = model.model
        read = [body.embed_tokens, body.rotary_emb, body.norm, model.lm_head,
                *(m for layer in body.layers for m in layer.modules())]
        linears = [m for layer in body.layers for m in (*layer.self_attn.children(), *layer.mlp.children())
                   if isinstance(m, torch.nn.Linear)]
        return (len(linears) == 7 * len(body.layers) and all(type(m) is torch.nn.Linear for m in linears)
                and not any(m._forward_hooks or m._forward_pre_hooks or hasattr(m, "_hf_hook") for m in read))

    def _heads(self, x: torch.Tensor, linear: torch.nn.Linear) -> torch.Tensor:
        """(rows, 1, hidden) -> (rows, heads, 1, head_dim), as LlamaAttention lays out its projections."""
        return F.linear(x, linear.weight).view(x.shape[0], 1, -1, self.head_dim).transpose(1, 2)

    @torch.inference_mode()
    def __call__(self, ids: torch.Tensor, positions: torch.Tensor, cache: DynamicCache,
                 prefix: list[tuple[torch.Tensor, torch.Tensor]], own_bias: torch.Tensor) -> torch.Tensor:
        """The next-token logits (rows, vocabulary) after ``ids`` (rows, 1) at ``positions``; each layer's
        keys and values are appended to ``cache``."""
        h = F.embedding(ids, self.body.embed_tokens.weight)
        cos, sin = self.body.rotary_emb(h, positions)
        cos, sin = cos[:, None], sin[:, None]
        for i, layer in enumerate(self.layers):
            attention, mlp = layer.self_attn, layer.mlp
            x = _rms_norm(h, layer.input_layernorm.weight, self.eps)
            q, k, v = (self._heads(x, attention.q_proj), self._heads(x, attention.k_proj),
                       self._heads(x, attention.v_proj))
            k, v = cache.layers[i].update(_rotate(k, cos, sin), v)
            o = step_attention(_rotate(q, cos, sin), k, v, prefix[i], own_bias, self.scale)
            h = h + F.linear(o.reshape(h.shape[0], 1, -1), attention.o_proj.weight)
            x = _rms_norm(h, layer.post_attention_layernorm.weight, self.eps)
            h = h + F.linear(F.silu(F.linear(x, mlp.gate_proj.weight)) * F.linear(x, mlp.up_proj.weight),
                             mlp.down_proj.weight)
        return F.linear(_rms_norm(h[:, -1], self.body.norm.weight, self.eps), self.head)
