"""Records as JSON lines: streamed on load with the file and line of any malformed entry, written atomically."""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import Any

from kedro.io import AbstractDataset

from ..io import iter_jsonl, write_jsonl


class JsonLinesDataset(AbstractDataset[list[dict], list[dict]]):
    def __init__(self, filepath: str, metadata: dict[str, Any] | None = None):
        self._filepath = PurePosixPath(filepath)
        self.metadata = metadata

    def load(self) -> list[dict]:
        return list(iter_jsonl(self._filepath))

    def save(self, data: list[dict]) -> None:
        write_jsonl(self._filepath, data)

    def _exists(self) -> bool:
        return Path(self._filepath).exists()

    def _describe(self) -> dict[str, Any]:
        return {"filepath": str(self._filepath)}
