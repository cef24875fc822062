"""Interleaved rounds for every comparison: ours and the baseline alternate (ours, baseline, ours, ...),
each round gives one ratio, and the entry reports their median and spread with the load average at the
start. On a shared machine another process's burst hits one round of one side; a single ratio, or the
best time of each side taken from different moments, can swing by half (issue #20), a median of paired
rounds does not, and the spread says how far to trust it.

Sides that run in this process are timed in its CPU seconds (``cpu``) with torch on one thread (bench.py):
a process waiting for a core then costs nothing, where wall time counted every neighbour's burst, and
two intra-op threads stalled each other whenever one was descheduled (docs/architecture.md).
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from typing import Any


def cpu(run: Callable[[], Any]) -> Callable[[], tuple[float, Any]]:
    """``run`` as a measured side: the CPU seconds this process spent in it, and what it returned."""
    def measured() -> tuple[float, Any]:
        start = time.process_time()
        out = run()
        return time.process_time() - start, out
    return measured


def interleaved(sides: dict[str, Callable[[], tuple[float, Any]]], ratio: Callable[[dict[str, float]], float], *,
                rounds: int = 3, goal: float | None = None, higher_is_better: bool = True,
                digits: int = 3) -> tuple[dict, dict[str, list]]:
    """Run every side once per round, in the order given, for ``rounds`` rounds.

    Each side returns ``(cost, output)``: its seconds (``cpu``, or wall clock for work in other
    processes), or seconds per unit of work where the sides do different amounts. ``ratio`` turns one
    round's costs into that round's figure. Returns the entry's
    fields (``value`` the median ratio, ``spread`` its min and max, the per-round figures and costs, the
    load average when the comparison began, and against a goal ``met`` and ``spread_crosses_goal``)
    and every side's outputs, one per round, for the caller's checks.
    """
    if rounds < 3:
        raise ValueError(f"{rounds} rounds: a median and a spread need at least 3")
    load = [round(x, 2) for x in os.getloadavg()]
    costs: dict[str, list[float]] = {name: [] for name in sides}
    outputs: dict[str, list] = {name: [] for name in sides}
    figures = []
    for _ in range(rounds):
        this_round = {}
        for name, side in sides.items():
            cost, out = side()
            this_round[name] = cost
            costs[name].append(cost)
            outputs[name].append(out)
        figures.append(ratio(this_round))
    median = statistics.median(figures)
    fields: dict[str, Any] = {
        "value": round(median, digits), "median_ratio": round(median, digits),
        "spread": [round(min(figures), digits), round(max(figures), digits)],
        "round_ratios": [round(f, digits) for f in figures], "rounds": rounds,
        "load_average_at_start": load,
        **{f"cost_{name}": [float(f"{c:.4g}") for c in cs] for name, cs in costs.items()},
    }
    if goal is not None:
        meets = (lambda x: x >= goal) if higher_is_better else (lambda x: x <= goal)
        fields.update(goal=goal, met=meets(median),
                      spread_crosses_goal=meets(min(figures)) != meets(max(figures)))
    return fields, outputs
