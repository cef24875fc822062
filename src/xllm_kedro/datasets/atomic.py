"""Every catalog dataset's save made atomic, whatever its class: kedro-datasets (pandas, json, text,
matplotlib, and kedro-mlflow's artifact wrappers of them) write through an fsspec filesystem held in
``_fs``; on a local disk it is swapped for one whose files are written to a temporary sibling and
renamed when closed. The project's own datasets write through ``files.atomic_path`` already.
"""

from __future__ import annotations

from pathlib import Path

from fsspec.implementations.local import LocalFileSystem

from xllm_kedro.files import AtomicFile


class AtomicLocalFileSystem(LocalFileSystem):
    """The local filesystem, except that a file opened for writing is an ``AtomicFile``."""

    def open(self, path, mode="rb", block_size=None, cache_options=None, compression=None, **kwargs):
        if not any(flag in mode for flag in "wx") or compression:
            return super().open(path, mode, block_size, cache_options, compression, **kwargs)
        path = self._strip_protocol(path)
        text = {k: kwargs[k] for k in ("encoding", "errors", "newline") if k in kwargs and "b" not in mode}
        return AtomicFile(path, mode, **text)


def make_atomic(dataset) -> bool:
    """Give ``dataset`` (and a dataset it wraps) the atomic local filesystem; True if it writes through one."""
    changed = False
    for obj in (dataset, getattr(dataset, "_dataset", None)):
        fs = getattr(obj, "_fs", None)
        if isinstance(fs, LocalFileSystem) and not isinstance(fs, AtomicLocalFileSystem):
            obj._fs = AtomicLocalFileSystem(auto_mkdir=getattr(fs, "auto_mkdir", False))
        changed = changed or isinstance(getattr(obj, "_fs", None), AtomicLocalFileSystem)
    return changed


def local_paths(dataset) -> list[Path]:
    """The local files or folders a dataset is declared at (none for memory or remote datasets)."""
    protocol = getattr(dataset, "_protocol", "file")
    if protocol not in ("file", "local"):
        return []
    paths = [getattr(dataset, "_filepath", None), *getattr(dataset, "_paths", ())]
    return [Path(str(p)) for p in paths if p]
