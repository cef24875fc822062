"""Parallel corpora as lazy, re-iterable readers of (English, X) pairs.

- ``ParallelCorpus``: Moses / OPUS style, two aligned files (``corpus.en`` + ``corpus.xx``); files of
  different lengths are rejected with both line counts.
- ``WikiMatrixCorpus``: one TSV (margin score, sentence, sentence), plain or gzip, with a margin threshold.

Each pass reopens the files, so nothing is held in memory. ``read(report)`` also counts what was read,
skipped (``skip_bad_lines``) or dropped under the margin threshold.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, replace
from itertools import islice
from pathlib import Path

from xllm_kedro.corpora.textfiles import BLOCK, BadLine, check_readable, decode_block, decode_line, open_binary

FORMATS = ("moses", "wikimatrix")


@dataclass
class ReadReport:
    read: int = 0  # well-formed pairs read
    skipped_bad_lines: int = 0
    dropped_below_margin: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


@dataclass(frozen=True)
class ReadingOptions:
    """``data_preparation.reading`` in parameters."""

    skip_bad_lines: bool = False
    min_margin: float | None = None
    min_records: int = 1  # fewer clean records (Alpaca) or pairs (parallel) for a language stop the run
    max_misaligned_share: float = 0.2  # a parallel corpus with more of its lines in misaligned blocks stops the run

    @classmethod
    def from_params(cls, params: Mapping | None, where: str = "parameters data_preparation.reading") -> "ReadingOptions":
        params = dict(params or {})
        unknown = set(params) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"{where}: unknown key(s) {sorted(unknown)}; known: {sorted(cls.__dataclass_fields__)}")
        if not isinstance(params.get("skip_bad_lines", False), bool):
            raise ValueError(f"{where}.skip_bad_lines must be true or false")
        minimum = params.get("min_records", 1)
        if isinstance(minimum, bool) or not isinstance(minimum, int) or minimum < 0:
            raise ValueError(f"{where}.min_records must be an integer >= 0, got {minimum!r}")
        share = params.get("max_misaligned_share", 0.2)
        if isinstance(share, bool) or not isinstance(share, int | float) or not 0 <= share <= 1:
            raise ValueError(f"{where}.max_misaligned_share must be a number in [0, 1], got {share!r}")
        margin = params.get("min_margin")
        if margin is not None and (isinstance(margin, bool) or not isinstance(margin, int | float)):
            raise ValueError(f"{where}.min_margin must be a number or null, got {margin!r}")
        return cls(**params)


def configure(source, options: ReadingOptions):
    """A reader of this package with the run's reading options; any other iterable unchanged."""
    return source.configured(options) if hasattr(source, "configured") else source


def skip_or_raise(err: BadLine, skip: bool, report: ReadReport) -> None:
    """A bad line is counted when ``skip_bad_lines`` is on; otherwise its error stops the read."""
    if not skip:
        raise err
    report.skipped_bad_lines += 1


@dataclass(frozen=True)
class ParallelCorpus:
    """Sentence-aligned text: line i of ``source_path`` (English) translates line i of ``target_path``."""

    source_path: Path
    target_path: Path
    skip_bad_lines: bool = False

    def configured(self, options: ReadingOptions) -> "ParallelCorpus":
        return replace(self, skip_bad_lines=options.skip_bad_lines)

    def check(self) -> None:
        for path in (self.source_path, self.target_path):
            check_readable(Path(path), "parallel corpus file")

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return self.read(ReadReport())

    def read(self, report: ReadReport) -> Iterator[tuple[str, str]]:
        src_path, tgt_path = Path(self.source_path), Path(self.target_path)
        self.check()
        n = 0
        with open_binary(src_path) as src, open_binary(tgt_path) as tgt:
            while True:
                s_block, t_block = list(islice(src, BLOCK)), list(islice(tgt, BLOCK))
                if len(s_block) != len(t_block):
                    n_src = n + len(s_block) + sum(1 for _ in src)
                    n_tgt = n + len(t_block) + sum(1 for _ in tgt)
                    raise ValueError(f"line counts differ: {src_path} has {n_src} lines, {tgt_path} has {n_tgt}")
                if not s_block:
                    return
                try:
                    pairs = list(zip(decode_block(s_block), decode_block(t_block)))
                except UnicodeDecodeError:
                    pairs = self._decode_lines(s_block, t_block, n, report)
                n += len(s_block)
                report.read += len(pairs)
                yield from pairs

    def _decode_lines(self, s_block: list[bytes], t_block: list[bytes], n: int, report: ReadReport) -> list:
        """A block with an undecodable line, line by line: the error names the line, or it is skipped."""
        pairs = []
        for i, (s, t) in enumerate(zip(s_block, t_block), start=n + 1):
            try:
                pairs.append((decode_line(s, Path(self.source_path), i), decode_line(t, Path(self.target_path), i)))
            except BadLine as err:
                skip_or_raise(err, self.skip_bad_lines, report)
        return pairs


@dataclass(frozen=True)
class WikiMatrixCorpus:
    """A WikiMatrix TSV: ``margin<TAB>sentence<TAB>sentence`` per line. ``order`` says which column is
    English: WikiMatrix names its files by the sorted pair, so ``WikiMatrix.ar-en.tsv`` is ``x-en``."""

    path: Path
    order: str = "en-x"
    min_margin: float | None = None
    skip_bad_lines: bool = False

    def __post_init__(self) -> None:
        if self.order not in ("en-x", "x-en"):
            raise ValueError(f"WikiMatrix column order must be 'en-x' or 'x-en', got {self.order!r}")

    def configured(self, options: ReadingOptions) -> "WikiMatrixCorpus":
        return replace(self, skip_bad_lines=options.skip_bad_lines, min_margin=options.min_margin)

    def check(self) -> None:
        check_readable(Path(self.path), "WikiMatrix file")

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return self.read(ReadReport())

    def read(self, report: ReadReport) -> Iterator[tuple[str, str]]:
        path = Path(self.path)
        self.check()
        threshold = -math.inf if self.min_margin is None else self.min_margin
        english_first = self.order == "en-x"
        with open_binary(path) as fh:
            for lineno, raw in enumerate(fh, start=1):
                try:
                    cols = decode_line(raw, path, lineno).split("\t")
                    if len(cols) != 3:
                        raise BadLine(f"{path}:{lineno}: expected 3 tab-separated columns (margin, source, target), "
                                      f"got {len(cols)}")
                    try:
                        margin = float(cols[0])
                    except ValueError:
                        raise BadLine(f"{path}:{lineno}: margin score {cols[0]!r} is not a number") from None
                    if math.isnan(margin):
                        raise BadLine(f"{path}:{lineno}: margin score is NaN")
                except BadLine as err:
                    skip_or_raise(err, self.skip_bad_lines, report)
                    continue
                report.read += 1
                if margin < threshold:
                    report.dropped_below_margin += 1
                    continue
                yield (cols[1], cols[2]) if english_first else (cols[2], cols[1])


def read_pairs(source, lang: str, report: ReadReport) -> Iterator[tuple[str, str]]:
    """(English, X) pairs from a reader of this package, from (en, x) tuples, or from rows as hub
    datasets give them: ``{"translation": {"en": ..., lang: ...}}``, ``{"en": ..., lang: ...}`` or
    ``{"english": ..., "non_english": ...}``."""
    if hasattr(source, "read"):
        yield from source.read(report)
        return
    for i, row in enumerate(source):
        if isinstance(row, Mapping):
            row = row.get("translation", row)
            keys = ("english", "non_english") if "non_english" in row else ("en", lang)
            try:
                row = (row[keys[0]], row[keys[1]])
            except KeyError as err:
                raise ValueError(f"parallel row {i}: missing field {err.args[0]!r} (fields: {sorted(row)})") from None
        report.read += 1
        yield row
