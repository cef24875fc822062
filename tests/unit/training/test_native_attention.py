"""The native packed-attention kernel (kernels/packed_attention.c) against torch's flash kernels as
prefix_attention.py runs them: same outputs and gradients on rows of every shape; and how it is built,
chosen and refused."""

import random

import pytest
import torch

from xllm_kedro.training.kernels import build
from xllm_kedro.training.kernels.packed_attention import SWITCH, NativePackedAttention, usable
from xllm_kedro.training.packing import Group, PackedLayout
from xllm_kedro.training.prefix_attention import PackedAttention

pytestmark = pytest.mark.skipif(usable(torch.zeros(1, 1, 1, 8)) is not None,
                                reason=f"the native kernel cannot run here: {usable(torch.zeros(1, 1, 1, 8))}")


def _layout(seed: int, preambles: tuple[int | None, ...], longest: int) -> PackedLayout:
    """Groups with the given preamble lengths (None: examples alone) of 1 to 4 examples each, the
    examples' lengths drawn from 1 to ``longest`` tokens (odd ones too, and single tokens)."""
    rng, groups, at = random.Random(seed), [], 0
    for size in preambles:
        preamble = None if size is None else (at, at + size)
        at += size or 0
        segments = []
        for _ in range(rng.randint(1, 4)):
            n = rng.choice([1, 2, 3, 5, rng.randint(1, longest)])
            segments.append((at, at + n))
            at += n
        groups.append(Group(preamble, tuple(segments)))
    return PackedLayout(tuple(groups))


def _run(attention, layout, heads, size, projection_layout, seed):
    """Output and gradients of queries, keys and values made as the model makes them: (tokens, heads,
    size) projections seen as (1, heads, tokens, size), or contiguous (1, heads, tokens, size)."""
    tokens = max(b for g in layout.groups for _, b in g.segments)
    gen = torch.Generator().manual_seed(seed)
    shape = (1, tokens, heads, size) if projection_layout else (1, heads, tokens, size)
    leaves = [torch.randn(shape, generator=gen).requires_grad_() for _ in range(3)]
    q, k, v = (t.transpose(1, 2) if projection_layout else t for t in leaves)
    out = attention.apply(q, k, v, layout, size ** -0.5)
    out.backward(torch.randn(out.shape, generator=gen))
    return [out.detach().contiguous(), *(t.grad.transpose(1, 2) if projection_layout else t.grad for t in leaves)]


@pytest.mark.parametrize("preambles", [(None,), (49,), (49, None, 67), (8, 67)],
                         ids=["examples alone", "one preamble", "two preambles and examples alone", "short preamble"])
@pytest.mark.parametrize("heads,size", [(4, 16), (2, 64), (3, 8)])
@pytest.mark.parametrize("projection_layout", [True, False], ids=["projection layout", "contiguous"])
def test_native_kernel_matches_the_flash_kernels(preambles, heads, size, projection_layout):
    for seed in range(3):
        layout = _layout(seed, preambles, longest=300)
        native = _run(NativePackedAttention, layout, heads, size, projection_layout, seed)
        flash = _run(PackedAttention, layout, heads, size, projection_layout, seed)
        for name, a, b in zip(("output", "query grad", "key grad", "value grad"), native, flash):
            torch.testing.assert_close(a, b, rtol=1e-4, atol=2e-5, msg=f"{name}, layout {layout}")
        assert native[2].abs().sum() > 0


def test_a_preamble_key_gets_gradient_from_every_example_that_continues_it():
    """Queries of the examples reach the preamble's keys and values; an example's own keys are reached by
    no other example (the gradient isolation the packed row relies on)."""
    layout = PackedLayout((Group((0, 10), ((10, 30), (30, 45))),))
    tokens, heads, size = 45, 2, 16
    q, k, v = (torch.randn(1, heads, tokens, size, requires_grad=True) for _ in range(3))
    out = NativePackedAttention.apply(q, k, v, layout, 0.25)
    out[:, :, 30:45].sum().backward()  # the second example's outputs only
    assert k.grad[:, :, 0:10].abs().sum() > 0 and v.grad[:, :, 0:10].abs().sum() > 0
    assert k.grad[:, :, 10:30].abs().sum() == 0 and v.grad[:, :, 10:30].abs().sum() == 0
    assert q.grad[:, :, :30].abs().sum() == 0


@pytest.mark.parametrize("query,reason", [
    (torch.zeros(1, 4, 8, 16, dtype=torch.bfloat16), "bfloat16 on cpu: the kernel is float32 on the CPU"),
    (torch.zeros(1, 4, 8, 12), "head size 12 is not a multiple of 8"),
])
def test_the_kernel_refuses_what_it_does_not_compute(query, reason):
    assert usable(query) == reason


def test_the_switch_sends_attention_to_the_flash_kernels(monkeypatch):
    monkeypatch.setenv(SWITCH, "0")
    assert usable(torch.zeros(1, 4, 8, 16)) == f"{SWITCH}=0"


def test_build_is_cached_per_source_and_says_why_it_fails(tmp_path, monkeypatch):
    monkeypatch.setenv("XLLM_KERNEL_CACHE", str(tmp_path / "cache"))
    good = tmp_path / "twice.c"
    good.write_text("int twice(int x) { return 2 * x; }\n")
    assert build.load(good).twice(21) == 42
    assert build.load(good).twice(4) == 8
    assert len(list((tmp_path / "cache").glob("twice-*.so"))) == 1  # the second load compiled nothing
    good.write_text("int twice(int x) { return x + x; }\n")
    build.load(good)
    assert len(list((tmp_path / "cache").glob("twice-*.so"))) == 2  # a changed source is a new build

    bad = tmp_path / "broken.c"
    bad.write_text("int broken(int x) { return x +; }\n")
    with pytest.raises(build.KernelUnavailable, match=r"(?s)broken\.c .*failed:\n.*broken\.c:1:[0-9]+: error"):
        build.load(bad)
    assert not list((tmp_path / "cache").glob("broken*"))  # nothing half-built is left behind

    monkeypatch.setenv("PATH", str(tmp_path / "no-compilers-here"))
    monkeypatch.delenv("CC", raising=False)
    with pytest.raises(build.KernelUnavailable, match=r"no C compiler \(cc or gcc\) on PATH to build twice\.c"):
        build.load(good)


@pytest.mark.parametrize("threads", [2, 3])
def test_heads_split_over_threads_give_the_single_thread_result(threads):
    """Slices of heads run at once on torch's thread count (3 threads for 4 heads: uneven slices); each
    head's arithmetic is the same, so the results are equal bit for bit."""
    layout = _layout(0, (49, None, 67), longest=200)
    saved = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        alone = _run(NativePackedAttention, layout, 4, 16, True, 0)
        torch.set_num_threads(threads)
        split = _run(NativePackedAttention, layout, 4, 16, True, 0)
    finally:
        torch.set_num_threads(saved)
    for a, b in zip(alone, split):
        assert torch.equal(a, b)
