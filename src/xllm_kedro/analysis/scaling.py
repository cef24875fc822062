"""The scaling law of cross-lingual instruction tuning (Eq. 2): S(X) = 100 - alpha * (gamma * X) ** beta.

alpha and gamma are not separately identifiable (alpha * gamma**beta is one number), so gamma is
computed first (language similarity) and held fixed while alpha and beta are fitted.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import numpy as np
from scipy.optimize import least_squares

_BETA_EPS = 1e-6


@dataclass
class ScalingLaw:
    alpha: float
    beta: float
    gamma: float
    r2: float = float("nan")
    ci: dict[str, tuple[float, float]] = field(default_factory=dict)
    extrapolation_error: float = float("nan")  # |error| at the largest size when fitted without it
    draws: list[tuple[float, float]] = field(default_factory=list, repr=False)  # bootstrap (alpha, beta)

    def check(self, where: str = "scaling law") -> "ScalingLaw":
        if not (self.alpha > 0 and math.isfinite(self.alpha)):
            raise ValueError(f"{where}: alpha must be positive, got {self.alpha}")
        if not -1 < self.beta < 0:
            raise ValueError(f"{where}: beta must lie in (-1, 0), got {self.beta}")
        if not 0 < self.gamma <= 1:
            raise ValueError(f"{where}: gamma must lie in (0, 1], got {self.gamma}")
        return self

    def predict(self, sizes) -> np.ndarray:
        x = np.asarray(sizes, dtype=float)
        return 100.0 - self.alpha * np.power(self.gamma * x, self.beta)

    def marginal_gain(self, sizes) -> np.ndarray:
        """dS/dX, positive and decreasing in X (the law is concave for beta in (-1, 0))."""
        x = np.asarray(sizes, dtype=float)
        return -self.alpha * self.beta * self.gamma**self.beta * np.power(x, self.beta - 1.0)

    def band(self, sizes, level: float = 0.9) -> tuple[np.ndarray, np.ndarray]:
        """Pointwise interval of the predicted score over the bootstrap fits (alpha and beta move together)."""
        if not self.draws:
            raise ValueError("this law has no bootstrap draws (fit it with n_bootstrap > 0)")
        x = np.asarray(sizes, dtype=float)
        curves = np.array([100.0 - a * np.power(self.gamma * x, b) for a, b in self.draws])
        lo, hi = 100 * (1 - level) / 2, 100 * (1 + level) / 2
        return np.percentile(curves, lo, axis=0), np.percentile(curves, hi, axis=0)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["ci"] = {k: list(v) for k, v in self.ci.items()}
        d["draws"] = [list(p) for p in self.draws]
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "ScalingLaw":
        ci = {k: (float(v[0]), float(v[1])) for k, v in d.get("ci", {}).items()}
        draws = [(float(a), float(b)) for a, b in d.get("draws", [])]
        return cls(**{**d, "ci": ci, "draws": draws})


def _validate_points(sizes: np.ndarray, scores: np.ndarray, gamma: float) -> None:
    if sizes.shape != scores.shape or sizes.ndim != 1:
        raise ValueError(f"sizes and scores must be 1-D and of equal length, got {sizes.shape} and {scores.shape}")
    if len(sizes) < 3:
        raise ValueError(f"need at least 3 (size, score) points to fit alpha and beta, got {len(sizes)}")
    if np.any(sizes <= 0):
        raise ValueError(f"translation-data sizes must be positive, got {sizes.tolist()}")
    # 0 is a score the law can take (no overlap at all: alpha (gamma X)^beta = 100); 100 is not (a copy)
    bad = scores[(scores < 0) | (scores >= 100) | ~np.isfinite(scores)]
    if bad.size:
        raise ValueError(f"scores must lie in [0, 100), got {bad.tolist()}")
    if not 0 < gamma <= 1:
        raise ValueError(f"gamma must lie in (0, 1], got {gamma}")


def _fit_once(x: np.ndarray, s: np.ndarray, gamma: float, loss: str, f_scale: float, n_starts: int) -> tuple[float, float]:
    gx = gamma * x
    gap = 100.0 - s

    def residuals(theta):
        return 100.0 - np.exp(theta[0]) * np.power(gx, theta[1]) - s

    best = None
    for beta0 in np.linspace(-0.9, -0.05, n_starts):
        alpha0 = np.mean(gap) / np.mean(np.power(gx, beta0))
        res = least_squares(
            residuals, x0=[math.log(alpha0), beta0], loss=loss, f_scale=f_scale,
            bounds=([-50.0, -1 + _BETA_EPS], [50.0, -_BETA_EPS]),
        )
        if best is None or res.cost < best.cost:
            best = res
    return float(math.exp(best.x[0])), float(best.x[1])


def fit_scaling_law(sizes, scores, gamma: float, *, loss: str = "soft_l1", f_scale: float = 1.0, n_starts: int = 8,
                    n_bootstrap: int = 200, ci_level: float = 0.9, seed: int = 0) -> ScalingLaw:
    """Fit alpha > 0 and -1 < beta < 0 with gamma fixed: robust loss, several starts, bootstrap intervals."""
    x = np.asarray(sizes, dtype=float)
    s = np.asarray(scores, dtype=float)
    _validate_points(x, s, gamma)
    alpha, beta = _fit_once(x, s, gamma, loss, f_scale, n_starts)
    law = ScalingLaw(alpha=alpha, beta=beta, gamma=gamma)
    ss_tot = float(np.sum((s - s.mean()) ** 2))
    law.r2 = 1.0 - float(np.sum((s - law.predict(x)) ** 2)) / ss_tot if ss_tot > 0 else float("nan")

    rng = np.random.default_rng(seed)
    draws = []
    for _ in range(n_bootstrap):
        idx = rng.integers(0, len(x), len(x))
        if len(np.unique(x[idx])) < 2:
            continue
        draws.append(_fit_once(x[idx], s[idx], gamma, loss, f_scale, n_starts=3))
    law.draws = draws
    if draws:
        arr = np.array(draws)
        lo, hi = 100 * (1 - ci_level) / 2, 100 * (1 + ci_level) / 2
        law.ci = {name: (float(np.percentile(arr[:, j], lo)), float(np.percentile(arr[:, j], hi)))
                  for j, name in enumerate(("alpha", "beta"))}

    largest = int(np.argmax(x))
    rest = np.delete(np.arange(len(x)), largest)
    if len(np.unique(x[rest])) >= 2:
        a, b = _fit_once(x[rest], s[rest], gamma, loss, f_scale, n_starts)
        law.extrapolation_error = float(abs(ScalingLaw(a, b, gamma).predict(x[largest]) - s[largest]))
    return law
