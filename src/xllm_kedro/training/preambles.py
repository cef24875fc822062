"""The template text that every training prompt starts with, computed once per packed row.

An Alpaca prompt opens with one of two fixed preambles (50 and 68 tokens of the benchmark's tokenizer,
a third of all the tokens of its examples). The preamble attends only to itself, so its hidden states
are the same in every example: a packed row holds each preamble once, the examples continue after it
(their positions too), and prefix_attention.py lets every example's tokens attend to it.
"""

from __future__ import annotations

from xllm_kedro.prompts import alpaca_preambles
from xllm_kedro.training.examples import IGNORE_INDEX

MIN_PREAMBLE = 8  # tokens: a shorter shared start is not worth a separate segment


def template_preambles(tokenizer) -> list[list[int]]:
    """BOS and the token ids of each template's preamble, less the last token, which BPE may merge with
    the instruction's first characters in a real prompt."""
    return [[tokenizer.bos_token_id] + tokenizer(text, add_special_tokens=False)["input_ids"][:-1]
            for text in alpaca_preambles()]


def mark_preambles(examples: list[dict], preambles: list[list[int]]) -> int:
    """Set each example's ``preamble`` to the index of the longest preamble its prompt starts with (None:
    none does, e.g. a prompt truncated at its start). A preamble must end before the prompt does, so
    the first token an example keeps is a prompt token, never a target. Returns how many were marked."""
    marked = 0
    for example in examples:
        ids, labels = example["input_ids"], example["labels"]
        prompt = next((i for i, label in enumerate(labels) if label != IGNORE_INDEX), len(labels))
        fits = [(len(p), j) for j, p in enumerate(preambles)
                if MIN_PREAMBLE <= len(p) < prompt and ids[:len(p)] == p]
        example["preamble"] = max(fits)[1] if fits else None
        marked += bool(fits)
    return marked
