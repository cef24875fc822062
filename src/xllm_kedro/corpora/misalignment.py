"""Misaligned stretches of a parallel corpus: where one side lost or gained a line, every pair after it
is two unrelated sentences, and their length ratios scatter. The watch follows the log length ratio of
the aligned pairs (running mean and spread of those that are not outliers, so a long misaligned stretch
cannot widen it), counts the pairs far from it per window of lines, and reports the windows where such
outliers crowd as line ranges."""

from __future__ import annotations

import math

WINDOW = 50  # lines per window
Z_OUTLIER = 2.5  # a pair this many standard deviations from the running mean ratio is an outlier
WINDOW_SHARE = 0.3  # a window with this share of outliers is misaligned (aligned text has a few per cent)
WARM_UP = 30  # pairs seen before any can count as an outlier


class MisalignmentWatch:
    def __init__(self) -> None:
        self.n = 0  # pairs seen
        self.k, self.mean, self.m2 = 0, 0.0, 0.0  # the inliers' running statistics (Welford)
        self.outliers: list[int] = []  # per window

    def observe(self, en: str, x: str) -> None:
        d = math.log(len(x) + 1) - math.log(len(en) + 1)
        if self.n % WINDOW == 0:
            self.outliers.append(0)
        self.n += 1
        if self.k >= WARM_UP:
            sd = max(math.sqrt(self.m2 / (self.k - 1)), 0.05)  # a floor: rendered text may match exactly
            if abs(d - self.mean) > Z_OUTLIER * sd:
                self.outliers[-1] += 1
                return
        self.k += 1
        delta = d - self.mean
        self.mean += delta / self.k
        self.m2 += delta * (d - self.mean)

    def blocks(self) -> list[tuple[int, int]]:
        """Line ranges (1-based, inclusive) of consecutive misaligned windows."""
        out: list[tuple[int, int]] = []
        for i, count in enumerate(self.outliers):
            size = min(WINDOW, self.n - i * WINDOW)
            if count >= WINDOW_SHARE * size:
                start, end = i * WINDOW + 1, i * WINDOW + size
                if out and out[-1][1] == start - 1:
                    out[-1] = (out[-1][0], end)
                else:
                    out.append((start, end))
        return out

    def report(self) -> dict:
        blocks = self.blocks()
        return {"misaligned_lines": sum(b - a + 1 for a, b in blocks),
                "misaligned_blocks": ";".join(f"{a}-{b}" for a, b in blocks)}
