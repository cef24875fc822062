"""The budget allocation: spent exactly, caps held, one marginal gain, no better feasible point."""

import numpy as np
import pytest

from xllm_kedro.analysis.allocation import (allocate, integer_allocation, predicted_mean_score, slsqp_allocation,
                                            solve_allocation, uniform_allocation)
from xllm_kedro.analysis.scaling import ScalingLaw

LAWS = {
    "ar": ScalingLaw(alpha=70.0, beta=-0.2, gamma=0.3),
    "vi": ScalingLaw(alpha=40.0, beta=-0.35, gamma=0.7),
    "zh": ScalingLaw(alpha=55.0, beta=-0.25, gamma=0.5),
}
CAPS = {"ar": 5000.0, "vi": 3000.0, "zh": 4000.0}


def test_budget_is_spent_exactly_and_caps_hold():
    sizes = allocate(LAWS, 6000, CAPS)
    assert sum(sizes.values()) == pytest.approx(6000, rel=1e-12)
    assert all(0 <= sizes[k] <= CAPS[k] for k in sizes)


def test_uncapped_languages_share_one_marginal_gain():
    solution = solve_allocation(LAWS, 6000, CAPS)
    gains = [float(LAWS[k].marginal_gain(v)) for k, v in solution.sizes.items() if k not in solution.at_cap]
    assert np.allclose(gains, solution.marginal_gain, rtol=1e-9)


def test_binding_cap_is_reported_and_its_gain_is_at_least_lambda():
    caps = {"ar": 5000.0, "vi": 100.0, "zh": 4000.0}
    solution = solve_allocation(LAWS, 6000, caps)
    assert solution.at_cap == ["vi"] and solution.sizes["vi"] == 100.0
    assert float(LAWS["vi"].marginal_gain(100.0)) >= solution.marginal_gain


def test_optimum_beats_uniform_and_matches_slsqp():
    best = predicted_mean_score(LAWS, allocate(LAWS, 6000, CAPS))
    assert best >= predicted_mean_score(LAWS, uniform_allocation(6000, CAPS))
    assert best >= predicted_mean_score(LAWS, slsqp_allocation(LAWS, 6000, CAPS)) - 1e-9


def test_no_random_feasible_point_does_better():
    rng = np.random.default_rng(0)
    best = predicted_mean_score(LAWS, allocate(LAWS, 6000, CAPS))
    for _ in range(500):
        w = rng.dirichlet(np.ones(3)) * 6000
        if all(w[i] <= CAPS[k] for i, k in enumerate(LAWS)):
            assert predicted_mean_score(LAWS, dict(zip(LAWS, w))) <= best + 1e-9


def test_integer_allocation_sums_to_the_budget():
    sizes = integer_allocation(LAWS, 6001, CAPS)
    assert sum(sizes.values()) == 6001 and all(isinstance(v, int) for v in sizes.values())


def test_uniform_gives_a_small_language_its_cap_and_the_rest_to_others():
    assert uniform_allocation(900, {"a": 100, "b": 1000, "c": 1000}) == {"a": 100, "b": 400, "c": 400}


@pytest.mark.parametrize("budget,caps,match", [
    (20000, CAPS, "exceeds"),
    (-1, CAPS, "non-negative"),
    (100, {"ar": 1.0, "vi": 1.0}, "same languages"),
    (100, {**CAPS, "ar": -5.0}, "cap of 'ar'"),
])
def test_invalid_input_raises_with_the_reason(budget, caps, match):
    with pytest.raises(ValueError, match=match):
        allocate(LAWS, budget, caps)


def test_law_out_of_range_is_rejected():
    with pytest.raises(ValueError, match="beta must lie in"):
        allocate({"zh": ScalingLaw(alpha=1.0, beta=0.5, gamma=0.5)}, 10, {"zh": 100})


def test_no_transfer_between_two_languages_improves_the_objective():
    rng = np.random.default_rng(1)
    for _ in range(20):
        laws = {f"l{i}": ScalingLaw(rng.uniform(10, 90), rng.uniform(-0.9, -0.05), rng.uniform(0.05, 1)) for i in range(5)}
        caps = {k: float(rng.uniform(50, 500)) for k in laws}
        budget = 0.6 * sum(caps.values())
        sizes = allocate(laws, budget, caps)
        best = predicted_mean_score(laws, sizes)
        for a in laws:
            for b in laws:
                for delta in (1e-3, 1.0, 10.0):
                    if a == b or sizes[a] - delta < 0 or sizes[b] + delta > caps[b]:
                        continue
                    moved = {**sizes, a: sizes[a] - delta, b: sizes[b] + delta}
                    assert predicted_mean_score(laws, moved) <= best + 1e-12


def test_ten_thousand_languages_are_solved_exactly():
    rng = np.random.default_rng(2)
    laws = {f"l{i}": ScalingLaw(rng.uniform(10, 90), rng.uniform(-0.9, -0.05), rng.uniform(0.05, 1)) for i in range(10_000)}
    caps = {k: float(rng.uniform(10, 1000)) for k in laws}
    budget = 0.3 * sum(caps.values())
    solution = solve_allocation(laws, budget, caps)
    assert sum(solution.sizes.values()) == pytest.approx(budget, rel=1e-12)
    free = [k for k in laws if k not in solution.at_cap]
    gains = np.array([float(laws[k].marginal_gain(solution.sizes[k])) for k in free])
    assert np.allclose(gains, solution.marginal_gain, rtol=1e-9)
    whole = integer_allocation(laws, int(budget), caps)
    assert sum(whole.values()) == int(budget)
