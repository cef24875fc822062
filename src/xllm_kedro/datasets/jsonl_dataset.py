"""Records as JSON lines, written atomically from any iterable as it comes (a list or a lazy stream).

``lazy: true`` loads a re-iterable stream that rereads the file on each pass (for corpora of millions
of records); otherwise loading gives a list. Malformed lines are named by file and line either way.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path, PurePosixPath
from typing import Any

from kedro.io import AbstractDataset

from xllm_kedro.files import JsonLinesFile, iter_jsonl, write_jsonl


class JsonLinesDataset(AbstractDataset[Iterable[dict], list[dict] | JsonLinesFile]):
    def __init__(self, filepath: str, lazy: bool = False, metadata: dict[str, Any] | None = None):
        self._filepath = PurePosixPath(filepath)
        self._lazy = lazy
        self.metadata = metadata

    def load(self) -> list[dict] | JsonLinesFile:
        if self._lazy:
            return JsonLinesFile(Path(self._filepath))
        return list(iter_jsonl(self._filepath))

    def save(self, data: Iterable[dict]) -> None:
        write_jsonl(self._filepath, data)

    def _exists(self) -> bool:
        return Path(self._filepath).exists()

    def _describe(self) -> dict[str, Any]:
        return {"filepath": str(self._filepath), "lazy": self._lazy}
