"""Packing: several examples share one sequence, each attending only to itself.

Examples are grouped into rows of at most ``max_length`` tokens (the token budget of a micro-batch is
rows x max_length); a micro-batch is then one padding-free sequence in which position ids restart at 0 for
every example and attention stays inside each example, so it computes exactly what the examples would
alone. How many examples one optimiser step takes is batching.py's business.
"""

from __future__ import annotations

import bisect
import itertools
from dataclasses import dataclass

import numpy as np
import torch

from xllm_kedro.training.examples import IGNORE_INDEX


def pack_examples(lengths: list[int], max_length: int, *, seed: int, epoch: int) -> list[list[int]]:
    """Group example indices into rows of at most ``max_length`` tokens: best fit, longest first.

    Each example goes to the fullest row it still fits in. Rows are kept in buckets by free room, and
    the sorted list of non-empty room values (at most ``max_length`` of them) is searched by bisection,
    so packing is O(n log n) (the sort) plus O(log max_length) per example, where a linear first fit
    was quadratic. Examples are shuffled before the stable sort so that ties break differently each
    epoch, and the rows are returned in a shuffled order.
    """
    rng = np.random.default_rng([seed, epoch])
    sizes = np.asarray(lengths, dtype=np.int64)
    if sizes.size and sizes.max() > max_length:
        i = int(sizes.argmax())
        raise ValueError(f"example {i} has {int(sizes[i])} tokens, more than max_length {max_length}")
    shuffled = rng.permutation(sizes.size)
    order = shuffled[np.argsort(-sizes[shuffled], kind="stable")].tolist()
    rows: list[list[int]] = []
    by_room: dict[int, list[int]] = {}  # free room -> rows with exactly that room
    rooms: list[int] = []  # sorted room values whose bucket is non-empty (full rows are never kept)
    for i in order:
        n = lengths[i]
        at = bisect.bisect_left(rooms, n)
        if at < len(rooms):
            room = rooms[at]
            bucket = by_room[room]
            r = bucket.pop()
            if not bucket:
                del rooms[at]
            rows[r].append(i)
        else:
            r, room = len(rows), max_length
            rows.append([i])
        left = room - n
        if left:
            bucket = by_room.setdefault(left, [])
            if not bucket:
                bisect.insort(rooms, left)
            bucket.append(r)
    return [rows[r] for r in rng.permutation(len(rows)).tolist()]


@dataclass(frozen=True)
class Group:
    """A shared preamble's ``[start, end)`` in the packed row (None: examples alone) and the ``[start,
    end)`` of each example that continues it, contiguous after it."""

    preamble: tuple[int, int] | None
    segments: tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class PackedLayout:
    """Where every piece of a packed micro-batch sits (prefix_attention.py reads it)."""

    groups: tuple[Group, ...]

    @property
    def examples(self) -> int:
        return sum(len(group.segments) for group in self.groups)


def collate_packed(examples: list[dict], rows: list[list[int]], preambles: list[list[int]] | None = None) -> dict:
    """The rows' examples concatenated into one padding-free sequence, with per-example position ids.

    Without ``preambles``: the examples one after another, with the cumulative lengths that
    flash-attention's variable-length kernel reads. With ``preambles`` (token ids, maybe none; each
    example's ``preamble`` indexes them, see preambles.py): every preamble the micro-batch's examples
    use is placed once, followed by those examples without it, their positions continuing after it, and
    ``packed_layout`` says which tokens attend to which (prefix_attention.py).
    """
    order = [i for row in rows for i in row]
    if preambles is None:
        lengths = [len(examples[i]["input_ids"]) for i in order]
        ids = torch.tensor([t for i in order for t in examples[i]["input_ids"]]).unsqueeze(0)
        labels = torch.tensor([t for i in order for t in examples[i]["labels"]]).unsqueeze(0)
        positions = torch.cat([torch.arange(n) for n in lengths]).unsqueeze(0)
        cu = torch.tensor([0, *itertools.accumulate(lengths)], dtype=torch.int32)
        longest = max(lengths)
        # An example's first label is always IGNORE_INDEX (its prompt starts with BOS), so the shifted loss
        # never asks one example to predict the next one's first token.
        return {"input_ids": ids, "labels": labels, "position_ids": positions, "cu_seq_lens_q": cu,
                "cu_seq_lens_k": cu, "max_length_q": longest, "max_length_k": longest}
    by_preamble: dict[int | None, list[int]] = {}
    for i in order:
        by_preamble.setdefault(examples[i].get("preamble"), []).append(i)
    ids, labels, positions, groups = [], [], [], []
    for p, members in sorted(by_preamble.items(), key=lambda item: (item[0] is None, item[0] or 0)):
        skip = 0 if p is None else len(preambles[p])
        span = None
        if p is not None:  # the preamble is all prompt: no label
            span = (len(ids), len(ids) + skip)
            ids += preambles[p]
            labels += [IGNORE_INDEX] * skip
            positions += range(skip)
        segments = []
        for i in members:
            tokens = examples[i]["input_ids"][skip:]
            segments.append((len(ids), len(ids) + len(tokens)))
            ids += tokens
            labels += examples[i]["labels"][skip:]  # starts inside the prompt: IGNORE_INDEX (preambles.py)
            positions += range(skip, skip + len(tokens))
        groups.append(Group(span, tuple(segments)))
    return {"input_ids": torch.tensor([ids]), "labels": torch.tensor([labels]), "position_ids": torch.tensor([positions]),
            "packed_layout": PackedLayout(tuple(groups))}
