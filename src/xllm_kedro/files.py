"""File helpers shared by the library and the catalog datasets: atomic writes, line-checked JSONL and
JSON lists read record by record (never a whole file in memory), every error naming file and line."""

from __future__ import annotations

import codecs
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import orjson

_JSONL_OPTIONS = orjson.OPT_APPEND_NEWLINE | orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY
_JSON_SPACE = re.compile(r"[ \t\n\r]*")


PARTIAL_SUFFIX = ".partial"


def _partial_affixes(target: Path) -> dict[str, str]:
    """Temporary siblings are ``.<name>.<random>.<pid>.partial``: hidden, recognisable, and naming the
    process that writes them, so a later run can tell a dead writer's leftovers from a live one's."""
    return {"prefix": f".{target.name}.", "suffix": f".{os.getpid()}{PARTIAL_SUFFIX}", "dir": str(target.parent)}


def _fsync(path: Path) -> None:
    with open(path, "rb+") as fh:
        os.fsync(fh.fileno())


@contextmanager
def atomic_path(target: str | Path, *, directory: bool = False) -> Iterator[Path]:
    """Yield a temporary sibling of ``target``; move it into place only if the block succeeds.

    A crash or exception leaves the old ``target`` (or nothing) behind, never a half-written file; a
    SIGKILL leaves the sibling, which ``remove_stale_partials`` deletes on a later run.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    if directory:
        tmp = Path(tempfile.mkdtemp(**_partial_affixes(target)))
    else:
        fd, name = tempfile.mkstemp(**_partial_affixes(target))
        os.close(fd)
        tmp = Path(name)
    try:
        yield tmp
        if not directory and tmp.exists():
            _fsync(tmp)
        if directory and target.exists():
            shutil.rmtree(target)
        os.replace(tmp, target)
    except BaseException:
        if tmp.is_dir():
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            tmp.unlink(missing_ok=True)
        raise


class AtomicFile:
    """An open file written under a temporary sibling name and renamed over ``path`` when closed.

    Leaving a ``with`` block by an exception discards it; a killed process leaves only the sibling. It
    stands in for the file object that fsspec-based datasets (kedro-datasets) write through.
    """

    def __init__(self, path: str | Path, mode: str = "wb", **open_args):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(**_partial_affixes(self.path))
        os.close(fd)
        self._tmp = Path(name)
        self._fh = open(self._tmp, mode.replace("x", "w"), **open_args)

    def __getattr__(self, name):
        return getattr(self._fh, name)

    def __iter__(self):
        return iter(self._fh)

    def __enter__(self) -> "AtomicFile":
        return self

    def __exit__(self, kind, value, traceback) -> None:
        if kind is None:
            self.close()
        else:
            self.discard()

    def close(self) -> None:
        if self._fh.closed:
            return
        self._fh.flush()
        os.fsync(self._fh.fileno())
        self._fh.close()
        os.replace(self._tmp, self.path)

    def discard(self) -> None:
        self._fh.close()
        self._tmp.unlink(missing_ok=True)


def process_alive(pid: int) -> bool:
    """Whether a process with this id exists (on this machine)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_partials(directory: str | Path) -> list[Path]:
    """Delete the temporary siblings in ``directory`` whose writing process is gone; return them."""
    removed = []
    for path in Path(directory).glob(f".*{PARTIAL_SUFFIX}"):
        pid = path.name[:-len(PARTIAL_SUFFIX)].rsplit(".", 1)[-1]
        if not pid.isdigit() or process_alive(int(pid)):
            continue
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
        removed.append(path)
    return removed


def write_jsonl(path: str | Path, records: Iterable[dict]) -> int:
    """Write records one JSON object per line, atomically, as they come (any iterable, consumed once);
    return how many were written. orjson: about five times faster than ``json.dumps`` per record."""
    n = 0
    dumps = orjson.dumps
    with atomic_path(path) as tmp, open(tmp, "wb", buffering=1 << 20) as fh:
        write = fh.write
        for record in records:
            write(dumps(record, option=_JSONL_OPTIONS))
            n += 1
    return n


class BadLine(ValueError):
    """A line that cannot be read (bytes that are not UTF-8, malformed JSON or columns); readers with
    ``skip_bad_lines`` count it and go on, others stop with its message (file and line)."""


def not_utf8(raw: bytes, where: str) -> BadLine | None:
    """The error for a line that is not UTF-8, or None when it decodes."""
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as err:
        return BadLine(f"{where}: bytes that are not UTF-8 (0x{raw[err.start]:02x} at byte {err.start + 1} of the line)")
    return None


def iter_jsonl_numbered(path: str | Path, on_bad_line: Callable[[BadLine], None] | None = None
                        ) -> Iterator[tuple[int, dict]]:
    """Stream (line number, object) from a JSONL file. A line that is not UTF-8, not JSON or not an
    object raises BadLine naming the file and the line, unless ``on_bad_line`` takes it. Blank lines
    are skipped."""
    loads = orjson.loads
    with open(path, "rb", buffering=1 << 20) as fh:
        for lineno, line in enumerate(fh, start=1):
            if lineno == 1 and line.startswith(b"\xef\xbb\xbf"):  # a byte-order mark is not part of the record
                line = line[3:]
            try:
                record = loads(line)
            except orjson.JSONDecodeError as err:
                if not line.strip():
                    continue
                bad = not_utf8(line, f"{path}:{lineno}") or BadLine(f"{path}:{lineno}: malformed JSON line ({err})")
                if on_bad_line is None:
                    raise bad from None
                on_bad_line(bad)
                continue
            if not isinstance(record, dict):
                bad = BadLine(f"{path}:{lineno}: expected a JSON object, got {type(record).__name__}")
                if on_bad_line is None:
                    raise bad
                on_bad_line(bad)
                continue
            yield lineno, record


def iter_jsonl(path: str | Path) -> Iterator[dict]:
    """Stream the objects of a JSONL file (see iter_jsonl_numbered for the errors)."""
    return (record for _, record in iter_jsonl_numbered(path))


@dataclass(frozen=True)
class JsonLinesFile:
    """A JSONL file as a lazy, re-iterable stream of objects: each pass reads the file again, so a
    corpus of millions of lines is never held in memory."""

    path: Path

    def __iter__(self) -> Iterator[dict]:
        return iter_jsonl(self.path)


def iter_json_array_numbered(path: str | Path, chunk_chars: int = 1 << 20) -> Iterator[tuple[int, object]]:
    """Stream (line number, element) from a file holding one JSON list, reading it in chunks.

    Errors name the file and line: bytes that are not UTF-8, malformed JSON, an empty file, a document
    that is not a list.
    """
    decoder = json.JSONDecoder()
    utf8 = codecs.getincrementaldecoder("utf-8-sig")()  # drops a leading byte-order mark
    with open(path, "rb") as fh:
        buf, pos, line, eof = "", 0, 1, False  # ``line`` is the line number at ``pos``

        def more() -> bool:
            nonlocal buf, pos, eof
            if eof:
                return False
            raw = fh.read(chunk_chars)
            eof = not raw
            try:
                text = utf8.decode(raw, final=eof)
            except UnicodeDecodeError as err:
                at = line + buf.count("\n", pos) + err.object[:err.start].count(b"\n")
                raise ValueError(f"{path}:{at}: bytes that are not UTF-8 (0x{err.object[err.start]:02x})") from None
            buf, pos = buf[pos:] + text, 0
            return True

        def skip_space() -> str:
            nonlocal pos, line
            while True:
                end = _JSON_SPACE.match(buf, pos).end()
                line += buf.count("\n", pos, end)
                pos = end
                if pos < len(buf) or not more():
                    return buf[pos:pos + 1]

        first = skip_space()
        if not first:
            raise ValueError(f"{path}: empty file")
        if first != "[":
            raise ValueError(f"{path}:{line}: expected a JSON list of records")
        pos += 1
        if skip_space() == "]":
            return
        while True:
            while True:
                try:
                    obj, end = decoder.raw_decode(buf, pos)
                    if end < len(buf) or not more():  # a value ending with the buffer may go on (a number)
                        break
                    continue
                except json.JSONDecodeError as err:
                    if not more():
                        at = line + buf.count("\n", pos, err.pos)
                        raise ValueError(f"{path}:{at}: malformed JSON ({err.msg})") from None
            yield line, obj
            line += buf.count("\n", pos, end)
            pos = end
            sep = skip_space()
            if sep == "]":
                pos += 1
                if skip_space():
                    raise ValueError(f"{path}:{line}: malformed JSON (text after the closing ']')")
                return
            if sep != ",":
                raise ValueError(f"{path}:{line}: malformed JSON (expected ',' or ']' between records)")
            pos += 1
            skip_space()


def read_json_object(path: str | Path, what: str) -> dict:
    """A JSON file that must hold one object (a job's config): errors name the file, the line and ``what``."""
    try:
        values = json.loads(Path(path).read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise ValueError(f"{path}:{err.lineno}: malformed {what} ({err.msg})") from None
    if not isinstance(values, dict):
        raise ValueError(f"{path}: a {what} is a JSON object")
    return values


def write_json(path: str | Path, obj) -> None:
    """Write one JSON document atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(obj, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
