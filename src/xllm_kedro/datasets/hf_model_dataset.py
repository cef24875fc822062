"""A Hugging Face model directory as a (versionable) catalog dataset.

Saving takes the path of a finished model directory (what a training job wrote) and moves it into
place atomically; loading returns the directory's path, so that nodes and jobs decide how to load it
(device, dtype, sharding) and multi-GB weights never pass through the Kedro process needlessly.
"""

from __future__ import annotations

import shutil
from pathlib import Path, PurePosixPath
from typing import Any

from kedro.io import AbstractVersionedDataset, DatasetError, Version

from xllm_kedro.files import atomic_path

REQUIRED_FILES = ("config.json",)


class HFModelDataset(AbstractVersionedDataset[str | Path, Path]):
    def __init__(self, filepath: str, version: Version | None = None, move: bool = True,
                 metadata: dict[str, Any] | None = None):
        super().__init__(PurePosixPath(filepath), version, exists_function=lambda p: Path(p).exists())
        self._move = move
        self.metadata = metadata

    def load(self) -> Path:
        path = Path(str(self._get_load_path()))
        missing = [f for f in REQUIRED_FILES if not (path / f).exists()]
        if missing:
            raise DatasetError(f"{path} is not a Hugging Face model directory (missing {missing})")
        return path

    def save(self, data: str | Path) -> None:
        source = Path(data)
        if not (source / "config.json").exists():
            raise DatasetError(f"cannot save {source}: not a model directory (no config.json)")
        target = Path(str(self._get_save_path()))
        with atomic_path(target, directory=True) as tmp:
            tmp.rmdir()
            if self._move:
                shutil.move(str(source), tmp)
            else:
                shutil.copytree(source, tmp)

    def _exists(self) -> bool:
        try:
            return (Path(str(self._get_load_path())) / "config.json").exists()
        except DatasetError:
            return False

    def _describe(self) -> dict[str, Any]:
        return {"filepath": str(self._filepath), "version": self._version, "move": self._move}
