"""Attention for padding-free packed batches: each example attends only to itself.

A packed micro-batch is one row of concatenated examples whose boundaries are given by cumulative
lengths (``cu_seq_lens_q``, the layout of flash-attention's variable-length kernels). Where flash-attn is
installed on a GPU, its kernel reads them directly. Elsewhere this module's SDPA runs causal attention
example by example: the cost is the sum of len² rather than row_len², and no block mask is ever built.
"""

from __future__ import annotations

import importlib.util

import torch
from torch.nn import functional as F
from transformers import AttentionInterface

NAME = "xllm_segment_sdpa"


def segment_sdpa(module, query, key, value, attention_mask=None, dropout: float = 0.0, scaling=None,
                 cu_seq_lens_q: torch.Tensor | None = None, **kwargs):
    """Causal SDPA on each [start, end) segment of a (1, heads, tokens, dim) packed row."""
    if cu_seq_lens_q is None:
        raise ValueError("segment attention needs cu_seq_lens_q: feed it packed batches (collate_packed)")
    bounds = cu_seq_lens_q.tolist()
    gqa = key.shape[1] != query.shape[1]
    p = dropout if module.training else 0.0
    parts = [
        F.scaled_dot_product_attention(query[:, :, s:e], key[:, :, s:e], value[:, :, s:e], is_causal=True,
                                       scale=scaling, dropout_p=p, enable_gqa=gqa)
        for s, e in zip(bounds[:-1], bounds[1:])
    ]
    return torch.cat(parts, dim=2).transpose(1, 2).contiguous(), None


AttentionInterface.register(NAME, segment_sdpa)


def packed_attention_implementation(device: torch.device) -> str:
    """flash-attention's varlen kernel on a GPU that has it, else the per-segment SDPA above."""
    if device.type == "cuda" and importlib.util.find_spec("flash_attn") is not None:
        return "flash_attention_2"
    return NAME
