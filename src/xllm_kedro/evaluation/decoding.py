"""Greedy decoding that drops finished sequences and refills their slots from the queue.

``model.generate`` keeps a finished row in its batch until the longest one ends, so a batch that holds
one long answer among short ones pays for every row to the end. Here a row leaves the batch the step it
ends (EOS, a stop string, or ``max_new_tokens``), and free slots take the next prompts of the queue
(longest first, so the batch stays of like lengths). transformers' own continuous batching
(``generate_batch``, paged attention) gives the same greedy outputs on the CPU but measured slower for
the project's small models (docs/architecture.md, "Generation"), so this loop uses the model's ordinary
forward and its ``DynamicCache``.

Layout: every row's tokens are right-aligned in the cache (a row's real tokens are its last columns, the
mask marks them), so all rows write their new token to the same column and the model's own causal mask
and per-row position ids do the rest. Joining prompts are prefilled in groups of like length and their
caches left-padded to the batch's width (or the batch's to theirs); columns no row uses any more are cut
from the left. Between such changes a step writes one column in place (``RoomyLayer``). The prefix that
every prompt shares (their template) is prefilled once and kept outside the rows' cache
(shared_prefix.py): the rows hold only their own columns, and their mask and positions continue after it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator, Sequence

import torch
from transformers import DynamicCache

from xllm_kedro.evaluation.llama_step import LlamaStep
from xllm_kedro.evaluation.shared_prefix import NAME, SharedPrefix, common_prefix

# Tokens (padding included) per prefill call. Prompts that join together are prefilled in groups of
# like length under this budget rather than padded to the longest of them all: the 64 longest FLORES
# prompts hold 5.5k tokens but 9.9k when padded to the longest, and the prefill took 0.30 s of 0.86.
PREFILL_TOKENS = 1024


def left_padded(rows: Sequence[Sequence[int]], pad: int, device="cpu") -> tuple[torch.Tensor, torch.Tensor]:
    """Token rows right-aligned in one tensor, and the mask of real tokens."""
    width = max(len(r) for r in rows)
    ids = torch.full((len(rows), width), pad, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for row, tokens in enumerate(rows):
        if tokens:
            ids[row, width - len(tokens):] = torch.tensor(tokens)
            mask[row, width - len(tokens):] = 1
    return ids.to(device), mask.to(device)


def _pad_left(tensor: torch.Tensor, width: int, dim: int) -> torch.Tensor:
    """``tensor`` with zeros prepended along ``dim`` up to ``width``."""
    missing = width - tensor.shape[dim]
    if missing <= 0:
        return tensor
    shape = list(tensor.shape)
    shape[dim] = missing
    return torch.cat([tensor.new_zeros(shape), tensor], dim=dim)


class _Batch:
    """The rows in flight: their request indices, generated tokens, attention mask and KV cache."""

    def __init__(self):
        self.index: list[int] = []
        self.tokens: list[list[int]] = []
        self.mask: torch.Tensor | None = None
        self.cache: DynamicCache | None = None
        self.next_ids: torch.Tensor | None = None

    def __len__(self) -> int:
        return len(self.index)

    def join(self, parts: list[tuple[list[int], torch.Tensor, DynamicCache, torch.Tensor]]) -> None:
        """Rows whose prompts were just prefilled, as (request indices, mask, cache, first generated token)
        per prefill; every part is padded to the widest and the caches are concatenated once."""
        for index, _, _, first in parts:
            self.index += index
            self.tokens += [[t] for t in first.tolist()]
        mine = [] if self.cache is None else [(self.mask, self.cache)]
        masks, caches = zip(*(mine + [(mask, cache) for _, mask, cache, _ in parts]))
        width = max(m.shape[1] for m in masks)
        self.mask = torch.cat([_pad_left(m, width, 1) for m in masks])
        self.cache = caches[0]
        for i, layer in enumerate(self.cache.layers):
            layer.keys = torch.cat([_pad_left(c.layers[i].keys, width, 2) for c in caches])
            layer.values = torch.cat([_pad_left(c.layers[i].values, width, 2) for c in caches])
        firsts = [first[:, None] for *_, first in parts]
        self.next_ids = torch.cat(firsts if self.next_ids is None else [self.next_ids, *firsts])

    def keep(self, rows: list[int]) -> None:
        """Only ``rows`` stay; columns that none of them attends to are cut."""
        if len(rows) == len(self.index):
            return
        self.index = [self.index[r] for r in rows]
        self.tokens = [self.tokens[r] for r in rows]
        if not rows:
            self.mask = self.cache = self.next_ids = None
            return
        keep = torch.tensor(rows, device=self.mask.device)
        mask = self.mask[keep]
        start = int(mask.any(dim=0).long().argmax())  # the first column some row still uses
        self.mask, self.next_ids = mask[:, start:], self.next_ids[keep]
        for layer in self.cache.layers:
            layer.keys, layer.values = layer.keys[keep, :, start:], layer.values[keep, :, start:]


@torch.inference_mode()
def greedy_refill(model, prompts: Sequence[Sequence[int]], order: Sequence[int], *, slots: int, max_new_tokens: int,
                  eos_token_id: int | None, pad_token_id: int,
                  stopped: Callable[[list[int]], bool] | None = None,
                  on_refill: Callable[[], None] | None = None,
                  prefill_tokens: int = PREFILL_TOKENS) -> Iterator[tuple[int, list[int]]]:
    """Yield ``(request index, generated tokens)`` as each request ends, taking prompts in ``order``.

    At most ``slots`` rows decode together. A request ends at EOS (not included), after
    ``max_new_tokens`` tokens, or once ``stopped(tokens)`` says so (a stop string in its text). Joining
    prompts are prefilled in groups of at most ``prefill_tokens`` padded tokens (``prefill_groups``).
    """
    if slots < 1 or max_new_tokens < 1:
        raise ValueError(f"slots ({slots}) and max_new_tokens ({max_new_tokens}) must be at least 1")

    def ended(tokens: list[int]) -> bool:
        return (tokens[-1] == eos_token_id or len(tokens) >= max_new_tokens
                or (stopped is not None and stopped(tokens)))

    prefix = SharedPrefix(model, common_prefix([prompts[i] for i in order]), next(model.parameters()).device)
    saved_attention = model.config._attn_implementation
    if prefix.length:
        model.config._attn_implementation = NAME
    try:
        yield from _decode(model, prompts, deque(order), slots, prefix, ended, eos_token_id, pad_token_id, on_refill,
                           prefill_tokens)
    finally:
        model.config._attn_implementation = saved_attention


def prefill_groups(lengths: Sequence[int], budget: int) -> list[list[int]]:
    """Consecutive positions of ``lengths`` grouped so that each group, padded to its longest, holds at
    most ``budget`` tokens (a longer prompt goes alone)."""
    groups: list[list[int]] = []
    width = 0
    for i, n in enumerate(lengths):
        if groups and max(width, n) * (len(groups[-1]) + 1) <= budget:
            groups[-1].append(i)
            width = max(width, n)
        else:
            groups.append([i])
            width = n
    return groups


def _decode(model, prompts, queue: deque, slots: int, prefix: SharedPrefix, ended: Callable[[list[int]], bool],
            eos_token_id: int | None, pad_token_id: int,
            on_refill: Callable[[], None] | None, prefill_tokens: int) -> Iterator[tuple[int, list[int]]]:
    device = next(model.parameters()).device
    batch = _Batch()
    step = LlamaStep(model) if prefix.length and LlamaStep.supports(model) else None

    while queue or len(batch):
        if queue and len(batch) < slots:
            new = [queue.popleft() for _ in range(min(slots - len(batch), len(queue)))]
            parts = []
            for group in prefill_groups([len(prompts[i]) - prefix.length for i in new], prefill_tokens):
                rows = [new[j] for j in group]
                ids, mask = left_padded([prompts[i][prefix.length:] for i in rows], pad_token_id, device)
                out = model(input_ids=ids, position_ids=prefix.length + (mask.cumsum(-1) - 1).clamp(min=0),
                            cache=prefix.new_cache(model), use_cache=True, logits_to_keep=1,
                            **prefix.forward_kwargs(mask))
                parts.append((rows, mask, out.cache, out.logits[:, -1].argmax(-1)))
            batch.join(parts)
            if on_refill is not None:
                on_refill()
        else:
            batch.mask = torch.cat([batch.mask, batch.mask.new_ones((len(batch), 1))], dim=1)
            positions = prefix.length + batch.mask.sum(dim=1, keepdim=True) - 1
            kwargs = prefix.step_kwargs(batch.mask)
            if step is not None:
                logits = step(batch.next_ids, positions, batch.cache, kwargs["shared_prefix"], kwargs["own_bias"])
            else:
                logits = model(input_ids=batch.next_ids, position_ids=positions, cache=batch.cache, use_cache=True,
                               logits_to_keep=1, **kwargs).logits[:, -1]
            batch.next_ids = logits.argmax(-1)[:, None]
            for tokens, token in zip(batch.tokens, batch.next_ids[:, 0].tolist()):
                tokens.append(token)
        finished = [r for r, tokens in enumerate(batch.tokens) if ended(tokens)]
        for r in finished:
            tokens = batch.tokens[r]
            yield batch.index[r], tokens[:-1] if tokens[-1] == eos_token_id else tokens
        if finished:
            gone = set(finished)
            batch.keep([r for r in range(len(batch)) if r not in gone])
