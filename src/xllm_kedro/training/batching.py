"""One epoch as optimiser steps: which examples each process trains on in each step, in which micro-batches.

``TrainConfig.batching`` names what ``global_batch_size`` counts:

- ``packed`` (the paper's batch): one step consumes exactly ``global_batch_size`` examples (Alpaca's 128),
  packed into rows of at most ``max_length`` tokens; micro-batches hold at most ``per_device_batch_size``
  rows, so the number of rows and micro-batches per step varies with the examples' lengths.
- ``token_budget``: one step is ``global_batch_size`` packed rows, a budget of tokens; how many examples
  fill it varies.
- ``length_grouped`` and ``random``: ``global_batch_size`` examples per step in padded micro-batches of
  ``per_device_batch_size`` examples (``random`` is the Alpaca trainer's way).

The epoch is packed once. Every process computes the same plan from the seed, so no process waits on
another to learn its share, and each runs the same number of micro-batches per step (FSDP and DDP need
every rank in every collective). An epoch's last step takes what is left, cut to a multiple of the
number of processes.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from xllm_kedro.training.examples import length_grouped_batches
from xllm_kedro.training.packing import pack_examples

PACKED_MODES = {"packed", "token_budget"}
MODES = {"packed", "token_budget", "length_grouped", "random"}
SEMANTICS = {
    "packed": "global_batch_size examples per optimiser step, packed in rows of max_length tokens",
    "token_budget": "global_batch_size packed rows of max_length tokens per optimiser step (examples vary)",
    "length_grouped": "global_batch_size examples per optimiser step, padded micro-batches grouped by length",
    "random": "global_batch_size examples per optimiser step, padded micro-batches in random order",
}


@dataclass(frozen=True)
class Step:
    """``micro[rank]``: that process's micro-batches; a micro-batch is a list of rows (each a list of
    example indices) in the packed modes, a list of example indices otherwise."""

    micro: list[list[list]]
    examples: int


def _flat(micro_batch: list, packed: bool) -> list[int]:
    return [i for row in micro_batch for i in row] if packed else list(micro_batch)


def step_examples(step: Step, packed: bool) -> list[int]:
    """Every example index the step trains on, over all processes."""
    return [i for rank in step.micro for mb in rank for i in _flat(mb, packed)]


def _chunks(items: list, size: int) -> list[list]:
    return [items[i:i + size] for i in range(0, len(items), size)]


def _even_split(units: list, world: int, per_micro: int) -> list[list[list]]:
    """Contiguous equal shares of ``units`` (a multiple of ``world`` of them), each in micro-batches."""
    share = len(units) // world
    return [_chunks(units[r * share:(r + 1) * share], per_micro) for r in range(world)]


def _fixed_unit_steps(units: list, cfg, world: int, packed: bool) -> list[Step]:
    """Steps of ``global_batch_size`` units (examples or rows); the last step keeps a multiple of ``world``."""
    steps = []
    for start in range(0, len(units), cfg.global_batch_size):
        part = units[start:start + cfg.global_batch_size]
        part = part[:len(part) - len(part) % world]
        if part:
            steps.append(Step(_even_split(part, world, cfg.per_device_batch_size),
                              sum(len(u) for u in part) if packed else len(part)))
    return steps


def _balanced_rows(rows: list[list[int]], lengths: list[int], world: int, per_micro: int) -> list[list[list]]:
    """The step's rows dealt to processes in equal numbers, balanced in tokens.

    A row with several examples is split while the row count is not a multiple of ``world`` (possible
    whenever the step has a multiple of ``world`` examples), then rows go out longest first in snake order.
    """
    rows = [list(r) for r in rows]
    while len(rows) % world:
        widest = max(range(len(rows)), key=lambda r: len(rows[r]))
        rows.append([rows[widest].pop()])
    tokens = [sum(lengths[i] for i in r) for r in rows]
    order = sorted(range(len(rows)), key=lambda r: -tokens[r])
    shares: list[list[list[int]]] = [[] for _ in range(world)]
    for k, r in enumerate(order):
        lap, pos = divmod(k, world)
        shares[pos if lap % 2 == 0 else world - 1 - pos].append(rows[r])
    return [_chunks(share, per_micro) for share in shares]


def _example_count_packed_steps(rows: list[list[int]], lengths: list[int], cfg, world: int) -> list[Step]:
    """Exactly ``global_batch_size`` examples per step, taken from the packed rows in their shuffled
    order; a row that crosses a step boundary is split between the two steps."""
    steps, current, count = [], [], 0
    pending = [list(r) for r in rows]
    pending.reverse()
    while pending:
        row = pending.pop()
        take = min(len(row), cfg.global_batch_size - count)
        current.append(row[:take])
        count += take
        if take < len(row):
            pending.append(row[take:])
        if count == cfg.global_batch_size:
            steps.append(current)
            current, count = [], 0
    if current:  # the epoch's remainder, cut to a multiple of the number of processes
        keep = count - count % world
        cut = []
        for row in current:
            if keep <= 0:
                break
            cut.append(row[:keep])
            keep -= len(cut[-1])
        if cut:
            steps.append(cut)
    return [Step(_balanced_rows(s, lengths, world, cfg.per_device_batch_size), sum(len(r) for r in s)) for s in steps]


def epoch_steps(cfg, lengths: list[int], epoch: int, world: int) -> list[Step]:
    """The optimiser steps of ``epoch`` for ``world`` processes (see the module docstring)."""
    check_batch(cfg, world)
    if cfg.batching in PACKED_MODES:
        rows = pack_examples(lengths, cfg.max_length, seed=cfg.seed, epoch=epoch)
        if cfg.batching == "packed":
            return _example_count_packed_steps(rows, lengths, cfg, world)
        return _fixed_unit_steps(rows, cfg, world, packed=True)
    if cfg.batching == "length_grouped":
        batches = length_grouped_batches([{"input_ids": range(n)} for n in lengths], cfg.per_device_batch_size,
                                         seed=cfg.seed, epoch=epoch)
        order = [i for b in batches for i in b]
    else:
        order = list(range(len(lengths)))
        random.Random(cfg.seed * 1000003 + epoch).shuffle(order)
    return _fixed_unit_steps(order, cfg, world, packed=False)


def check_batch(cfg, world: int) -> None:
    """The batch sizes must divide as the mode needs: examples (or rows) shared equally by the processes."""
    if cfg.batching not in MODES:
        raise ValueError(f"batching must be one of {sorted(MODES)}, got {cfg.batching!r}")
    if cfg.batching == "packed":
        if cfg.global_batch_size % world:
            raise ValueError(f"global_batch_size {cfg.global_batch_size} is not a multiple of {world} processes")
        return
    cfg.accumulation_steps(world)


def resolved_semantics(cfg, world: int, steps_per_epoch: int, examples: int) -> dict[str, str | int]:
    """What one optimiser step means in this run, for the run's record."""
    fixed = cfg.batching != "packed"
    return {
        "batch_semantics": SEMANTICS[cfg.batching],
        "batching": cfg.batching,
        "global_batch_size": cfg.global_batch_size,
        "global_batch_unit": "rows" if cfg.batching == "token_budget" else "examples",
        "per_device_batch_size": cfg.per_device_batch_size,
        "per_device_batch_unit": "rows" if cfg.batching in PACKED_MODES else "examples",
        "micro_batches_per_step": (math.ceil(cfg.global_batch_size / (cfg.per_device_batch_size * world))
                                   if fixed else "varies"),
        "max_length": cfg.max_length,
        "world_size": world,
        "steps_per_epoch": steps_per_epoch,
        "train_examples": examples,
    }
