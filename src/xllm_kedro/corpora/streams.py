"""Lazy, re-iterable streams: what data_preparation's nodes pass to each other.

A node returns one of these instead of a list; the catalog dataset that saves it iterates it once,
writing each record as it comes (atomically), and a loading dataset gives a stream that rereads the
file. So a corpus flows from the raw files to the JSONL on disk without being held in memory.

A stream's counts (what was read, dropped, kept) are known only once a pass has ended. Kedro saves a
node's outputs in the order they are declared, so the data is written first and its report then
costs nothing; a report asked for before any complete pass runs one counting pass itself, so it is
right in any order (a memory catalog, a different runner).

A stream given a ``desc`` shows a bar of the records it yields on a terminal (``progress.py``): a large
corpus takes minutes to clean.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

from xllm_kedro.progress import progress


def _shown(records: Iterator, bar: tuple[str | None, str]) -> Iterator:
    desc, unit = bar
    return iter(records) if desc is None else iter(progress(records, desc=desc, unit=unit))


class Stream:
    """Iterating calls ``produce(*args)`` again: a fresh pass each time, nothing kept between passes."""

    def __init__(self, produce: Callable[..., Iterator], *args, desc: str | None = None, unit: str = "record") -> None:
        self._produce, self._args, self._bar = produce, args, (desc, unit)

    def __iter__(self) -> Iterator:
        return _shown(self._produce(*self._args), self._bar)


class CountedStream:
    """A Stream whose ``produce(*args, counts)`` fills ``counts`` as it goes; see ``report``."""

    def __init__(self, produce: Callable[..., Iterator], *args, desc: str | None = None, unit: str = "record") -> None:
        self._produce, self._args, self._bar = produce, args, (desc, unit)
        self._counts: dict | None = None

    def __iter__(self) -> Iterator:
        counts: dict = {}
        yield from _shown(self._produce(*self._args, counts), self._bar)
        self._counts = counts

    def counts(self) -> dict:
        """The counts of the last complete pass, running one if there was none."""
        if self._counts is None:
            for _ in self:
                pass
        return dict(self._counts)

    @property
    def report(self) -> "StreamReport":
        return StreamReport(self)


class StreamReport(Mapping):
    """The counts of a CountedStream as a mapping, resolved when first read."""

    def __init__(self, stream: CountedStream) -> None:
        self._stream = stream

    def _data(self) -> dict:
        return self._stream.counts()

    def __getitem__(self, key):
        return self._data()[key]

    def __iter__(self):
        return iter(self._data())

    def __len__(self) -> int:
        return len(self._data())


def at_least(produce: Callable[..., Iterator], minimum: int, what: str) -> Callable[..., Iterator]:
    """``produce`` (whose last argument is its counts) failing, once its pass ends, if it kept fewer than
    ``minimum`` records: the save that consumes it then writes nothing, and the error gives the counts."""

    def checked(*args) -> Iterator:
        counts = args[-1]
        yield from produce(*args)
        if counts.get("kept", 0) < minimum:
            raise ValueError(f"{what}: {counts.get('kept', 0)} clean record(s) kept, fewer than parameters "
                             f"data_preparation.reading.min_records = {minimum}; counts: {dict(counts)}")

    return checked
