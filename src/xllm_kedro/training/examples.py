"""Turn Alpaca records into token ids with the loss on the response only (Eq. 1 of the paper)."""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass

import torch

from xllm_kedro.prompts import alpaca_prompt

IGNORE_INDEX = -100
MIN_PROMPT_TOKENS = 8


@dataclass
class EncodeReport:
    examples: int = 0
    prompt_truncated: int = 0
    dropped_no_room_for_response: int = 0


def encode_example(tokenizer, record: dict, max_length: int, report: EncodeReport) -> dict | None:
    """Prompt and response ids, with prompt positions masked by IGNORE_INDEX and EOS after the response.

    An over-long example loses the start of its prompt (the ``### Response:`` marker stays). An example
    whose response leaves no room for a prompt is counted in ``report`` and skipped.
    """
    prompt = alpaca_prompt(record["instruction"], record.get("input", ""))
    p_ids = [tokenizer.bos_token_id] + tokenizer(prompt, add_special_tokens=False)["input_ids"]
    t_ids = tokenizer(record["output"], add_special_tokens=False)["input_ids"] + [tokenizer.eos_token_id]
    if len(p_ids) + len(t_ids) > max_length:
        room = max_length - len(t_ids)
        if room < MIN_PROMPT_TOKENS:
            report.dropped_no_room_for_response += 1
            return None
        p_ids = p_ids[:1] + p_ids[len(p_ids) - (room - 1):]
        report.prompt_truncated += 1
    report.examples += 1
    return {"input_ids": p_ids + t_ids, "labels": [IGNORE_INDEX] * len(p_ids) + t_ids}


def encode_all(tokenizer, records: Iterable[dict], max_length: int) -> tuple[list[dict], EncodeReport]:
    report = EncodeReport()
    encoded = [e for r in records if (e := encode_example(tokenizer, r, max_length, report)) is not None]
    return encoded, report


def length_grouped_batches(examples: list[dict], batch_size: int, *, seed: int, epoch: int) -> list[list[int]]:
    """Indices batched among neighbours in length, so a batch pads little; batch order is shuffled."""
    rng = random.Random(seed * 1000003 + epoch)
    order = list(range(len(examples)))
    rng.shuffle(order)
    window = batch_size * 50
    batches = []
    for start in range(0, len(order), window):
        chunk = sorted(order[start:start + window], key=lambda i: len(examples[i]["input_ids"]))
        batches.extend(chunk[i:i + batch_size] for i in range(0, len(chunk), batch_size))
    rng.shuffle(batches)
    return batches


def collate(examples: list[dict], pad_id: int) -> dict[str, torch.Tensor]:
    """Right-pad a batch; padding is masked in the attention and ignored by the loss."""
    width = max(len(e["input_ids"]) for e in examples)
    ids = torch.full((len(examples), width), pad_id, dtype=torch.long)
    labels = torch.full((len(examples), width), IGNORE_INDEX, dtype=torch.long)
    mask = torch.zeros((len(examples), width), dtype=torch.long)
    for row, e in enumerate(examples):
        n = len(e["input_ids"])
        ids[row, :n] = torch.tensor(e["input_ids"])
        labels[row, :n] = torch.tensor(e["labels"])
        mask[row, :n] = 1
    return {"input_ids": ids, "labels": labels, "attention_mask": mask}
