"""packed_attention.c as an autograd function: the packed row's attention in one call per layer.

It computes what prefix_attention.PackedAttention computes with torch's CPU flash kernels, pieces and
preambles alike, at about half the time on a tiny LLaMA (head size 16, where the flash kernels' blocks
are mostly overhead; docs/architecture.md has the figures). It takes float32 tensors whose head size is
a multiple of 8 and contiguous; ``usable`` says whether a call qualifies, and why not.
"""

from __future__ import annotations

import ctypes
import functools
import logging
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import torch

from xllm_kedro.training.kernels.build import KernelUnavailable, load
from xllm_kedro.training.packing import PackedLayout

log = logging.getLogger(__name__)
SWITCH = "XLLM_NATIVE_ATTENTION"  # "0": always torch's flash kernels


class _Strides(ctypes.Structure):
    _fields_ = [("token", ctypes.c_long), ("head", ctypes.c_long)]


@functools.cache
def _library() -> ctypes.CDLL | None:
    """The built kernel, or None (said once in the log) where it cannot be built here."""
    try:
        library = load(Path(__file__).with_suffix(".c"))
    except KernelUnavailable as why:
        log.warning("packed attention runs on torch's flash kernels: %s", why)
        return None
    strides, pointer = _Strides, ctypes.c_void_p
    library.packed_attention_forward.argtypes = [pointer, strides] * 4 + [pointer] + [ctypes.c_int] * 3 + [
        pointer, ctypes.c_int, ctypes.c_float]
    library.packed_attention_backward.argtypes = [pointer, strides] * 4 + [pointer, pointer, strides] + [
        pointer] * 3 + [strides] + [ctypes.c_int] * 3 + [pointer, ctypes.c_int, ctypes.c_float]
    return library


def usable(query: torch.Tensor) -> str | None:
    """None where the kernel can take these (1, heads, tokens, head size) queries, else why not."""
    if os.environ.get(SWITCH) == "0":
        return f"{SWITCH}=0"
    if query.dtype != torch.float32 or query.device.type != "cpu":
        return f"{str(query.dtype).removeprefix('torch.')} on {query.device.type}: the kernel is float32 on the CPU"
    if query.shape[-1] % 8:
        return f"head size {query.shape[-1]} is not a multiple of 8"
    if _library() is None:
        return "the kernel could not be built (see the warning above)"
    return None


def describe(why_not: str | None) -> str:
    """Which kernels run, given ``usable``'s answer: for the log and the benchmarks."""
    return "the native kernel (kernels/packed_attention.c)" if why_not is None else f"torch's flash kernels ({why_not})"


@functools.lru_cache(maxsize=16)
def _pieces(layout: PackedLayout) -> torch.Tensor:
    """(a, b, pa, pb) per piece: queries [a, b) see keys [a, i] causally and the preamble [pa, pb)."""
    rows = []
    for group in layout.groups:
        start, end = group.preamble or (0, 0)
        if group.preamble:
            rows.append((start, end, 0, 0))
        rows += [(a, b, start, end) for a, b in group.segments]
    return torch.tensor(rows, dtype=torch.int32)


def _dense_rows(t: torch.Tensor) -> torch.Tensor:
    """``t`` with its head size contiguous, as the kernel reads every tensor."""
    return t if t.stride(-1) == 1 else t.contiguous()


def _view(t: torch.Tensor, head: int) -> list:
    """A (1, heads, tokens, head size) tensor from ``head`` on, as the kernel reads it: the address of its
    data and its (token, head) strides."""
    return [ctypes.c_void_p(t[:, head].data_ptr()), _Strides(t.stride(2), t.stride(1))]


def _empty_like_projection(t: torch.Tensor) -> torch.Tensor:
    """(1, heads, tokens, head size), laid out (tokens, heads, head size) as attention's output is used."""
    _, heads, tokens, size = t.shape
    return torch.empty(1, tokens, heads, size, dtype=t.dtype).transpose(1, 2)


@functools.cache
def _pool(workers: int) -> ThreadPoolExecutor:
    return ThreadPoolExecutor(workers, thread_name_prefix="packed-attention")


def _over_heads(call: Callable[[int, int], int], heads: int) -> None:
    """``call(first, end)`` on slices of the heads, as many at once as torch has intra-op threads (ctypes
    releases the GIL), as the flash kernels would use them; the heads are independent."""
    workers = min(torch.get_num_threads(), heads)
    bounds = [heads * i // workers for i in range(workers + 1)]
    failed = call(0, heads) if workers == 1 else any(_pool(workers).map(call, bounds[:-1], bounds[1:]))
    if failed:
        raise MemoryError("packed attention: no memory for the kernel's buffers")


class NativePackedAttention(torch.autograd.Function):
    @staticmethod
    def forward(ctx, query, key, value, layout: PackedLayout, scale: float):
        _, heads, tokens, size = query.shape
        query, key, value = (_dense_rows(t) for t in (query, key, value))
        out, lse, pieces = _empty_like_projection(query), torch.empty(heads, tokens), _pieces(layout)
        _over_heads(lambda first, end: _library().packed_attention_forward(
            *_view(query, first), *_view(key, first), *_view(value, first), *_view(out, first),
            ctypes.c_void_p(lse[first].data_ptr()), end - first, tokens, size, ctypes.c_void_p(pieces.data_ptr()),
            len(pieces), scale), heads)
        ctx.save_for_backward(query, key, value, out, lse)
        ctx.layout, ctx.scale = layout, scale
        return out

    @staticmethod
    def backward(ctx, grad_out):
        query, key, value, out, lse = ctx.saved_tensors
        grad_out = _dense_rows(grad_out)
        _, heads, tokens, size = query.shape
        pieces = _pieces(ctx.layout)
        grads = [_empty_like_projection(query) for _ in range(3)]
        _over_heads(lambda first, end: _library().packed_attention_backward(
            *_view(query, first), *_view(key, first), *_view(value, first), *_view(out, first),
            ctypes.c_void_p(lse[first].data_ptr()), *_view(grad_out, first),
            *(_view(g, first)[0] for g in grads), _view(grads[0], first)[1], end - first, tokens, size,
            ctypes.c_void_p(pieces.data_ptr()), len(pieces), ctx.scale), heads)
        return *grads, None, None
