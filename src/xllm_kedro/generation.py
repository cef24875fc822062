"""Batched greedy generation: longest requests first, left padding, KV cache, cut at the token offset."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from tqdm.auto import tqdm


def _cut_at_stop(text: str, stop: Sequence[str]) -> str:
    cut = min((i for s in stop if (i := text.find(s)) >= 0), default=len(text))
    return text[:cut]


@torch.inference_mode()
def generate(model, tokenizer, prompts: Sequence[str], *, max_new_tokens: int = 64, batch_size: int = 8,
             stop: Sequence[str] = (), desc: str = "generate") -> list[str]:
    """Greedy continuations of ``prompts`` in their original order.

    Each continuation is decoded from the tokens after the prompt (not by slicing characters off
    the decoded text) and cut at the first stop string.
    """
    encoded = [[tokenizer.bos_token_id] + tokenizer(p, add_special_tokens=False)["input_ids"] for p in prompts]
    order = sorted(range(len(prompts)), key=lambda i: -len(encoded[i]))
    outputs: list[str] = [""] * len(prompts)
    pad = tokenizer.pad_token_id
    device = next(model.parameters()).device
    for start in tqdm(range(0, len(order), batch_size), desc=desc, unit="batch", leave=False):
        idx = order[start:start + batch_size]
        width = max(len(encoded[i]) for i in idx)
        ids = torch.full((len(idx), width), pad, dtype=torch.long)
        mask = torch.zeros((len(idx), width), dtype=torch.long)
        for row, i in enumerate(idx):
            n = len(encoded[i])
            ids[row, width - n:] = torch.tensor(encoded[i])
            mask[row, width - n:] = 1
        out = model.generate(
            input_ids=ids.to(device), attention_mask=mask.to(device), max_new_tokens=max_new_tokens,
            do_sample=False, use_cache=True, pad_token_id=pad, eos_token_id=tokenizer.eos_token_id,
        )
        for row, i in enumerate(idx):
            text = tokenizer.decode(out[row, width:], skip_special_tokens=True)
            outputs[i] = _cut_at_stop(text, stop).strip()
    return outputs
