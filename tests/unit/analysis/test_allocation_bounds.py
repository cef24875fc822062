"""The allocation under floors and caps, its objective at the edges, the expected-score optimum over
bootstrap draws and the baselines it is compared with."""

import itertools

import numpy as np
import pytest
from scipy.optimize import minimize

from xllm_kedro.analysis.allocation import (allocate, beats_probability, default_floors, expected_mean_score,
                                            integer_allocation, predicted_mean_score, proportional_allocation,
                                            solve_allocation, solve_expected_allocation, temperature_allocation,
                                            uniform_allocation, unimax_allocation)
from xllm_kedro.analysis.scaling import ScalingLaw

# The counter-example: with a language given nothing scored as 0, a corner split "beat" the KKT split.
ZH_VI = {"zh": ScalingLaw(60, -0.3, 0.4), "vi": ScalingLaw(30, -0.5, 0.8)}


def _random_laws(rng, n):
    laws = {}
    for i in range(n):
        low = float(rng.uniform(5, 50))
        laws[f"l{i}"] = ScalingLaw(rng.uniform(10, 90), rng.uniform(-0.9, -0.05), rng.uniform(0.05, 1),
                                   domain=(low, low * 20))
    return laws


def _check_kkt(laws, solution, caps, floors, rtol=1e-8):
    """Free languages share lambda; a capped one gains at least lambda; a floored one at most."""
    lam = solution.marginal_gain
    for k, x in solution.sizes.items():
        gain = float(laws[k].marginal_gain(x))
        assert floors[k] - 1e-9 <= x <= caps[k] + 1e-9
        if k in solution.at_cap:
            assert x == caps[k] and gain >= lam * (1 - rtol)
        elif k in solution.at_floor:
            assert x == floors[k] and gain <= lam * (1 + rtol)
        else:
            assert gain == pytest.approx(lam, rel=rtol)


def test_a_language_given_nothing_scores_minus_infinity_so_no_corner_beats_the_optimum():
    caps = {"zh": 100.0, "vi": 100.0}
    best = solve_allocation(ZH_VI, 20, caps, floors={"zh": 0, "vi": 0})
    assert predicted_mean_score(ZH_VI, {"zh": 0.0, "vi": 20.0}) == -np.inf
    assert predicted_mean_score(ZH_VI, {"zh": 20.0, "vi": 0.0}) == -np.inf
    assert best.objective == predicted_mean_score(ZH_VI, best.sizes) > -np.inf


def test_floors_default_to_the_smallest_fitted_size():
    laws = {"a": ScalingLaw(60, -0.3, 0.4, domain=(125, 2000)), "b": ScalingLaw(30, -0.5, 0.9, domain=(125, 2000))}
    assert default_floors(laws) == {"a": 125.0, "b": 125.0}
    # without a floor the far language would get less than it was ever observed at
    free = allocate(laws, 400, {"a": 2000.0, "b": 2000.0}, floors={"a": 0, "b": 0})
    assert min(free.values()) < 125
    solution = solve_allocation(laws, 400, {"a": 2000.0, "b": 2000.0})
    assert min(solution.sizes.values()) == 125.0 and solution.at_floor
    assert sum(solution.sizes.values()) == pytest.approx(400, rel=1e-12)


def test_kkt_conditions_hold_with_floors_and_caps_both_binding():
    rng = np.random.default_rng(3)
    seen_cap = seen_floor = 0
    for _ in range(60):
        laws = _random_laws(rng, 6)
        floors = {k: law.domain[0] for k, law in laws.items()}
        caps = {k: float(rng.uniform(floors[k] * 1.5, 600)) for k in laws}
        budget = float(rng.uniform(sum(floors.values()), sum(caps.values())))
        solution = solve_allocation(laws, budget, caps)
        assert sum(solution.sizes.values()) == pytest.approx(budget, rel=1e-12)
        _check_kkt(laws, solution, caps, floors)
        seen_cap += bool(solution.at_cap)
        seen_floor += bool(solution.at_floor)
        both = seen_cap and seen_floor
    assert both, "the random problems never bound a floor and a cap"


def test_no_transfer_and_no_corner_improves_the_optimum_under_floors():
    rng = np.random.default_rng(4)
    for _ in range(15):
        laws = _random_laws(rng, 4)
        floors = default_floors(laws)
        caps = {k: float(rng.uniform(floors[k] * 2, 500)) for k in laws}
        budget = 0.5 * (sum(floors.values()) + sum(caps.values()))
        solution = solve_allocation(laws, budget, caps)
        best = predicted_mean_score(laws, solution.sizes)
        assert best == solution.objective
        sizes = solution.sizes
        for a, b in itertools.permutations(laws, 2):
            for delta in (1e-3, 1.0, 10.0):
                if sizes[a] - delta >= floors[a] and sizes[b] + delta <= caps[b]:
                    moved = {**sizes, a: sizes[a] - delta, b: sizes[b] + delta}
                    assert predicted_mean_score(laws, moved) <= best + 1e-12
        # corners of the feasible box: every language at a bound, one taking what is left
        for order in itertools.permutations(laws):
            corner, left = dict(floors), budget - sum(floors.values())
            for k in order:
                corner[k] += min(left, caps[k] - floors[k])
                left -= corner[k] - floors[k]
            assert predicted_mean_score(laws, corner) <= best + 1e-12


@pytest.mark.parametrize("budget,caps,floors,match", [
    (400, {"a": 100.0, "b": 1000.0}, {"a": 150, "b": 0}, r"floor of 'a' \(150\) exceeds its cap \(100\)"),
    (100, {"a": 1000.0, "b": 1000.0}, {"a": 80, "b": 40}, r"below the sum of the floors 120 \(a 80, b 40\)"),
    (3000, {"a": 1000.0, "b": 1000.0}, None, r"exceeds the data available .*a 1000, b 1000"),
    (100, {"a": 1000.0, "b": 1000.0}, {"c": 1}, r"floors name language\(s\) \['c'\]"),
    (100, {"a": 1000.0, "b": 1000.0}, {"b": -1}, "floor of 'b' must be a non-negative"),
])
def test_an_infeasible_floor_or_cap_names_the_language(budget, caps, floors, match):
    laws = {"a": ScalingLaw(60, -0.3, 0.4), "b": ScalingLaw(30, -0.5, 0.8)}
    with pytest.raises(ValueError, match=match):
        solve_allocation(laws, budget, caps, floors)


def test_integer_allocation_respects_floors_and_sums_to_the_budget():
    laws = {"a": ScalingLaw(60, -0.3, 0.4, domain=(125.5, 2000)), "b": ScalingLaw(30, -0.9, 0.9, domain=(125, 2000))}
    sizes = integer_allocation(laws, 600, {"a": 2000.0, "b": 2000.0})
    assert sum(sizes.values()) == 600 and sizes["a"] >= 126 and sizes["b"] >= 125


def _with_draws(rng, law, n):
    """A law with n bootstrap draws scattered around its own (alpha, beta)."""
    law.draws = [(law.alpha * float(rng.lognormal(0, 0.2)), float(np.clip(law.beta + rng.normal(0, 0.08), -0.95, -0.02)))
                 for _ in range(n)]
    return law


def test_the_expected_optimum_maximises_the_mean_over_draws():
    rng = np.random.default_rng(5)
    laws = {k: _with_draws(rng, law, 50) for k, law in _random_laws(rng, 4).items()}
    floors = default_floors(laws)
    caps = {k: 400.0 for k in laws}
    budget = 700.0
    solution = solve_expected_allocation(laws, budget, caps)
    assert sum(solution.sizes.values()) == pytest.approx(budget, rel=1e-10)
    assert solution.objective == pytest.approx(expected_mean_score(laws, solution.sizes))
    # the same objective written out over the draws, solved by a general solver, is no better
    names = list(laws)

    def negative(x):
        return -np.mean([np.mean([100 - a * (laws[k].gamma * v) ** b for a, b in laws[k].draws]) for k, v in zip(names, x)])

    start = [budget / len(names)] * len(names)
    res = minimize(negative, start, method="SLSQP", bounds=[(floors[k], caps[k]) for k in names],
                   constraints=[{"type": "eq", "fun": lambda x: np.sum(x) - budget}], options={"ftol": 1e-12})
    assert solution.objective >= -res.fun - 1e-9
    assert np.allclose([solution.sizes[k] for k in names], res.x, rtol=1e-3)
    # one draw per law is the point estimate: the expected solver then agrees with the exact one
    single = {k: ScalingLaw(law.alpha, law.beta, law.gamma, draws=[(law.alpha, law.beta)], domain=law.domain)
              for k, law in laws.items()}
    point = solve_allocation(single, budget, caps)
    assert solve_expected_allocation(single, budget, caps).sizes == pytest.approx(point.sizes, rel=1e-9)


def test_the_probability_of_beating_uniform_counts_the_draws():
    # moving 100 pairs from near to far costs near 50 (90^-0.3 - 180^-0.3) = 2.43 points; far gains
    # 200 (20^-0.6 - 30^-0.6) = 7.2 under its three steep draws, 50 (20^-0.05 - 30^-0.05) = 0.87 under the flat one
    near = ScalingLaw(50, -0.3, 0.9, draws=[(50, -0.3)] * 4)
    far = ScalingLaw(50, -0.3, 0.1, draws=[(200, -0.6), (200, -0.6), (200, -0.6), (50, -0.05)])
    laws = {"near": near, "far": far}
    more_far = {"near": 100.0, "far": 300.0}
    uniform = {"near": 200.0, "far": 200.0}
    assert beats_probability(laws, more_far, uniform) == 0.75
    assert beats_probability(laws, uniform, uniform) == 0.0


def test_proportional_water_filling_and_the_baselines():
    caps = {"a": 100.0, "b": 1000.0, "c": 4000.0}
    assert uniform_allocation(900, caps) == {"a": 100.0, "b": 400.0, "c": 400.0}
    assert proportional_allocation(1000, {"a": 1, "b": 1, "c": 2}, caps) == {"a": 100.0, "b": 300.0, "c": 600.0}
    # tau = 1 samples in proportion to the data; a large tau tends to uniform
    assert temperature_allocation(510, caps, 1.0) == pytest.approx({"a": 10.0, "b": 100.0, "c": 400.0})
    mt5 = temperature_allocation(510, caps, 1 / 0.3)
    weights = {k: v**0.3 for k, v in caps.items()}
    assert mt5 == pytest.approx({k: 510 * w / sum(weights.values()) for k, w in weights.items()})
    assert mt5["a"] > 10.0 and mt5["c"] < 400.0
    # UniMax: uniform, but no language beyond max_epochs passes over its data
    assert unimax_allocation(900, caps, 1.0) == uniform_allocation(900, caps)
    assert unimax_allocation(900, caps, 2.0) == {"a": 200.0, "b": 350.0, "c": 350.0}
    with pytest.raises(ValueError, match="temperature"):
        temperature_allocation(10, caps, 0.5)
