"""Causal-LM examples from raw text (the ``pretraining`` objective): every token is a target.

Each text is one example, BOS + text + EOS (a text longer than ``max_length`` is cut into several);
``packed`` batching then puts many texts in a row, each attending only to itself, as SFT examples do.
Texts are kept apart on purpose: a tiny model learns to copy from its context within a few hundred
steps when a text starts its own sequence, and not at all in that time when each text follows
unrelated ones in a shared block (measured on the synthetic world, see xllm_kedro.world).
An example's first label is ignored, so in a packed row no text predicts the next one's BOS.
"""

from __future__ import annotations

from collections.abc import Iterable

from xllm_kedro.training.examples import IGNORE_INDEX, EncodeReport


def encode_texts(tokenizer, records: Iterable[dict], max_length: int) -> tuple[list[dict], EncodeReport]:
    """``{"text": ...}`` records as examples of at most ``max_length`` tokens with labels equal to the ids."""
    if max_length < 2:
        raise ValueError(f"max_length must be at least 2 for a language-model example, got {max_length}")
    examples = []
    for n, record in enumerate(records, start=1):
        text = record.get("text") if isinstance(record, dict) else None
        if not isinstance(text, str):
            raise ValueError(f"pretraining record {n}: expected an object with a string 'text', got {record!r:.80}")
        ids = [tokenizer.bos_token_id, *tokenizer(text, add_special_tokens=False)["input_ids"], tokenizer.eos_token_id]
        for i in range(0, len(ids), max_length):
            if len(piece := ids[i:i + max_length]) > 1:
                examples.append({"input_ids": piece, "labels": [IGNORE_INDEX, *piece[1:]]})
    return examples, EncodeReport(examples=len(examples))
