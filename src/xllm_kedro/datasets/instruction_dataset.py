"""Alpaca-format instruction data: a JSON list or JSONL, checked record by record on load (every error
names the file and the line or record), written as JSONL atomically."""

from __future__ import annotations

from ..corpora import read_instructions
from .jsonl_dataset import JsonLinesDataset


class InstructionDataset(JsonLinesDataset):
    def load(self) -> list[dict]:
        return list(read_instructions(self._filepath))
