"""A user's scaling points file (``scaling.points_source: user``), checked before any node reads it.

A law fitted to an infinite size or to fewer than three sizes is meaningless (an R² of -442 was saved
and used once), so such a file stops the run with the file and line of the first bad row.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd

COLUMNS = ("language", "size", "score")


def check_user_points(points: pd.DataFrame, where: str, languages: Sequence[str]) -> None:
    """Raise ValueError naming ``where`` and the line (header is line 1) of the first bad row."""
    missing = [c for c in COLUMNS if c not in points.columns]
    if missing:
        raise ValueError(f"{where}:1: missing column(s) {missing}; a points file has {list(COLUMNS)}")
    for i, row in enumerate(points.itertuples(index=False), start=2):
        size, score = pd.to_numeric(row.size, errors="coerce"), pd.to_numeric(row.score, errors="coerce")
        if not (math.isfinite(size) and size > 0):
            raise ValueError(f"{where}:{i}: size must be a positive finite number, got {row.size!r}")
        if not (math.isfinite(score) and 0 <= score <= 100):
            raise ValueError(f"{where}:{i}: score must be a finite number in [0, 100], got {row.score!r}")
        if row.language not in languages:
            raise ValueError(f"{where}:{i}: language {row.language!r} is not in parameters scaling.languages "
                             f"{list(languages)}")
    for lang in languages:
        sizes = set(pd.to_numeric(points.loc[points["language"] == lang, "size"]))
        if len(sizes) < 3:
            raise ValueError(f"{where}: language {lang!r} has {len(sizes)} distinct size(s); a law needs 3")
