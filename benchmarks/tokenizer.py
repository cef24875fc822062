"""Tokenizer training on one long line without whitespace: linear in its length once pieces are capped."""

from __future__ import annotations

import random
import time

from benchmarks.rounds import interleaved
from xllm_kedro.training.tiny_model import train_tokenizer


def _seconds(chars: int) -> float:
    line = "".join(random.Random(chars).choice("abcdefghijklmnop") for _ in range(chars))
    start = time.process_time()
    train_tokenizer([line], vocab_size=512)
    return time.process_time() - start


def tokenizer_long_line_linearity(small: int = 250_000, large: int = 1_000_000, rounds: int = 3) -> dict:
    """Seconds per character for a 1 MB line over those for a quarter of it: 1.0 is linear."""
    fields, _ = interleaved({"large": lambda: (_seconds(large) / large, None),
                             "small": lambda: (_seconds(small) / small, None)},
                            lambda s: s["large"] / s["small"], rounds=rounds, digits=2)
    return {**fields, "unit": "x linear (median of interleaved rounds)",
            "small_s": [round(c * small, 3) for c in fields["cost_small"]],
            "large_s": [round(c * large, 3) for c in fields["cost_large"]],
            "note": f"one line of {large:,} characters, no whitespace, vs {small:,}"}
