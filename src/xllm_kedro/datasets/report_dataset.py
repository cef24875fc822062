"""A small JSON report of counts, written atomically. A node may hand it a lazy report (a mapping
resolved when read, see corpora/streams.py): saving it after the data it describes costs nothing."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Any

from kedro.io import AbstractDataset

from xllm_kedro.files import write_json


class ReportDataset(AbstractDataset[Mapping, dict]):
    def __init__(self, filepath: str, metadata: dict[str, Any] | None = None):
        self._filepath = PurePosixPath(filepath)
        self.metadata = metadata

    def load(self) -> dict:
        return json.loads(Path(self._filepath).read_text(encoding="utf-8"))

    def save(self, data: Mapping) -> None:
        write_json(self._filepath, dict(data))

    def _exists(self) -> bool:
        return Path(self._filepath).exists()

    def _describe(self) -> dict[str, Any]:
        return {"filepath": str(self._filepath)}
