"""Eq. 1 computed where it is defined: the vocabulary projection runs only on response positions.

Prompt and padding positions carry no loss, so projecting them onto the vocabulary is wasted work (and,
for a 32k vocabulary, most of the activation memory). The wrapper is an ordinary module, so DDP and
FSDP wrap it as they would the model.
"""

from __future__ import annotations

import torch
from torch import nn

from xllm_kedro.training.examples import IGNORE_INDEX


class ResponseLoss(nn.Module):
    def __init__(self, lm: nn.Module):
        super().__init__()
        self.lm = lm

    def forward(self, input_ids, labels, attention_mask=None, position_ids=None, **packing) -> torch.Tensor:
        """``packing``: the cumulative example lengths of a packed batch, passed on to the attention."""
        hidden = self.lm.model(input_ids=input_ids, attention_mask=attention_mask, position_ids=position_ids,
                               use_cache=False, **packing).last_hidden_state
        target = labels[:, 1:]
        keep = target != IGNORE_INDEX
        logits = self.lm.lm_head(hidden[:, :-1][keep])
        return nn.functional.cross_entropy(logits.float(), target[keep])
