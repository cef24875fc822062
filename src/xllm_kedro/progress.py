"""Progress bars on a terminal only, one rule for every long loop: training, generation, encoding,
corpus cleaning, COMET and the judge. Piped into a log, a bar is fragments glued by '\r', so there
(tqdm's ``disable=None``: stderr is not a TTY) it draws nothing and the loop runs as without it."""

from __future__ import annotations

import sys
from collections.abc import Iterable

from tqdm.auto import tqdm


def progress(iterable: Iterable | None = None, *, desc: str, unit: str, total: int | None = None,
             show: bool = True, **options) -> tqdm:
    """A transient bar over ``iterable`` (or one to ``update`` by hand) on a terminal, when ``show``
    (one process of several shows it)."""
    return tqdm(iterable, desc=desc, unit=unit, total=total, leave=False, dynamic_ncols=True,
                disable=None if show else True, **options)


def on_terminal() -> bool:
    """Whether bars are drawn: stderr is a terminal (what ``disable=None`` checks), e.g. for a worker
    process that draws its own."""
    return sys.stderr is not None and sys.stderr.isatty()
