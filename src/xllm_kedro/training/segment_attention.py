"""Attention for padding-free packed batches: each example attends only to itself (and its preamble).

On a GPU with flash-attn installed, a packed micro-batch is one row of concatenated examples whose
boundaries flash-attention's variable-length kernel reads from cumulative lengths (``cu_seq_lens_q``).
Elsewhere the row carries a ``packed_layout`` (packing.py) and prefix_attention.py computes it: the
cost is the sum of each example's own attention, no block mask is ever built, and a preamble that
several examples share is computed once.
"""

from __future__ import annotations

import importlib.util

import torch
from transformers import AttentionInterface

from xllm_kedro.training.packing import PackedLayout
from xllm_kedro.training.prefix_attention import PackedAttention

NAME = "xllm_segment_sdpa"


def segment_sdpa(module, query, key, value, attention_mask=None, dropout: float = 0.0, scaling=None,
                 packed_layout: PackedLayout | None = None, **kwargs):
    """Attention of a (1, heads, tokens, dim) packed row laid out by ``packed_layout``."""
    if packed_layout is None:
        raise ValueError("segment attention needs packed_layout: feed it packed batches (collate_packed with preambles)")
    if dropout and module.training:
        raise ValueError(f"segment attention has no attention dropout ({dropout} asked)")
    if key.shape[1] != query.shape[1]:  # grouped-query attention: one copy of each kv head per query head
        repeat = query.shape[1] // key.shape[1]
        key, value = key.repeat_interleave(repeat, dim=1), value.repeat_interleave(repeat, dim=1)
    scale = query.shape[-1] ** -0.5 if scaling is None else scaling
    out = PackedAttention.apply(query, key, value, packed_layout, scale)
    return out.transpose(1, 2).contiguous(), None


AttentionInterface.register(NAME, segment_sdpa)


def packed_attention_implementation(device: torch.device) -> str:
    """flash-attention's varlen kernel on a GPU that has it, else the per-segment SDPA above."""
    if device.type == "cuda" and importlib.util.find_spec("flash_attn") is not None:
        return "flash_attention_2"
    return NAME
