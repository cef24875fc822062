"""General instruction data (Alpaca format): records checked one by one, streamed from JSON lists or
JSON lines, then NFC-normalised with empty ones dropped and counted."""

from __future__ import annotations

import unicodedata
from functools import partial
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from xllm_kedro.files import BadLine, iter_json_array_numbered, iter_jsonl_numbered
from xllm_kedro.corpora.parallel import ReadingOptions, ReadReport, skip_or_raise
from xllm_kedro.corpora.textfiles import check_readable

INSTRUCTION_KEYS = ("instruction", "input", "output")


def validate_instruction(record: object, where: str) -> dict:
    """Check one Alpaca-format record and return it with exactly the three string fields."""
    if not isinstance(record, dict):
        raise BadLine(f"{where}: expected an object with {INSTRUCTION_KEYS}, got {type(record).__name__}")
    missing = [k for k in ("instruction", "output") if k not in record]
    if missing:
        extra = sorted(set(record) - set(INSTRUCTION_KEYS))
        hint = f" (record has unexpected key(s) {extra}: misnamed?)" if extra else ""
        raise BadLine(f"{where}: missing key(s) {missing}{hint}")
    out = {k: record.get(k, "") for k in INSTRUCTION_KEYS}
    for key, value in out.items():
        if not isinstance(value, str):
            raise BadLine(f"{where}: key {key!r} must be a string, got {type(value).__name__}")
    return out


@dataclass(frozen=True)
class InstructionFile:
    """Alpaca records from a JSON list (``.json``) or JSON lines (``.jsonl``), re-read on each pass.

    With ``skip_bad_lines``, records with missing or mistyped fields (and, in JSONL, malformed lines)
    are skipped and counted; a malformed JSON list always stops, since nothing after the fault can be
    trusted.
    """

    path: Path
    skip_bad_lines: bool = False

    def configured(self, options: ReadingOptions) -> "InstructionFile":
        return replace(self, skip_bad_lines=options.skip_bad_lines)

    def check(self) -> None:
        check_readable(Path(self.path), "instruction file", blank_is_empty=True)

    def __iter__(self) -> Iterator[dict]:
        return self.read(ReadReport())

    def read(self, report: ReadReport) -> Iterator[dict]:
        path = Path(self.path)
        self.check()

        skip = partial(skip_or_raise, skip=self.skip_bad_lines, report=report)
        if path.suffix == ".jsonl":
            numbered = ((f"{path}:{n}", r) for n, r in iter_jsonl_numbered(path, skip))
        else:
            numbered = ((f"{path}:{n}: record {i}", r) for i, (n, r) in enumerate(iter_json_array_numbered(path)))
        for where, record in numbered:
            try:
                record = validate_instruction(record, where)
            except BadLine as err:
                skip(err)
                continue
            report.read += 1
            yield record
        if report.read == 0 and not report.skipped_bad_lines:
            raise ValueError(f"{path}: no instruction records")


def read_instructions(path: str | Path) -> Iterator[dict]:
    """Yield the Alpaca records of a ``.json`` list or ``.jsonl`` file (errors name file and line)."""
    return iter(InstructionFile(Path(path)))


def _read_records(records: Iterable, report: ReadReport) -> Iterator[dict]:
    if hasattr(records, "read"):
        yield from records.read(report)
        return
    for i, record in enumerate(records):  # already-loaded rows (a list, a hub dataset)
        report.read += 1
        yield validate_instruction(record, f"instruction record {i}")


def clean_instruction_stream(records: Iterable, counts: dict) -> Iterator[dict]:
    """NFC-normalise Alpaca records and drop those without an instruction or a response; ``counts``
    gets kept / dropped_empty, plus read / skipped_bad_lines when ``records`` is a file reader."""
    read = ReadReport()
    kept = dropped = 0
    for r in _read_records(records, read):
        r = {k: unicodedata.normalize("NFC", r[k]).strip() for k in INSTRUCTION_KEYS}
        if r["instruction"] and r["output"]:
            kept += 1
            yield r
        else:
            dropped += 1
    if hasattr(records, "read"):
        counts.update(read=read.read, skipped_bad_lines=read.skipped_bad_lines)
    counts.update(kept=kept, dropped_empty=dropped)


def clean_instructions(records: Iterable[dict]) -> tuple[list[dict], dict[str, int]]:
    """clean_instruction_stream held in a list (for small sets: tests, benchmarks)."""
    counts: dict = {}
    kept = list(clean_instruction_stream(records, counts))
    return kept, counts
