"""Every catalog dataset's local files handled the project's way, whatever its class: kedro-datasets
(pandas, json, text, matplotlib, and kedro-mlflow's artifact wrappers of them) read and write through an
fsspec filesystem held in ``_fs``; on a local disk it is swapped for one whose files are written to a
temporary sibling and renamed when closed, and whose text is read past a UTF-8 byte-order mark. The
project's own datasets do both through ``files`` and ``corpora.textfiles`` already.
"""

from __future__ import annotations

from pathlib import Path

from fsspec.implementations.local import LocalFileSystem

from xllm_kedro.files import AtomicFile


class ProjectFileSystem(LocalFileSystem):
    """The local filesystem, except that a file opened for writing is an ``AtomicFile`` and UTF-8 text
    is decoded as ``utf-8-sig`` (a leading byte-order mark is dropped, not glued to the first record)."""

    def open(self, path, mode="rb", block_size=None, cache_options=None, compression=None, **kwargs):
        if "b" not in mode and "r" in mode and str(kwargs.get("encoding", "utf-8")).lower() in ("utf-8", "utf8"):
            kwargs["encoding"] = "utf-8-sig"
        if not any(flag in mode for flag in "wx") or compression:
            return super().open(path, mode, block_size, cache_options, compression, **kwargs)
        path = self._strip_protocol(path)
        text = {k: kwargs[k] for k in ("encoding", "errors", "newline") if k in kwargs and "b" not in mode}
        return AtomicFile(path, mode, **text)


def use_project_filesystem(dataset) -> bool:
    """Give ``dataset`` (and a dataset it wraps) the project's local filesystem; True if it uses one."""
    changed = False
    for obj in (dataset, getattr(dataset, "_dataset", None)):
        fs = getattr(obj, "_fs", None)
        if isinstance(fs, LocalFileSystem) and not isinstance(fs, ProjectFileSystem):
            obj._fs = ProjectFileSystem(auto_mkdir=getattr(fs, "auto_mkdir", False))
        changed = changed or isinstance(getattr(obj, "_fs", None), ProjectFileSystem)
    return changed


def local_paths(dataset) -> list[Path]:
    """The local files or folders a dataset is declared at (none for memory or remote datasets)."""
    protocol = getattr(dataset, "_protocol", "file")
    if protocol not in ("file", "local"):
        return []
    paths = [getattr(dataset, "_filepath", None), *getattr(dataset, "_paths", ())]
    return [Path(str(p)) for p in paths if p]
