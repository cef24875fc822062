"""Raw text files, plain or gzip, read as bytes line by line: each line is decoded on its own, so an
undecodable byte is reported with its file and line (or, with ``skip_bad_lines``, counted)."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import BinaryIO

from xllm_kedro.files import BadLine, not_utf8


BOM = b"\xef\xbb\xbf"


def open_binary(path: Path) -> BinaryIO:
    """``path`` opened for reading bytes, past a UTF-8 byte-order mark if it starts with one (it would
    otherwise stick to the first line); ``.gz`` files are decompressed on the fly."""
    fh = gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb", buffering=1 << 20)
    if fh.peek(len(BOM))[:len(BOM)] == BOM:
        fh.read(len(BOM))
    return fh


def check_readable(path: Path, what: str, *, blank_is_empty: bool = False) -> None:
    """Fail early, naming the file, when it is missing or empty (a gzip file with no content included;
    with ``blank_is_empty``, one holding only whitespace, as a JSON file may)."""
    if not path.exists():
        raise FileNotFoundError(f"{what} not found: {path}")
    with open_binary(path) as fh:
        head = fh.read(1 << 16 if blank_is_empty else 1)
        if not (head.strip() if blank_is_empty else head) and not fh.read(1):
            raise ValueError(f"{path}: empty file")


BLOCK = 4096  # lines decoded at once: one decode call per block instead of one per line


def decode_block(lines: list[bytes]) -> list[str]:
    """Lines (as read in binary) decoded together, without their line endings; UnicodeDecodeError if
    any is not UTF-8 (the caller then decodes them one by one to name the line)."""
    text = b"".join(lines).decode("utf-8")
    if "\r" in text:
        text = text.replace("\r\n", "\n")
    parts = text.split("\n")
    if lines[-1].endswith(b"\n"):
        parts.pop()
    return parts


def decode_line(raw: bytes, path: Path, lineno: int) -> str:
    """One line as text without its line ending; BadLine naming file and line if it is not UTF-8."""
    try:
        return raw.decode("utf-8").rstrip("\r\n")
    except UnicodeDecodeError:
        raise not_utf8(raw, f"{path}:{lineno}") from None


__all__ = ["BLOCK", "BOM", "BadLine", "check_readable", "decode_block", "decode_line", "open_binary"]
