"""A prompt prefix that every request shares, prefilled once and attended to once per step for all rows.

Evaluation prompts share a template: the FLORES prompts share their first 95 tokens of 163 on average
(the Alpaca preamble and the instruction). Prefilling that prefix once saves over half the prefill, and
keeping its keys and values outside the rows' cache saves the copy in every row: at each decoding step
the rows' queries meet the prefix's keys in one matrix product per head (every row against the same
keys) and their own keys in per-row products; one softmax spans both parts. Cache layers count the
prefix in their length, so transformers builds masks and positions as if the prefix were in every row.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from transformers import AttentionInterface, DynamicCache
from transformers.cache_utils import DynamicLayer
from transformers.integrations.sdpa_attention import sdpa_attention_forward
from transformers.masking_utils import ALL_MASK_ATTENTION_FUNCTIONS, sdpa_mask

NAME = "xllm_shared_prefix"
MIN_SHARED_PREFIX = 8  # tokens: below this a separate prefill of the prefix costs more than it saves


def common_prefix(rows: Sequence[Sequence[int]]) -> list[int]:
    """The tokens every row starts with, leaving each row at least one token of its own (the last one
    gives the first generated token's logits); empty when shorter than ``MIN_SHARED_PREFIX``."""
    if len(rows) < 2:
        return []
    first, limit = rows[0], min(len(r) for r in rows) - 1
    n = 0
    while n < limit and all(r[n] == first[n] for r in rows):
        n += 1
    return list(first[:n]) if n >= MIN_SHARED_PREFIX else []


class RoomyLayer(DynamicLayer):
    """A cache layer for the rows' own tokens. Its keys and values are the first columns of larger
    buffers, so a decoding step writes its column in place (``DynamicLayer`` concatenates: a fifth of
    the CPU time); when ``keys`` was replaced (prompts joined, rows left) the next step copies it into
    fresh buffers. Its length counts the ``offset`` columns of the shared prefix kept outside it."""

    ROOM = 64  # columns of spare room per copy

    def __init__(self, offset: int = 0):
        super().__init__()
        self.offset = offset
        self._k = self._v = None

    def update(self, key_states, value_states, *args, **kwargs):
        if not self.is_initialized:
            self.keys, self.values = key_states[:, :, :0], value_states[:, :, :0]
            self.is_initialized = True
        n, add = self.keys.shape[2], key_states.shape[2]
        k = self._k
        if (k is None or k.data_ptr() != self.keys.data_ptr() or k.shape[:2] != self.keys.shape[:2]
                or n + add > k.shape[2]):
            shape = (*self.keys.shape[:2], n + add + self.ROOM, self.keys.shape[3])
            self._k, self._v = self.keys.new_empty(shape), self.values.new_empty(shape)
            self._k[:, :, :n], self._v[:, :, :n] = self.keys, self.values
        self._k[:, :, n:n + add], self._v[:, :, n:n + add] = key_states, value_states
        self.keys, self.values = self._k[:, :, :n + add], self._v[:, :, :n + add]
        return self.keys, self.values

    def get_seq_length(self) -> int:
        return self.offset + (self.keys.shape[-2] if self.is_initialized else 0)


class SharedPrefix:
    """The prefix's keys and values per layer (batch 1), and the model call arguments that use them."""

    def __init__(self, model, tokens: list[int], device):
        self.length = len(tokens)
        self.layers: list[tuple[torch.Tensor, torch.Tensor]] = []
        if tokens:
            cache = DynamicCache(config=model.config)
            model(input_ids=torch.tensor([tokens], device=device), cache=cache, use_cache=True, logits_to_keep=1)
            self.layers = [(layer.keys, layer.values) for layer in cache.layers]

    def new_cache(self, model) -> DynamicCache:
        """An empty cache for rows that continue after the prefix."""
        cache = DynamicCache(config=model.config)
        cache.layers = [RoomyLayer(self.length) for _ in cache.layers]
        return cache

    def forward_kwargs(self, mask: torch.Tensor) -> dict:
        """The full attention mask for rows whose own columns are ``mask``, and the prefix itself."""
        if not self.length:
            return {"attention_mask": mask}
        return {"attention_mask": torch.cat([mask.new_ones((mask.shape[0], self.length)), mask], dim=1),
                "shared_prefix": self.layers}

    def step_kwargs(self, mask: torch.Tensor) -> dict:
        """For a decoding step: the rows' own columns as an additive bias, built once for every layer (no
        4D mask from transformers: adding a bias costs an eighth of filling scores through a broadcast
        boolean mask)."""
        if not self.length:
            return {"attention_mask": mask}
        bias = torch.zeros(mask.shape, dtype=self.layers[0][0].dtype, device=mask.device)
        return {"shared_prefix": self.layers, "own_bias": bias.masked_fill_(mask == 0, float("-inf"))[:, None, None]}


def shared_prefix_attention(module, query, key, value, attention_mask=None, dropout: float = 0.0, scaling=None,
                            shared_prefix: list[tuple[torch.Tensor, torch.Tensor]] | None = None,
                            own_bias: torch.Tensor | None = None, **kwargs):
    """Attention over the shared prefix's keys (``shared_prefix``, batch 1) followed by each row's own
    ``key``. A decoding step masks the rows' own columns with ``own_bias`` (rows, 1, 1, own columns);
    prefills (and calls without a prefix) go to transformers' SDPA with ``attention_mask``."""
    if shared_prefix is None:
        return sdpa_attention_forward(module, query, key, value, attention_mask, dropout=dropout, scaling=scaling,
                                      **kwargs)
    if own_bias is None:  # a prefill: one copy of the prefix per row, and SDPA's kernels (flash on a GPU)
        prefix_keys, prefix_values = shared_prefix[module.layer_idx]
        rows = query.shape[0]
        key = torch.cat([prefix_keys.expand(rows, -1, -1, -1), key], dim=2)
        value = torch.cat([prefix_values.expand(rows, -1, -1, -1), value], dim=2)
        return sdpa_attention_forward(module, query, key, value, attention_mask, dropout=dropout, scaling=scaling,
                                      **kwargs)
    return step_attention(query, key, value, shared_prefix[module.layer_idx], own_bias,
                          query.shape[-1] ** -0.5 if scaling is None else scaling), None


def step_attention(query, key, value, prefix: tuple[torch.Tensor, torch.Tensor], own_bias: torch.Tensor,
                   scale: float) -> torch.Tensor:
    """(rows, heads, q, dim) queries against the ``prefix``'s keys and values (batch 1) followed by each
    row's own ``key`` and ``value``, whose columns ``own_bias`` masks; the output is (rows, q, heads, dim)."""
    prefix_keys, prefix_values = prefix
    rows, heads, q, dim = query.shape
    kv_heads, length = key.shape[1], prefix_keys.shape[2]
    group = heads // kv_heads
    grouped = query.reshape(rows, kv_heads, group * q, dim)  # head h reads kv head h // group

    def against_prefix(x: torch.Tensor, right: torch.Tensor) -> torch.Tensor:
        """``x`` (rows, kv_heads, group*q, n) times the prefix's ``right`` (kv_heads, n, m), all rows at once."""
        flat = x.transpose(0, 1).reshape(kv_heads, rows * group * q, x.shape[-1])
        return torch.bmm(flat, right).reshape(kv_heads, rows, group * q, -1).transpose(0, 1)

    own = torch.matmul(grouped, key.transpose(-1, -2)).mul_(scale).add_(own_bias)
    scores = torch.cat([against_prefix(grouped, prefix_keys[0].transpose(1, 2)).mul_(scale), own], dim=-1)
    probs = torch.softmax(scores, dim=-1, dtype=torch.float32).to(query.dtype)
    out = against_prefix(probs[..., :length].contiguous(), prefix_values[0]) + torch.matmul(probs[..., length:], value)
    return out.reshape(rows, heads, q, dim).transpose(1, 2).contiguous()


AttentionInterface.register(NAME, shared_prefix_attention)
ALL_MASK_ATTENTION_FUNCTIONS.register(NAME, sdpa_mask)
