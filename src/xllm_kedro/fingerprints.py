"""What each output was made from, so that a recovery run can tell stale outputs from fresh ones.

When an output is saved, the run records a fingerprint of each input of the node that made it: the
parameters' values, or the content of a dataset's files (size and modification time above
``CONTENT_LIMIT`` bytes, where hashing would cost more than it saves). An output
is stale when an input changed since (a rerun rewrote it, a user edited it), when its record is
missing, or when an output it is made from is stale. Records live in ``data/.fingerprints``.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from xllm_kedro.files import write_json


def params_stamp(value) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()


CONTENT_LIMIT = 256 << 20


def _visible_files(root: Path) -> list[Path]:
    if root.is_file():
        return [root]
    return sorted(Path(d, f) for d, dirs, names in os.walk(root) for f in names
                  if not any(part.startswith(".") for part in Path(d, f).relative_to(root).parts))


def files_meta(paths: Iterable[Path]) -> str:
    """Size and modification time of every visible file under ``paths`` (temporary siblings excluded)."""
    digest = hashlib.sha256()
    for root in paths:
        files = _visible_files(root) if root.exists() else []
        digest.update(f"{root}:{len(files) if root.exists() else 'missing'}".encode())
        for path in files:
            stat = path.stat()
            digest.update(f"{path}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return digest.hexdigest()


def files_stamp(paths: Iterable[Path], limit: int = CONTENT_LIMIT) -> str:
    """The content of the files under ``paths`` (a file rewritten unchanged keeps its stamp), or their
    size and modification time when they hold more than ``limit`` bytes."""
    paths = list(paths)
    files = [(root, f) for root in paths if root.exists() for f in _visible_files(root)]
    if sum(f.stat().st_size for _, f in files) > limit:
        return "meta:" + files_meta(paths)
    digest = hashlib.sha256()
    for root in paths:
        digest.update(f"{root}:{root.exists()}".encode())
    for root, path in files:
        digest.update(str(path.relative_to(root) if root.is_dir() else path.name).encode())
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()


class FingerprintStore:
    """One JSON record per output dataset: the node that made it and its inputs' fingerprints."""

    def __init__(self, directory: str | Path):
        self.directory = Path(directory)

    def _path(self, output: str) -> Path:
        return self.directory / f"{output}.json"

    def record(self, output: str, node: str, inputs: Mapping[str, str]) -> None:
        write_json(self._path(output), {"node": node, "inputs": dict(inputs)})

    def recorded(self, output: str) -> dict | None:
        try:
            return json.loads(self._path(output).read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            return None


def stale_outputs(nodes: Iterable, store: FingerprintStore, stamp: Callable[[str], str],
                  persisted: Callable[[str], bool]) -> dict[str, str]:
    """Persisted outputs that must be remade, each with the reason; ``nodes`` in topological order."""
    stale: dict[str, str] = {}
    for node in nodes:
        reason = None
        for output in node.outputs:
            record = store.recorded(output)
            if record is None:
                reason = f"no record of what {output} was made from"
                break
            changed = sorted(name for name, value in record["inputs"].items()
                             if name in node.inputs and stamp(name) != value)
            if changed:
                reason = f"input(s) {changed} changed since {output} was made"
                break
        upstream = sorted(name for name in node.inputs if name in stale)
        reason = reason or (f"made from stale {upstream}" if upstream else None)
        if reason:
            stale.update({output: reason for output in node.outputs})
    return {name: why for name, why in stale.items() if persisted(name)}
