"""Causal-LM examples from raw text (the ``pretraining`` objective): every token is a target.

Texts are joined into one token stream, each as BOS + text + EOS, and cut into blocks of ``max_length``
(the usual packing of LM pretraining: no padding, attention runs across text boundaries inside a block).
A block's first label is ignored, so in a packed batch no block predicts the next block's first token.
"""

from __future__ import annotations

from collections.abc import Iterable

from xllm_kedro.training.examples import IGNORE_INDEX, EncodeReport


def encode_texts(tokenizer, records: Iterable[dict], max_length: int) -> tuple[list[dict], EncodeReport]:
    """``{"text": ...}`` records as blocks of at most ``max_length`` tokens with labels equal to the ids."""
    if max_length < 2:
        raise ValueError(f"max_length must be at least 2 for a language-model block, got {max_length}")
    stream: list[int] = []
    for n, record in enumerate(records, start=1):
        text = record.get("text") if isinstance(record, dict) else None
        if not isinstance(text, str):
            raise ValueError(f"pretraining record {n}: expected an object with a string 'text', got {record!r:.80}")
        stream += [tokenizer.bos_token_id, *tokenizer(text, add_special_tokens=False)["input_ids"], tokenizer.eos_token_id]
    blocks = [stream[i:i + max_length] for i in range(0, len(stream), max_length)]
    examples = [{"input_ids": b, "labels": [IGNORE_INDEX, *b[1:]]} for b in blocks if len(b) > 1]
    return examples, EncodeReport(examples=len(examples))
