"""Packing: several examples share one sequence, each attending only to itself.

Examples are grouped into rows of at most ``max_length`` tokens (the token budget of a micro-batch is
rows x max_length); a micro-batch is then one padding-free sequence in which position ids restart at 0 for
every example and attention stays inside each example, so it computes exactly what the examples would
alone.
"""

from __future__ import annotations

import itertools
import random

import torch



def pack_examples(lengths: list[int], max_length: int, *, seed: int, epoch: int) -> list[list[int]]:
    """Group example indices into rows of at most ``max_length`` tokens (first fit, longest first).

    Examples are shuffled before sorting so that ties break differently each epoch, and the rows are
    returned in a shuffled order.
    """
    rng = random.Random(seed * 1000003 + epoch)
    order = list(range(len(lengths)))
    rng.shuffle(order)
    order.sort(key=lambda i: -lengths[i])
    rows: list[list[int]] = []
    room: list[int] = []
    for i in order:
        if lengths[i] > max_length:
            raise ValueError(f"example {i} has {lengths[i]} tokens, more than max_length {max_length}")
        for r, free in enumerate(room):
            if lengths[i] <= free:
                rows[r].append(i)
                room[r] -= lengths[i]
                break
        else:
            rows.append([i])
            room.append(max_length - lengths[i])
    rng.shuffle(rows)
    return rows


def collate_packed(examples: list[dict], rows: list[list[int]]) -> dict:
    """The rows' examples concatenated into one padding-free sequence, with per-example position ids and
    the cumulative lengths that keep examples apart in attention (see segment_attention)."""
    order = [i for row in rows for i in row]
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
