"""Allocating a translation-data budget across languages (Section 3.3):

    maximise (1/n) sum_i S_i(X_i)   s.t.   sum_i X_i = C,   0 <= X_i <= Xmax_i.

Every S_i is concave, so the optimum is the KKT point: each language below its cap has the same
marginal gain lambda, and each capped language has a marginal gain of at least lambda.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize

from .scaling import ScalingLaw


@dataclass
class Allocation:
    sizes: dict[str, float]
    marginal_gain: float  # lambda, the common dS/dX of the languages below their cap
    at_cap: list[str]

    def mean_score(self, laws: Mapping[str, ScalingLaw]) -> float:
        return predicted_mean_score(laws, self.sizes)


def _validate(laws: Mapping[str, ScalingLaw], budget: float, caps: Mapping[str, float]) -> None:
    if not laws:
        raise ValueError("no scaling laws to allocate over")
    if set(laws) != set(caps):
        raise ValueError(f"laws and caps must name the same languages: laws {sorted(laws)}, caps {sorted(caps)}")
    for lang, law in laws.items():
        law.check(f"scaling law of {lang!r}")
    for lang, cap in caps.items():
        if not (cap >= 0 and math.isfinite(cap)):
            raise ValueError(f"cap of {lang!r} must be a non-negative number, got {cap}")
    if not (budget >= 0 and math.isfinite(budget)):
        raise ValueError(f"budget must be a non-negative number, got {budget}")
    if budget > sum(caps.values()):
        raise ValueError(f"budget {budget} exceeds the data available (sum of caps {sum(caps.values())})")


def predicted_mean_score(laws: Mapping[str, ScalingLaw], sizes: Mapping[str, float]) -> float:
    """The objective: the mean predicted score; a language given no data counts as score 0."""
    return float(np.mean([float(laws[k].predict(v)) if v > 0 else 0.0 for k, v in sizes.items()]))


def _sizes_at(laws, caps, lam: float) -> dict[str, float]:
    out = {}
    for lang, law in laws.items():
        k = -law.alpha * law.beta * law.gamma**law.beta  # dS/dX = k * X**(beta - 1)
        out[lang] = min(caps[lang], (lam / k) ** (1.0 / (law.beta - 1.0)))
    return out


def solve_allocation(laws: Mapping[str, ScalingLaw], budget: float, caps: Mapping[str, float]) -> Allocation:
    """The optimal allocation with its certificate (lambda and the binding caps), by bisection on lambda."""
    _validate(laws, budget, caps)
    if budget == 0:
        return Allocation({k: 0.0 for k in laws}, math.inf, [])
    if math.isclose(budget, sum(caps.values()), rel_tol=1e-15):
        return Allocation(dict(caps), 0.0, sorted(caps))
    lo, hi = -700.0, 700.0  # log(lambda) bracket: sum of sizes falls as lambda grows
    for _ in range(300):
        mid = (lo + hi) / 2
        if sum(_sizes_at(laws, caps, math.exp(mid)).values()) > budget:
            lo = mid
        else:
            hi = mid
        if hi - lo <= 1e-15 * max(1.0, abs(mid)):
            break
    lam = math.exp((lo + hi) / 2)
    sizes = _sizes_at(laws, caps, lam)
    free = [k for k in sizes if sizes[k] < caps[k]]
    residual = budget - sum(sizes.values())
    for k in free:  # spread the last rounding error over the uncapped languages
        sizes[k] += residual / len(free)
    return Allocation(sizes, lam, sorted(k for k in sizes if k not in free))


def allocate(laws: Mapping[str, ScalingLaw], budget: float, caps: Mapping[str, float]) -> dict[str, float]:
    """The optimal real-valued allocation of ``budget`` (see solve_allocation for the certificate)."""
    return solve_allocation(laws, budget, caps).sizes


def integer_allocation(laws: Mapping[str, ScalingLaw], budget: int, caps: Mapping[str, float]) -> dict[str, int]:
    """Whole examples per language summing exactly to ``budget``: floor the optimum, then hand out
    the remaining units one at a time to the largest marginal gain."""
    if int(budget) != budget:
        raise ValueError(f"integer allocation needs a whole budget, got {budget}")
    int_caps = {k: math.floor(v) for k, v in caps.items()}
    real = allocate(laws, budget, int_caps)
    sizes = {k: min(int_caps[k], math.floor(v + 1e-9)) for k, v in real.items()}
    for _ in range(int(budget) - sum(sizes.values())):
        open_ = [k for k in sizes if sizes[k] < int_caps[k]]
        gain = {k: float(laws[k].predict(sizes[k] + 1)) - (float(laws[k].predict(sizes[k])) if sizes[k] else 0.0)
                for k in open_}
        sizes[max(gain, key=gain.get)] += 1
    return sizes


def uniform_allocation(budget: float, caps: Mapping[str, float]) -> dict[str, float]:
    """The same amount for every language, except that a language with less data gives its share to the rest."""
    if budget > sum(caps.values()):
        raise ValueError(f"budget {budget} exceeds the data available (sum of caps {sum(caps.values())})")
    sizes, left, open_ = {}, float(budget), sorted(caps, key=caps.get)
    while open_:
        share = left / len(open_)
        lang = open_[0]
        if caps[lang] <= share:
            sizes[lang] = float(caps[lang])
            left -= caps[lang]
            open_.pop(0)
        else:
            for k in open_:
                sizes[k] = share
            break
    return sizes


def slsqp_allocation(laws: Mapping[str, ScalingLaw], budget: float, caps: Mapping[str, float]) -> dict[str, float]:
    """A general-purpose solver's answer, kept only to cross-check the exact one in reports."""
    _validate(laws, budget, caps)
    names = list(laws)
    x0 = np.array([budget / len(names)] * len(names))
    res = minimize(
        lambda x: -np.mean([laws[k].predict(max(v, 1e-9)) for k, v in zip(names, x)]),
        np.minimum(x0, [caps[k] for k in names]),
        method="SLSQP",
        bounds=[(1e-9, caps[k]) for k in names],
        constraints=[{"type": "eq", "fun": lambda x: np.sum(x) - budget}],
        options={"ftol": 1e-12, "maxiter": 500},
    )
    return {k: float(v) for k, v in zip(names, res.x)}
