"""Attention for padding-free packed batches: each example attends only to itself (and its preamble).

On a GPU with flash-attn installed, a packed micro-batch is one row of concatenated examples whose
boundaries flash-attention's variable-length kernel reads from cumulative lengths (``cu_seq_lens_q``);
on a GPU without it, this module runs SDPA example by example between those bounds. On the CPU the row
carries a ``packed_layout`` (packing.py), computed in one call per layer by the native kernel
(kernels/packed_attention.c) where it is built and the tensors qualify, else by prefix_attention.py on
torch's flash kernels, a preamble that several examples share included. Either way the cost is the sum
of each example's own attention and no block mask is ever built.
"""

from __future__ import annotations

import functools
import importlib.util
import logging

import torch
from torch.nn import functional as F
from transformers import AttentionInterface

from xllm_kedro.training.kernels.packed_attention import NativePackedAttention, describe, usable
from xllm_kedro.training.packing import PackedLayout
from xllm_kedro.training.prefix_attention import PackedAttention

NAME = "xllm_segment_sdpa"
log = logging.getLogger(__name__)


def segment_sdpa(module, query, key, value, attention_mask=None, dropout: float = 0.0, scaling=None,
                 packed_layout: PackedLayout | None = None, cu_seq_lens_q: torch.Tensor | None = None, **kwargs):
    """Attention of a (1, heads, tokens, dim) packed row: laid out by ``packed_layout`` on the CPU, else
    (a GPU without flash-attn) causal SDPA example by example between the ``cu_seq_lens_q`` bounds."""
    gqa = key.shape[1] != query.shape[1]
    p = dropout if module.training else 0.0
    if packed_layout is not None:
        if p:
            raise ValueError(f"the packed layout's attention has no dropout ({dropout} asked)")
        if query.device.type != "cpu":
            raise ValueError("packed_layout runs on the CPU's flash kernels: on a GPU collate without preambles")
        if gqa:  # one copy of each kv head per query head
            repeat = query.shape[1] // key.shape[1]
            key, value = key.repeat_interleave(repeat, dim=1), value.repeat_interleave(repeat, dim=1)
        if torch.is_autocast_enabled("cpu"):  # what autocast does for SDPA: all three in its lower precision
            low = torch.get_autocast_dtype("cpu")
            query, key, value = query.to(low), key.to(low), value.to(low)
        scale = query.shape[-1] ** -0.5 if scaling is None else scaling
        why_not = usable(query)
        _say_backend(why_not)
        attention = NativePackedAttention if why_not is None else PackedAttention
        return attention.apply(query, key, value, packed_layout, scale).transpose(1, 2).contiguous(), None
    if cu_seq_lens_q is None:
        raise ValueError("segment attention needs packed batches (collate_packed): a packed_layout or cu_seq_lens_q")
    bounds = cu_seq_lens_q.tolist()
    parts = [F.scaled_dot_product_attention(query[:, :, s:e], key[:, :, s:e], value[:, :, s:e], is_causal=True,
                                            scale=scaling, dropout_p=p, enable_gqa=gqa)
             for s, e in zip(bounds[:-1], bounds[1:])]
    return torch.cat(parts, dim=2).transpose(1, 2).contiguous(), None


@functools.cache
def _say_backend(why_not: str | None) -> None:
    """Which kernels a packed row's attention runs on, once per process and reason."""
    log.info("packed attention: %s", describe(why_not))


AttentionInterface.register(NAME, segment_sdpa)


def packed_attention_implementation(device: torch.device) -> str:
    """flash-attention's varlen kernel on a GPU that has it, else the segment attention above."""
    if device.type == "cuda" and importlib.util.find_spec("flash_attn") is not None:
        return "flash_attention_2"
    return NAME


def shares_preambles(model, device: torch.device) -> bool:
    """Whether packed rows carry a ``packed_layout`` (preambles shared): segment attention on the CPU, whose
    flash kernels prefix_attention.py runs on; a GPU keeps cumulative lengths."""
    return model.config._attn_implementation == NAME and device.type == "cpu"
