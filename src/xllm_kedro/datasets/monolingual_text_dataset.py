"""Raw monolingual text loaded as a lazy reader of ``{"text": ...}`` records (see corpora.monolingual)."""

from __future__ import annotations

from typing import Any

from kedro.io import AbstractDataset, DatasetError

from xllm_kedro.corpora.monolingual import MonolingualText


class MonolingualTextDataset(AbstractDataset[None, MonolingualText]):
    def __init__(self, filepath: str, metadata: dict[str, Any] | None = None):
        self._reader = MonolingualText(filepath)
        self.metadata = metadata

    def load(self) -> MonolingualText:
        try:
            self._reader.check()
        except (FileNotFoundError, ValueError) as err:
            raise DatasetError(str(err)) from err
        return self._reader

    def save(self, data: Any) -> None:
        raise DatasetError("MonolingualTextDataset is read-only raw data")

    def _exists(self) -> bool:
        return self._reader.path.exists()

    def _describe(self) -> dict[str, Any]:
        return {"filepath": str(self._reader.path)}
