"""Two aligned text files (Moses/OPUS style) loaded as a lazy ParallelCorpus: nothing is read until a
node iterates it, so corpora of millions of lines stream."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kedro.io import AbstractDataset, DatasetError

from ..corpora import ParallelCorpus


class ParallelCorpusDataset(AbstractDataset[None, ParallelCorpus]):
    def __init__(self, source_path: str, target_path: str, metadata: dict[str, Any] | None = None):
        self._source = Path(source_path)
        self._target = Path(target_path)
        self.metadata = metadata

    def load(self) -> ParallelCorpus:
        for path in (self._source, self._target):
            if not path.exists():
                raise DatasetError(f"parallel corpus file not found: {path}")
        return ParallelCorpus(self._source, self._target)

    def save(self, data: Any) -> None:
        raise DatasetError("ParallelCorpusDataset is read-only raw data")

    def _exists(self) -> bool:
        return self._source.exists() and self._target.exists()

    def _describe(self) -> dict[str, Any]:
        return {"source_path": str(self._source), "target_path": str(self._target)}
