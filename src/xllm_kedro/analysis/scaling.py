"""The scaling law of cross-lingual instruction tuning (Eq. 2): S(X) = 100 - alpha * (gamma * X) ** beta.

Fitted per language, alpha and gamma are not separately identifiable (alpha * gamma**beta is one number):
gamma is computed first (language similarity) and held fixed while alpha and beta are fitted, and it only
rescales alpha. The pooled fit (``fit_pooled_laws``) shares one (alpha, beta) across languages, so each
language's curve is set by its gamma alone, as the paper's third intuition implies, and an unseen
language's curve can be predicted from its gamma.

A law records the sizes it was fitted on (``domain``): Eq. 2 goes to -inf as X -> 0 and describes only
that range; predictions outside it are extrapolations.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
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
    domain: tuple[float, float] | None = None  # smallest and largest size the law was fitted on
    rmse: float = float("nan")  # in-sample root mean squared error of the fit
    held_out_rmse: float = float("nan")  # pooled fit: error on this language's points with it left out

    def check(self, where: str = "scaling law") -> "ScalingLaw":
        if not (self.alpha > 0 and math.isfinite(self.alpha)):
            raise ValueError(f"{where}: alpha must be positive, got {self.alpha}")
        if not -1 < self.beta < 0:
            raise ValueError(f"{where}: beta must lie in (-1, 0), got {self.beta}")
        if not 0 < self.gamma <= 1:
            raise ValueError(f"{where}: gamma must lie in (0, 1], got {self.gamma}")
        return self

    def extrapolates(self, sizes) -> np.ndarray:
        """Where a size lies outside the range the law was fitted on (False everywhere without a domain)."""
        x = np.asarray(sizes, dtype=float)
        if self.domain is None:
            return np.zeros(x.shape, dtype=bool)
        return (x < self.domain[0]) | (x > self.domain[1])

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
        d["domain"] = list(self.domain) if self.domain else None
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "ScalingLaw":
        ci = {k: (float(v[0]), float(v[1])) for k, v in d.get("ci", {}).items()}
        draws = [(float(a), float(b)) for a, b in d.get("draws", [])]
        domain = tuple(float(v) for v in d["domain"]) if d.get("domain") else None
        return cls(**{**d, "ci": ci, "draws": draws, "domain": domain})


def _validate_points(sizes: np.ndarray, scores: np.ndarray, gamma: float, minimum: int = 3) -> None:
    if sizes.shape != scores.shape or sizes.ndim != 1:
        raise ValueError(f"sizes and scores must be 1-D and of equal length, got {sizes.shape} and {scores.shape}")
    if len(sizes) < minimum:
        raise ValueError(f"need at least {minimum} (size, score) points to fit alpha and beta, got {len(sizes)}")
    if np.any(sizes <= 0):
        raise ValueError(f"translation-data sizes must be positive, got {sizes.tolist()}")
    # 0 is a score the law can take (no overlap at all: alpha (gamma X)^beta = 100); 100 is not (a copy)
    bad = scores[(scores < 0) | (scores >= 100) | ~np.isfinite(scores)]
    if bad.size:
        raise ValueError(f"scores must lie in [0, 100), got {bad.tolist()}")
    if not 0 < gamma <= 1:
        raise ValueError(f"gamma must lie in (0, 1], got {gamma}")


def _fit_once(gx: np.ndarray, s: np.ndarray, loss: str, f_scale: float, n_starts: int) -> tuple[float, float]:
    """(alpha, beta) of s = 100 - alpha gx^beta, where gx is gamma times the size of each point."""
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
    alpha, beta = _fit_once(gamma * x, s, loss, f_scale, n_starts)
    law = ScalingLaw(alpha=alpha, beta=beta, gamma=gamma, domain=(float(x.min()), float(x.max())))
    _fit_quality(law, x, s)

    rng = np.random.default_rng(seed)
    draws = []
    for _ in range(n_bootstrap):
        idx = rng.integers(0, len(x), len(x))
        if len(np.unique(x[idx])) < 2:
            continue
        draws.append(_fit_once(gamma * x[idx], s[idx], loss, f_scale, n_starts=3))
    _set_draws(law, draws, ci_level)

    largest = int(np.argmax(x))
    rest = np.delete(np.arange(len(x)), largest)
    if len(np.unique(x[rest])) >= 2:
        a, b = _fit_once(gamma * x[rest], s[rest], loss, f_scale, n_starts)
        law.extrapolation_error = float(abs(ScalingLaw(a, b, gamma).predict(x[largest]) - s[largest]))
    return law


def _fit_quality(law: ScalingLaw, x: np.ndarray, s: np.ndarray) -> None:
    residual = s - law.predict(x)
    ss_tot = float(np.sum((s - s.mean()) ** 2))
    law.r2 = 1.0 - float(np.sum(residual**2)) / ss_tot if ss_tot > 0 else float("nan")
    law.rmse = float(np.sqrt(np.mean(residual**2)))


def _set_draws(law: ScalingLaw, draws: list[tuple[float, float]], ci_level: float) -> None:
    law.draws = draws
    if draws:
        arr = np.array(draws)
        lo, hi = 100 * (1 - ci_level) / 2, 100 * (1 + ci_level) / 2
        law.ci = {name: (float(np.percentile(arr[:, j], lo)), float(np.percentile(arr[:, j], hi)))
                  for j, name in enumerate(("alpha", "beta"))}


def fit_pooled_laws(points: Mapping[str, tuple], gammas: Mapping[str, float], *, loss: str = "soft_l1",
                    f_scale: float = 1.0, n_starts: int = 8, n_bootstrap: int = 200, ci_level: float = 0.9,
                    seed: int = 0) -> dict[str, ScalingLaw]:
    """One (alpha, beta) shared by every language, S_i(X) = 100 - alpha (gamma_i X)^beta, fitted on all
    points together; each language's law carries the shared parameters and its own gamma.

    Args:
        points: language -> (sizes, scores).
    Bootstrap draws resample points within each language, so draw d is one joint refit of all laws.
    With two or more languages, each law's ``held_out_rmse`` is its points' error when the shared
    (alpha, beta) are fitted without that language, its curve predicted from its gamma alone.
    """
    data = {}
    for lang, (sizes, scores) in points.items():
        x, s = np.asarray(sizes, dtype=float), np.asarray(scores, dtype=float)
        if lang not in gammas:
            raise ValueError(f"no language similarity (gamma) for {lang!r}")
        _validate_points(x, s, gammas[lang], minimum=1)
        data[lang] = (x, s)
    if sum(len(x) for x, _ in data.values()) < 3:
        raise ValueError("the pooled fit needs at least 3 (size, score) points over all languages")

    def joined(langs, pick=None):
        gx = np.concatenate([gammas[k] * (data[k][0] if pick is None else data[k][0][pick[k]]) for k in langs])
        s = np.concatenate([data[k][1] if pick is None else data[k][1][pick[k]] for k in langs])
        return gx, s

    alpha, beta = _fit_once(*joined(data), loss, f_scale, n_starts)
    laws = {}
    for lang, (x, s) in data.items():
        law = laws[lang] = ScalingLaw(alpha, beta, gammas[lang], domain=(float(x.min()), float(x.max())))
        _fit_quality(law, x, s)
        others = [k for k in data if k != lang]
        if others and sum(len(data[k][0]) for k in others) >= 3:
            a, b = _fit_once(*joined(others), loss, f_scale, n_starts)
            law.held_out_rmse = float(np.sqrt(np.mean((s - ScalingLaw(a, b, gammas[lang]).predict(x)) ** 2)))
    rng = np.random.default_rng(seed)
    draws = []
    for _ in range(n_bootstrap):
        pick = {k: rng.integers(0, len(x), len(x)) for k, (x, _) in data.items()}
        gx, s = joined(data, pick)
        if len(np.unique(gx)) >= 2:
            draws.append(_fit_once(gx, s, loss, f_scale, n_starts=3))
    for law in laws.values():
        _set_draws(law, draws, ci_level)
    return laws
