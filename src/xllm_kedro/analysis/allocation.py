"""Allocating a translation-data budget across languages (Section 3.3):

    maximise (1/n) sum_i S_i(X_i)   s.t.   sum_i X_i = C,   0 <= X_i <= Xmax_i.

Every S_i is concave, so the optimum is the KKT point: each language below its cap has the same
marginal gain lambda, and each capped language has a marginal gain of at least lambda. Since
dS_i/dX = k_i X^(beta_i - 1) is strictly decreasing, X_i(lambda) = min(cap_i, (lambda / k_i)^(1 / (beta_i - 1)))
and sum_i X_i(lambda) falls as lambda grows: a safeguarded Newton search on log(lambda) finds it,
vectorised over languages.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize

from xllm_kedro.analysis.scaling import ScalingLaw


@dataclass
class Allocation:
    sizes: dict[str, float]
    marginal_gain: float  # lambda, the common dS/dX of the languages below their cap
    at_cap: list[str]


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
    total = math.fsum(caps.values())
    if budget > total:
        raise ValueError(f"budget {budget} exceeds the data available (sum of caps {total})")


def predicted_mean_score(laws: Mapping[str, ScalingLaw], sizes: Mapping[str, float]) -> float:
    """The objective: the mean predicted score; a language given no data counts as score 0."""
    return float(np.mean([float(laws[k].predict(v)) if v > 0 else 0.0 for k, v in sizes.items()]))


class _Problem:
    """The laws as arrays: log X_i(lambda) = e_i (log lambda - log k_i), capped."""

    def __init__(self, laws: Mapping[str, ScalingLaw], caps: Mapping[str, float]):
        self.names = list(laws)
        alpha = np.array([laws[n].alpha for n in self.names])
        beta = np.array([laws[n].beta for n in self.names])
        gamma = np.array([laws[n].gamma for n in self.names])
        self.log_k = np.log(-alpha * beta) + beta * np.log(gamma)
        self.exponent = 1.0 / (beta - 1.0)
        self.cap = np.array([float(caps[n]) for n in self.names])
        with np.errstate(divide="ignore"):
            self.log_cap = np.log(self.cap)

    def capped(self, log_lam: float) -> np.ndarray:
        return self.exponent * (log_lam - self.log_k) >= self.log_cap

    def sizes(self, log_lam: float) -> np.ndarray:
        return np.where(self.capped(log_lam), self.cap, np.exp(self.exponent * (log_lam - self.log_k)))

    def total(self, log_lam: float) -> float:
        return math.fsum(self.sizes(log_lam))


def solve_allocation(laws: Mapping[str, ScalingLaw], budget: float, caps: Mapping[str, float]) -> Allocation:
    """The optimal allocation with its certificate: lambda and the languages whose cap binds."""
    _validate(laws, budget, caps)
    if budget == 0:
        return Allocation({k: 0.0 for k in laws}, math.inf, [])
    problem = _Problem(laws, caps)
    if budget >= math.fsum(problem.cap):
        return Allocation({n: float(c) for n, c in zip(problem.names, problem.cap)}, 0.0, sorted(problem.names))
    lo, hi = -1.0, 1.0
    while problem.total(lo) < budget:
        lo *= 2.0
    while problem.total(hi) > budget:
        hi *= 2.0
    # Safeguarded Newton on log(lambda): d X_i / d log(lambda) = e_i X_i below the cap. It falls back to
    # bisection whenever a step leaves the bracket, and stops at float precision.
    t = 0.5 * (lo + hi)
    for _ in range(2000):
        x = problem.sizes(t)
        excess = math.fsum(x) - budget
        if excess > 0:
            lo = t
        else:
            hi = t
        if abs(excess) <= 4 * np.finfo(float).eps * budget or np.nextafter(lo, hi) >= hi:
            break
        slope = float(np.sum((problem.exponent * x)[~problem.capped(t)]))
        step = t - excess / slope if slope < 0 else 0.5 * (lo + hi)
        t = step if lo < step < hi else 0.5 * (lo + hi)
    hi = t
    x = problem.sizes(hi)
    free = ~problem.capped(hi)
    if free.any():  # the last ulp of lambda leaves a rounding residue: give it to the uncapped languages
        x[free] += (budget - math.fsum(x)) / free.sum()
    sizes = {n: float(v) for n, v in zip(problem.names, x)}
    return Allocation(sizes, math.exp(hi), sorted(n for n, f in zip(problem.names, free) if not f))


def allocate(laws: Mapping[str, ScalingLaw], budget: float, caps: Mapping[str, float]) -> dict[str, float]:
    """The optimal real-valued allocation of ``budget`` (see solve_allocation for the certificate)."""
    return solve_allocation(laws, budget, caps).sizes


def integer_allocation(laws: Mapping[str, ScalingLaw], budget: int, caps: Mapping[str, float]) -> dict[str, int]:
    """Whole examples per language summing exactly to ``budget``: floor the optimum, then give the r
    remaining units, one each, to the r languages that gain most from one more example."""
    if int(budget) != budget:
        raise ValueError(f"integer allocation needs a whole budget, got {budget}")
    int_caps = {k: float(math.floor(v)) for k, v in caps.items()}
    real = allocate(laws, budget, int_caps)
    names = list(real)
    floor = np.array([min(int_caps[k], math.floor(real[k] + 1e-9)) for k in names])
    remaining = int(budget) - int(floor.sum())
    if remaining:
        gain = np.array([float(laws[k].predict(f + 1)) - (float(laws[k].predict(f)) if f else 0.0)
                         for k, f in zip(names, floor)])
        gain[floor >= np.array([int_caps[k] for k in names])] = -np.inf
        floor[np.argsort(-gain, kind="stable")[:remaining]] += 1
    return {k: int(v) for k, v in zip(names, floor)}


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


def round_to_budget(sizes: Mapping[str, float], budget: int, caps: Mapping[str, float]) -> dict[str, int]:
    """Whole numbers summing to ``budget``: floor each, then one more to the largest fractional parts."""
    floor = {k: min(math.floor(v + 1e-9), math.floor(caps[k])) for k, v in sizes.items()}
    order = sorted(sizes, key=lambda k: (sizes[k] - floor[k]), reverse=True)
    for k in order[: int(budget) - sum(floor.values())]:
        floor[k] += 1
    return floor


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
