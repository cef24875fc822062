"""Tokenizer training on one long line without whitespace: linear in its length once pieces are capped."""

from __future__ import annotations

import random
import time

from xllm_kedro.training.tiny_model import train_tokenizer


def _seconds(chars: int) -> float:
    line = "".join(random.Random(chars).choice("abcdefghijklmnop") for _ in range(chars))
    start = time.perf_counter()
    train_tokenizer([line], vocab_size=512)
    return time.perf_counter() - start


def tokenizer_long_line_linearity(small: int = 250_000, large: int = 1_000_000) -> dict:
    """Seconds for a 1 MB line over four times those for a quarter of it: 1.0 is linear."""
    t_small, t_large = min(_seconds(small) for _ in range(2)), min(_seconds(large) for _ in range(2))
    return {"value": round(t_large / (t_small * large / small), 2), "unit": "x linear", "small_s": round(t_small, 3),
            "large_s": round(t_large, 3), "note": f"one line of {large:,} characters, no whitespace, vs {small:,}"}
