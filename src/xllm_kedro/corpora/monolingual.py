"""Monolingual text for pre-training: one document (a sentence or a short story line) per line, plain or
gzip, streamed as ``{"text": ...}`` records so a corpus of any size never sits in memory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from xllm_kedro.corpora.textfiles import check_readable, decode_line, open_binary


class MonolingualText:
    """A lazy reader of one text file; every pass reads the file again."""

    def __init__(self, path: str | Path):
        self.path = Path(path)

    def check(self) -> None:
        check_readable(self.path, "monolingual text")

    def __iter__(self) -> Iterator[dict]:
        with open_binary(self.path) as fh:
            for lineno, raw in enumerate(fh, start=1):
                text = decode_line(raw, self.path, lineno).strip()
                if text:
                    yield {"text": text}
