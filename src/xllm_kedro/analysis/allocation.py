"""Allocating a translation-data budget across languages (Section 3.3):

    maximise (1/n) sum_i S_i(X_i)   s.t.   sum_i X_i = C,   floor_i <= X_i <= cap_i.

Each S_i is a sum of power terms, S_i(X) = 100 - sum_d w_d c_d X^b_d with b_d in (-1, 0): one term for a
fitted law (c = alpha gamma^beta), one per bootstrap draw for the expected score over the draws. Every
S_i is concave and increasing, so the optimum is the KKT point: each language strictly between its floor
and cap has the same marginal gain lambda, a language at its cap has a gain of at least lambda, one at
its floor a gain of at most lambda. X_i(lambda) = clip(S_i'^-1(lambda), floor_i, cap_i) falls as lambda
grows, so a safeguarded Newton search on log(lambda) finds it, vectorised over languages; for one term
S_i'^-1 is closed-form, for several it is a Newton solve in log X (log S_i'(e^t) is convex in t).

Eq. 2 sends S to -inf as X -> 0 and describes only the sizes it was fitted on. The objective is the law's
own value everywhere (a language given nothing scores -inf, never 0), and the floors default to the
smallest size each law was fitted on, so the optimum stays where the law was observed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import minimize

from xllm_kedro.analysis.scaling import ScalingLaw


@dataclass
class Allocation:
    sizes: dict[str, float]
    marginal_gain: float  # lambda, the common dS/dX of the languages strictly between floor and cap
    at_cap: list[str]
    at_floor: list[str] = field(default_factory=list)
    objective: float = float("nan")  # the mean predicted score of ``sizes`` (the same function reports use)


def default_floors(laws: Mapping[str, ScalingLaw]) -> dict[str, float]:
    """The smallest size each law was fitted on (0 for a law without a recorded domain)."""
    return {k: float(law.domain[0]) if law.domain else 0.0 for k, law in laws.items()}


def _bounds(laws: Mapping[str, ScalingLaw], budget: float, caps: Mapping[str, float],
            floors: Mapping[str, float] | None) -> dict[str, float]:
    """Check the program is well posed and return every language's floor; errors name the language."""
    if not laws:
        raise ValueError("no scaling laws to allocate over")
    if set(laws) != set(caps):
        raise ValueError(f"laws and caps must name the same languages: laws {sorted(laws)}, caps {sorted(caps)}")
    for lang, law in laws.items():
        law.check(f"scaling law of {lang!r}")
    unknown = sorted(set(floors or {}) - set(laws))
    if unknown:
        raise ValueError(f"floors name language(s) {unknown} that have no scaling law")
    lower = {**default_floors(laws), **{k: float(v) for k, v in (floors or {}).items()}}
    for lang in laws:
        cap, floor = caps[lang], lower[lang]
        if not (cap >= 0 and math.isfinite(cap)):
            raise ValueError(f"cap of {lang!r} must be a non-negative number, got {cap}")
        if not (floor >= 0 and math.isfinite(floor)):
            raise ValueError(f"floor of {lang!r} must be a non-negative number, got {floor}")
        if floor > cap:
            raise ValueError(f"floor of {lang!r} ({floor:g}) exceeds its cap ({cap:g}): no feasible allocation")
    if not (budget >= 0 and math.isfinite(budget)):
        raise ValueError(f"budget must be a non-negative number, got {budget}")
    total = math.fsum(caps.values())
    if budget > total:
        raise ValueError(f"budget {budget} exceeds the data available (sum of caps {total}): "
                         + ", ".join(f"{k} {v:g}" for k, v in caps.items()))
    least = math.fsum(lower.values())
    if budget < least:
        raise ValueError(f"budget {budget} is below the sum of the floors {least:g} ("
                         + ", ".join(f"{k} {v:g}" for k, v in lower.items() if v > 0) + ")")
    return lower


def predicted_mean_score(laws: Mapping[str, ScalingLaw], sizes: Mapping[str, float]) -> float:
    """The objective: the mean of each law's score at its size (-inf for a language given nothing)."""
    params = np.array([(laws[k].alpha, laws[k].beta, laws[k].gamma) for k in sizes], dtype=float)
    x = np.array(list(sizes.values()), dtype=float)
    with np.errstate(divide="ignore"):
        return float(np.mean(100.0 - params[:, 0] * params[:, 2] ** params[:, 1] * np.power(x, params[:, 1])))


def draw_scores(laws: Mapping[str, ScalingLaw], sizes: Mapping[str, float]) -> np.ndarray:
    """Mean score of ``sizes`` under each joint bootstrap draw (draw d of every language's law; the laws
    were fitted independently, so pairing by index is a draw of them all). Shape: (draws,)."""
    count = min(len(laws[k].draws) for k in sizes)
    if count == 0:
        raise ValueError(f"laws without bootstrap draws: {sorted(k for k in sizes if not laws[k].draws)}")
    per_language = []
    for k, x in sizes.items():
        law = laws[k]
        draws = np.array(law.draws[:count])
        with np.errstate(divide="ignore"):
            per_language.append(100.0 - draws[:, 0] * np.power(law.gamma * float(x), draws[:, 1]))
    return np.mean(per_language, axis=0)


def expected_mean_score(laws: Mapping[str, ScalingLaw], sizes: Mapping[str, float]) -> float:
    """The expected objective over the bootstrap draws (each language over all its own draws)."""
    return float(np.mean([_terms_score(*_law_terms(laws[k], expected=True), float(v)) for k, v in sizes.items()]))


def beats_probability(laws: Mapping[str, ScalingLaw], sizes: Mapping[str, float],
                      other: Mapping[str, float]) -> float:
    """The share of joint bootstrap draws under which ``sizes`` has a higher mean score than ``other``."""
    return float(np.mean(draw_scores(laws, sizes) > draw_scores(laws, other)))


def _law_terms(law: ScalingLaw, expected: bool) -> tuple[np.ndarray, np.ndarray]:
    """(w c, b) of S(X) = 100 - sum w c X^b: the fitted law, or its bootstrap draws with equal weight."""
    if not expected:
        return np.array([law.alpha * law.gamma**law.beta]), np.array([law.beta])
    if not law.draws:
        raise ValueError("the expected-score allocation needs laws with bootstrap draws (scaling.fit.n_bootstrap > 0)")
    draws = np.array(law.draws, dtype=float)
    return draws[:, 0] * law.gamma ** draws[:, 1] / len(draws), draws[:, 1]


def _terms_score(coef: np.ndarray, power: np.ndarray, x: float) -> float:
    with np.errstate(divide="ignore"):
        return float(100.0 - np.sum(coef * np.power(x, power)))


class _Problem:
    """The program as arrays: per language, the terms of S(X) = 100 - sum_d coef_d X^power_d and of
    S'(X) = sum_d a_d X^(power_d - 1), a_d = -coef_d power_d; and its bounds."""

    def __init__(self, laws: Mapping[str, ScalingLaw], caps: Mapping[str, float], floors: Mapping[str, float],
                 expected: bool):
        self.names = list(laws)
        if expected:
            terms = [_law_terms(laws[n], True) for n in self.names]
            width = max(len(c) for c, _ in terms)
            # padding terms have coef = 0 and contribute nothing
            self.coef, self.power = np.zeros((len(terms), width)), np.full((len(terms), width), -0.5)
            for i, (coef, power) in enumerate(terms):
                self.coef[i, :len(coef)], self.power[i, :len(coef)] = coef, power
        else:
            params = np.array([(laws[n].alpha, laws[n].beta, laws[n].gamma) for n in self.names], dtype=float)
            self.power = params[:, 1:2]
            self.coef = params[:, 0:1] * params[:, 2:3] ** self.power
        self.single = self.coef.shape[1] == 1
        self.slope = self.power - 1.0
        self.cap = np.array([float(caps[n]) for n in self.names])
        self.floor = np.array([float(floors[n]) for n in self.names])
        with np.errstate(divide="ignore"):
            self.log_a = np.log(-self.coef * self.power)
            self.log_cap, self.log_floor = np.log(self.cap), np.log(self.floor)
        self.log_a0, self.slope0 = self.log_a[:, 0], self.slope[:, 0]  # the one-term case, sliced once
        self.t = np.zeros(len(self.names))  # warm start of the inner solve, log X

    def objective(self, x: np.ndarray) -> float:
        """The mean score at sizes ``x``: the same terms as predicted_mean_score / expected_mean_score."""
        with np.errstate(divide="ignore"):  # a sum over n, as np.mean takes it, without its overhead
            if self.single:
                return float((100.0 - self.coef[:, 0] * np.power(x, self.power[:, 0])).sum()) / len(x)
            return float((100.0 - np.sum(self.coef * np.power(x[:, None], self.power), axis=1)).sum()) / len(x)

    def unclipped(self, log_lam: float) -> tuple[np.ndarray, np.ndarray]:
        """log X where S'(X) = lambda for every language, and d log S'/d log X there."""
        if self.single:
            return (log_lam - self.log_a0) / self.slope0, self.slope0
        t = self.t
        for _ in range(200):
            e = self.log_a + self.slope * t[:, None]
            top = e.max(axis=1)
            w = np.exp(e - top[:, None])
            log_gain = top + np.log(w.sum(axis=1))
            d = (w * self.slope).sum(axis=1) / w.sum(axis=1)
            step = (log_gain - log_lam) / d
            t = t - step
            if np.max(np.abs(step)) <= 1e-13 * max(1.0, float(np.max(np.abs(t)))):
                break
        self.t = t
        e = self.log_a + self.slope * t[:, None]
        w = np.exp(e - e.max(axis=1)[:, None])
        return t, (w * self.slope).sum(axis=1) / w.sum(axis=1)

    def log_gain(self, log_x: np.ndarray) -> np.ndarray:
        """log S_i'(X_i) of every language at log sizes ``log_x``."""
        if self.single:
            return self.log_a0 + self.slope0 * log_x
        e = self.log_a + self.slope * log_x[:, None]
        top = e.max(axis=1)
        return top + np.log(np.exp(e - top[:, None]).sum(axis=1))

    def sizes(self, log_lam: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """X_i(lambda) as the search sees it (bounds through their logs), which languages are free, and
        d log S'/d log X there; ``exact`` gives the bounds themselves."""
        t, d = self.unclipped(log_lam)
        clipped = np.minimum(np.maximum(t, self.log_floor), self.log_cap)
        return np.exp(clipped), clipped == t, d, t

    def exact(self, t: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        capped, floored = t >= self.log_cap, t <= self.log_floor
        return np.where(capped, self.cap, np.where(floored, self.floor, np.exp(t))), capped, floored


def _solve(laws: Mapping[str, ScalingLaw], budget: float, caps: Mapping[str, float],
           floors: Mapping[str, float] | None, expected: bool) -> Allocation:
    lower = _bounds(laws, budget, caps, floors)
    problem = _Problem(laws, caps, lower, expected)

    def done(x, lam, capped, floored) -> Allocation:
        sizes = dict(zip(problem.names, x.tolist()))
        return Allocation(sizes, lam, sorted(n for n, c in zip(problem.names, capped) if c),
                          sorted(n for n, f in zip(problem.names, floored) if f), problem.objective(x))

    if budget >= math.fsum(problem.cap):
        return done(problem.cap, 0.0, np.ones(len(problem.names), dtype=bool), problem.cap == problem.floor)
    if budget <= math.fsum(problem.floor):
        return done(problem.floor, math.inf, problem.cap == problem.floor, np.ones(len(problem.names), dtype=bool))

    # The bracket: at lo every language's marginal gain at its cap is at least lambda (all capped, the sum
    # of caps >= budget); at hi every language's gain at max(floor, spare / n) is at most lambda (the sum
    # is at most budget).
    with np.errstate(divide="ignore"):
        lo = float(np.min(problem.log_gain(problem.log_cap)[problem.cap > 0]))
        spare = (budget - math.fsum(problem.floor)) / len(problem.names)
        hi = float(np.max(problem.log_gain(np.log(np.maximum(problem.floor, spare)))))
    # Safeguarded Newton on log(lambda): d X_i / d log(lambda) = X_i / (d log S_i' / d log X) between the
    # bounds. It falls back to bisection whenever a step leaves the bracket, and stops at float precision.
    t = 0.5 * (lo + hi)
    if problem.single and budget > 0:  # start where the budget is spent if all were free with the mean slope
        slope = float(problem.slope.mean())
        z = -problem.log_a0 / slope
        top = float(z.max())
        guess = slope * (math.log(budget) - top - math.log(float(np.exp(z - top).sum())))
        t = guess if lo < guess < hi else t
    tolerance = 4 * np.finfo(float).eps * budget
    for _ in range(2000):
        x, free, d, _ = problem.sizes(t)
        excess = float(x.sum()) - budget
        if excess > 0:
            lo = t
        else:
            hi = t
        if abs(excess) <= tolerance or np.nextafter(lo, hi) >= hi:
            break
        slope = float(np.dot(x / d, free))
        step = t - excess / slope if slope < 0 else 0.5 * (lo + hi)
        t = step if lo < step < hi else 0.5 * (lo + hi)
    x, capped, floored = problem.exact(problem.sizes(t)[3])
    free = ~(capped | floored)
    if free.any():  # the last ulp of lambda leaves a rounding residue: give it to the free languages
        x[free] += (budget - math.fsum(x)) / free.sum()
    return done(x, math.exp(t), capped, floored)


def solve_allocation(laws: Mapping[str, ScalingLaw], budget: float, caps: Mapping[str, float],
                     floors: Mapping[str, float] | None = None) -> Allocation:
    """The split maximising the mean predicted score, with its certificate (lambda, bounds that bind).

    ``floors`` (default: the smallest size each law was fitted on) bound every language from below;
    an infeasible floor or cap raises ValueError naming the language.
    """
    return _solve(laws, budget, caps, floors, expected=False)


def solve_expected_allocation(laws: Mapping[str, ScalingLaw], budget: float, caps: Mapping[str, float],
                              floors: Mapping[str, float] | None = None) -> Allocation:
    """The split maximising the expected mean score over each law's bootstrap draws (still concave:
    the mean of concave curves); ``objective`` is that expectation."""
    return _solve(laws, budget, caps, floors, expected=True)


def allocate(laws: Mapping[str, ScalingLaw], budget: float, caps: Mapping[str, float],
             floors: Mapping[str, float] | None = None) -> dict[str, float]:
    """The optimal real-valued allocation of ``budget`` (see solve_allocation for the certificate)."""
    return solve_allocation(laws, budget, caps, floors).sizes


def integer_allocation(laws: Mapping[str, ScalingLaw], budget: int, caps: Mapping[str, float],
                       floors: Mapping[str, float] | None = None, *, expected: bool = False) -> dict[str, int]:
    """Whole examples per language summing exactly to ``budget``: floor the optimum, then give the r
    remaining units, one each, to the r languages that gain most from one more example."""
    if int(budget) != budget:
        raise ValueError(f"integer allocation needs a whole budget, got {budget}")
    int_caps = {k: float(math.floor(v)) for k, v in caps.items()}
    int_floors = {k: float(math.ceil(v)) for k, v in {**default_floors(laws), **(floors or {})}.items()}
    real = _solve(laws, budget, int_caps, int_floors, expected).sizes
    names = list(real)
    whole = np.array([min(int_caps[k], math.floor(real[k] + 1e-9)) for k in names])
    remaining = int(budget) - int(whole.sum())
    if remaining:
        terms = [_law_terms(laws[k], expected) for k in names]
        gain = np.array([_terms_score(*c, f + 1) - _terms_score(*c, f) for c, f in zip(terms, whole)])
        gain[whole >= np.array([int_caps[k] for k in names])] = -np.inf
        whole[np.argsort(-gain, kind="stable")[:remaining]] += 1
    return {k: int(v) for k, v in zip(names, whole)}


def proportional_allocation(budget: float, weights: Mapping[str, float], caps: Mapping[str, float]) -> dict[str, float]:
    """``budget`` split in proportion to ``weights``; a language that reaches its cap gives the rest of
    its share to the others, in proportion again (water-filling)."""
    if budget > math.fsum(caps.values()):
        raise ValueError(f"budget {budget} exceeds the data available (sum of caps {math.fsum(caps.values())})")
    bad = sorted(k for k, w in weights.items() if not (w > 0 and math.isfinite(w)))
    if bad:
        raise ValueError(f"weights of {bad} must be positive numbers")
    sizes, left, open_ = {}, float(budget), set(caps)
    while open_:
        total = math.fsum(weights[k] for k in open_)
        full = {k for k in open_ if caps[k] <= left * weights[k] / total}
        if not full:
            sizes |= {k: left * weights[k] / total for k in open_}
            break
        for k in full:
            sizes[k] = float(caps[k])
            left -= caps[k]
        open_ -= full
    return {k: sizes[k] for k in caps}


def uniform_allocation(budget: float, caps: Mapping[str, float]) -> dict[str, float]:
    """The same amount for every language, except that a language with less data gives its share to the rest."""
    return proportional_allocation(budget, {k: 1.0 for k in caps}, caps)


def temperature_allocation(budget: float, caps: Mapping[str, float], temperature: float) -> dict[str, float]:
    """Temperature sampling (mT5, XLM-R): language i's share is proportional to n_i^(1/tau), n_i the data
    it has; tau = 1 is proportional, tau -> inf uniform (mT5 uses tau = 1/0.3)."""
    if not (temperature >= 1 and math.isfinite(temperature)):
        raise ValueError(f"temperature must be a number >= 1, got {temperature}")
    return proportional_allocation(budget, {k: float(v) ** (1.0 / temperature) for k, v in caps.items()}, caps)


def unimax_allocation(budget: float, caps: Mapping[str, float], max_epochs: float) -> dict[str, float]:
    """UniMax (Chung et al., 2023): uniform over languages, each capped at ``max_epochs`` passes over its
    data; what a capped language cannot take goes uniformly to the rest. With max_epochs = 1 and the
    data as caps it is the capped uniform split; above 1 a split may repeat a language's pairs."""
    if not (max_epochs > 0 and math.isfinite(max_epochs)):
        raise ValueError(f"max_epochs must be a positive number, got {max_epochs}")
    return uniform_allocation(budget, {k: float(v) * max_epochs for k, v in caps.items()})


def round_to_budget(sizes: Mapping[str, float], budget: int, caps: Mapping[str, float]) -> dict[str, int]:
    """Whole numbers summing to ``budget``: floor each, then one more to the largest fractional parts."""
    floor = {k: min(math.floor(v + 1e-9), math.floor(caps[k])) for k, v in sizes.items()}
    order = sorted(sizes, key=lambda k: (sizes[k] - floor[k]), reverse=True)
    for k in order[: int(budget) - sum(floor.values())]:
        floor[k] += 1
    return floor


def slsqp_allocation(laws: Mapping[str, ScalingLaw], budget: float, caps: Mapping[str, float],
                     floors: Mapping[str, float] | None = None) -> dict[str, float]:
    """A general-purpose solver's answer, kept only to cross-check the exact one in reports."""
    lower = _bounds(laws, budget, caps, floors)
    names = list(laws)
    low = [max(lower[k], 1e-9) for k in names]
    x0 = np.clip(np.full(len(names), budget / len(names)), low, [caps[k] for k in names])
    res = minimize(
        lambda x: -np.mean([laws[k].predict(v) for k, v in zip(names, x)]),
        x0,
        method="SLSQP",
        bounds=list(zip(low, (caps[k] for k in names))),
        constraints=[{"type": "eq", "fun": lambda x: np.sum(x) - budget}],
        options={"ftol": 1e-12, "maxiter": 500},
    )
    return {k: float(v) for k, v in zip(names, res.x)}
