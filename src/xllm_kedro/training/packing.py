"""Packing: several examples share one sequence, each attending only to itself.

Position ids restart at 0 for every example and a block-diagonal causal mask keeps examples apart,
so a packed row computes exactly what the examples would alone, without the padding.
"""

from __future__ import annotations

import random

import torch

from .examples import IGNORE_INDEX


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


def collate_packed(examples: list[dict], rows: list[list[int]], pad_id: int, dtype: torch.dtype = torch.float32) -> dict:
    """Input ids, labels, per-example position ids and an additive block-causal 4-D attention mask."""
    width = max(sum(len(examples[i]["input_ids"]) for i in row) for row in rows)
    n = len(rows)
    ids = torch.full((n, width), pad_id, dtype=torch.long)
    labels = torch.full((n, width), IGNORE_INDEX, dtype=torch.long)
    positions = torch.zeros((n, width), dtype=torch.long)
    segment = torch.zeros((n, width), dtype=torch.long)  # 0 marks padding
    for r, row in enumerate(rows):
        start = 0
        for s, i in enumerate(row, start=1):
            e = examples[i]
            end = start + len(e["input_ids"])
            ids[r, start:end] = torch.tensor(e["input_ids"])
            labels[r, start:end] = torch.tensor(e["labels"])
            positions[r, start:end] = torch.arange(end - start)
            segment[r, start:end] = s
            start = end
    causal = torch.tril(torch.ones((width, width), dtype=torch.bool))
    same = segment.unsqueeze(2) == segment.unsqueeze(1)
    allowed = causal & same & (segment.unsqueeze(2) > 0)
    allowed |= torch.eye(width, dtype=torch.bool)  # a padding position attends to itself (no empty softmax row)
    mask = torch.zeros((n, 1, width, width), dtype=dtype)
    mask.masked_fill_(~allowed.unsqueeze(1), torch.finfo(dtype).min)
    return {"input_ids": ids, "labels": labels, "position_ids": positions, "attention_mask": mask}
