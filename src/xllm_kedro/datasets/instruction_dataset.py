"""Alpaca-format instruction data: a JSON list or JSONL, loaded as a lazy reader (records checked one
by one as a node streams them, every error naming the file and line) and written as JSONL atomically.
Loading checks only that the file exists and is not empty, so those faults stop a run at once."""

from __future__ import annotations

from pathlib import Path

from kedro.io import DatasetError

from xllm_kedro.corpora import InstructionFile
from xllm_kedro.datasets.jsonl_dataset import JsonLinesDataset


class InstructionDataset(JsonLinesDataset):
    def load(self) -> InstructionFile:
        reader = InstructionFile(Path(self._filepath))
        try:
            reader.check()
        except (FileNotFoundError, ValueError) as err:
            raise DatasetError(str(err)) from err
        return reader
