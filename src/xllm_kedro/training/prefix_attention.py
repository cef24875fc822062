"""Causal attention over a packed row (packing.PackedLayout), exactly as each example computes alone.

Each example attends causally to its own tokens and, where it continues a shared preamble, to all of
the preamble's tokens. The two parts run as separate flash-attention calls whose outputs are merged by
their log-sum-exps: one call covers the preamble for every example that continues it (the keys are the
same), one per example covers its own tokens (top-left causal, both start together). The backward pass
gives each part the merged output and log-sum-exp, from which flash attention's backward kernel
recovers the exact softmax of the whole row, as in ring attention; the parts' gradients then add up.
"""

from __future__ import annotations

import torch

from xllm_kedro.training.packing import PackedLayout

_flash = torch.ops.aten._scaled_dot_product_flash_attention_for_cpu
_flash_backward = torch.ops.aten._scaled_dot_product_flash_attention_for_cpu_backward


def _cat(parts: list[torch.Tensor]) -> torch.Tensor:
    return parts[0] if len(parts) == 1 else torch.cat(parts, dim=2)


def _spans(layout: PackedLayout) -> list[tuple[int, int]]:
    """Every preamble and example span in row order: the pieces each result is concatenated from."""
    return [span for g in layout.groups for span in ([g.preamble] if g.preamble else []) + list(g.segments)]


def _sizes(layout: PackedLayout) -> list[int]:
    """The pieces' lengths: they tile the row, so one split gives every piece's view."""
    return [b - a for a, b in _spans(layout)]


def _shared(layout: PackedLayout):
    """(examples' span, preamble span) of every group that continues a preamble."""
    return [((g.segments[0][0], g.segments[-1][1]), g.preamble) for g in layout.groups if g.preamble is not None]


class PackedAttention(torch.autograd.Function):
    """(1, heads, tokens, dim) queries, keys and values of one packed row -> the attention output. The
    row is [preamble, its examples]..., then the examples alone (packing.collate_packed): each piece's
    own causal attention is concatenated in row order, then each group's examples are merged with their
    attention to the preamble."""

    @staticmethod
    def forward(ctx, query, key, value, layout: PackedLayout, scale: float):
        sizes = _sizes(layout)
        own = [_flash(q, k, v, 0.0, True, scale=scale)
               for q, k, v in zip(query.split(sizes, 2), key.split(sizes, 2), value.split(sizes, 2))]
        out, lse = _cat([o for o, _ in own]), _cat([l for _, l in own])
        for (a, b), (pa, pb) in _shared(layout):
            o_pre, l_pre = _flash(query[:, :, a:b], key[:, :, pa:pb], value[:, :, pa:pb], 0.0, False, scale=scale)
            l_own = lse[:, :, a:b]
            merged = torch.logaddexp(l_pre, l_own)
            out[:, :, a:b] = o_pre * (l_pre - merged).exp().unsqueeze(-1) + out[:, :, a:b] * (l_own - merged).exp().unsqueeze(-1)
            lse[:, :, a:b] = merged
        ctx.save_for_backward(query, key, value, out, lse)
        ctx.layout, ctx.scale = layout, scale
        return out

    @staticmethod
    def backward(ctx, grad_out):
        query, key, value, out, lse = ctx.saved_tensors

        sizes = _sizes(ctx.layout)
        own = [_flash_backward(*parts, 0.0, True, scale=ctx.scale)
               for parts in zip(*(t.split(sizes, 2) for t in (grad_out, query, key, value, out, lse)))]
        dq, dk, dv = (_cat([g[i] for g in own]) for i in range(3))
        for (a, b), (pa, pb) in _shared(ctx.layout):
            shared_dq, shared_dk, shared_dv = _flash_backward(
                grad_out[:, :, a:b], query[:, :, a:b], key[:, :, pa:pb], value[:, :, pa:pb], out[:, :, a:b],
                lse[:, :, a:b], 0.0, False, scale=ctx.scale)
            dq[:, :, a:b] += shared_dq
            dk[:, :, pa:pb] += shared_dk
            dv[:, :, pa:pb] += shared_dv
        return dq, dk, dv, None, None
