"""A raw parallel corpus loaded as a lazy reader: nothing is read until a node iterates it, so corpora
of millions of lines stream. ``format: moses`` (default) takes two aligned files (``source_path`` in
English, ``target_path``); ``format: wikimatrix`` one TSV ``filepath`` (plain or .gz) whose column
``order`` is ``en-x`` or ``x-en``. Loading checks that the files exist and are not empty."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kedro.io import AbstractDataset, DatasetError

from xllm_kedro.corpora import FORMATS, ParallelCorpus, WikiMatrixCorpus


class ParallelCorpusDataset(AbstractDataset[None, ParallelCorpus | WikiMatrixCorpus]):
    def __init__(self, source_path: str | None = None, target_path: str | None = None, filepath: str | None = None,
                 format: str = "moses", order: str = "en-x",  # noqa: A002 - the catalog key
                 metadata: dict[str, Any] | None = None):
        if format not in FORMATS:
            raise DatasetError(f"unknown parallel corpus format {format!r}; known: {list(FORMATS)}")
        needed = ("source_path", "target_path") if format == "moses" else ("filepath",)
        given = {"source_path": source_path, "target_path": target_path, "filepath": filepath}
        if any(given[k] is None for k in needed) or any(v is not None for k, v in given.items() if k not in needed):
            raise DatasetError(f"format {format!r} takes exactly {list(needed)}")
        self._format, self._order = format, order
        self._paths = [Path(given[k]) for k in needed]
        self.metadata = metadata

    def load(self) -> ParallelCorpus | WikiMatrixCorpus:
        reader = ParallelCorpus(*self._paths) if self._format == "moses" else WikiMatrixCorpus(self._paths[0], self._order)
        try:
            reader.check()
        except (FileNotFoundError, ValueError) as err:
            raise DatasetError(str(err)) from err
        return reader

    def save(self, data: Any) -> None:
        raise DatasetError("ParallelCorpusDataset is read-only raw data")

    def _exists(self) -> bool:
        return all(path.exists() for path in self._paths)

    def _describe(self) -> dict[str, Any]:
        return {"format": self._format, "paths": [str(p) for p in self._paths], "order": self._order}
