"""Scaling-law fits: recovery, interval coverage, bounds, and bad points."""

import numpy as np
import pytest

from xllm_kedro.analysis.scaling import ScalingLaw, fit_scaling_law


def test_fit_recovers_the_parameters_of_noise_free_points():
    truth = ScalingLaw(alpha=60.0, beta=-0.3, gamma=0.5)
    sizes = np.array([1e3, 3e3, 1e4, 3e4, 1e5])
    law = fit_scaling_law(sizes, truth.predict(sizes), gamma=0.5, n_bootstrap=30)
    assert law.alpha == pytest.approx(60.0, rel=1e-3)
    assert law.beta == pytest.approx(-0.3, abs=1e-4)
    assert law.r2 == pytest.approx(1.0, abs=1e-6)
    assert law.extrapolation_error < 0.05


def test_ninety_percent_intervals_cover_the_truth_most_of_the_time():
    truth = ScalingLaw(alpha=50.0, beta=-0.25, gamma=0.8)
    sizes = np.repeat([500, 1000, 2000, 4000, 8000, 16000], 3).astype(float)
    covered = 0
    for seed in range(10):
        scores = truth.predict(sizes) + np.random.default_rng(seed).normal(0, 0.5, sizes.size)
        law = fit_scaling_law(sizes, scores, gamma=0.8, n_bootstrap=60, seed=seed)
        lo, hi = law.ci["beta"]
        assert lo <= law.beta <= hi and -1 < lo <= hi < 0
        covered += lo <= -0.25 <= hi
    assert covered >= 6


def test_fit_stays_in_bounds_when_the_data_disagree_with_the_law():
    law = fit_scaling_law([10, 20, 40], [30.0, 20.0, 10.0], gamma=0.5, n_bootstrap=10)  # falling scores
    assert -1 < law.beta < 0 and law.alpha > 0


@pytest.mark.parametrize("sizes,scores,match", [
    ([1, 2], [10, 20], "at least 3"),
    ([1, 2, 3], [10, 20, 100], r"in \[0, 100\)"),
    ([1, 2, 3], [-1, 20, 30], r"in \[0, 100\)"),
    ([0, 2, 3], [10, 20, 30], "positive"),
])
def test_bad_points_raise_with_the_reason(sizes, scores, match):
    with pytest.raises(ValueError, match=match):
        fit_scaling_law(sizes, scores, gamma=0.5)


def test_law_built_directly_predicts_the_formula():
    law = ScalingLaw(alpha=40.0, beta=-0.5, gamma=0.25)
    assert np.isnan(law.r2) and law.ci == {}
    # 100 - 40 * (0.25 * 400) ** -0.5 = 100 - 40 / 10
    assert law.predict(400) == pytest.approx(96.0)
    assert ScalingLaw.from_dict(law.to_dict()).predict(400) == pytest.approx(96.0)


def test_the_law_falls_back_from_comet_to_chrf_for_every_point_with_a_log_line(caplog):
    import logging

    from xllm_kedro.analysis.scaling_fits import sweep_points

    runs = {f"sweep_zh_{n}": ("zh", n) for n in (10, 20, 40)}
    metrics = {run: {"translation.en-zh.chrf": 10.0 + size, "translation.en-zh.comet": 50.0 + size}
               for run, (_, size) in runs.items()}
    assert sweep_points(runs, metrics, "comet")["score"].tolist() == [60.0, 70.0, 90.0]
    del metrics["sweep_zh_20"]["translation.en-zh.comet"]  # one run without COMET: no mixing of metrics
    with caplog.at_level(logging.WARNING):
        points = sweep_points(runs, metrics, "comet")
    assert points["score"].tolist() == [20.0, 30.0, 50.0]
    assert "scaling.metric 'comet' is missing from 1 run(s) (sweep_zh_20): the law uses chrf" in caplog.text
