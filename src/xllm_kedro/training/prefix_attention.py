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


class PackedAttention(torch.autograd.Function):
    """(1, heads, tokens, dim) queries, keys and values of one packed row -> the attention output. The
    row is [preamble, its examples]..., then the examples alone (packing.collate_packed), so every
    result is assembled by concatenation in that order."""

    @staticmethod
    def forward(ctx, query, key, value, layout: PackedLayout, scale: float):
        def attend(q: tuple[int, int], kv: tuple[int, int], causal: bool):
            return _flash(query[:, :, q[0]:q[1]], key[:, :, kv[0]:kv[1]], value[:, :, kv[0]:kv[1]], 0.0, causal,
                          scale=scale)

        outs, lses = [], []
        for group in layout.groups:
            own = [attend(span, span, True) for span in group.segments]
            out, lse = _cat([o for o, _ in own]), _cat([l for _, l in own])
            if group.preamble is not None:
                o, l = attend(group.preamble, group.preamble, True)
                outs.append(o)
                lses.append(l)
                o_pre, l_pre = attend((group.segments[0][0], group.segments[-1][1]), group.preamble, False)
                merged = torch.logaddexp(l_pre, lse)
                out = (o_pre * (l_pre - merged).exp().unsqueeze(-1) + out * (lse - merged).exp().unsqueeze(-1)).to(out.dtype)
                lse = merged
            outs.append(out)
            lses.append(lse)
        out, lse = _cat(outs), _cat(lses)
        ctx.save_for_backward(query, key, value, out, lse)
        ctx.layout, ctx.scale = layout, scale
        return out

    @staticmethod
    def backward(ctx, grad_out):
        query, key, value, out, lse = ctx.saved_tensors

        def grads(q: tuple[int, int], kv: tuple[int, int], causal: bool):
            return _flash_backward(grad_out[:, :, q[0]:q[1]], query[:, :, q[0]:q[1]], key[:, :, kv[0]:kv[1]],
                                   value[:, :, kv[0]:kv[1]], out[:, :, q[0]:q[1]], lse[:, :, q[0]:q[1]], 0.0, causal,
                                   scale=ctx.scale)

        dq, dk, dv = [], [], []
        for group in ctx.layout.groups:
            own = [grads(span, span, True) for span in group.segments]
            own_dq, own_dk, own_dv = (_cat([g[i] for g in own]) for i in range(3))
            if group.preamble is not None:
                pre_dq, pre_dk, pre_dv = grads(group.preamble, group.preamble, True)
                shared_dq, shared_dk, shared_dv = grads((group.segments[0][0], group.segments[-1][1]),
                                                        group.preamble, False)
                dq.append(pre_dq)
                dk.append(pre_dk + shared_dk)
                dv.append(pre_dv + shared_dv)
                own_dq = own_dq + shared_dq
            dq.append(own_dq)
            dk.append(own_dk)
            dv.append(own_dv)
        return _cat(dq), _cat(dk), _cat(dv), None, None
