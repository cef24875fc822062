"""The pooled law: one (alpha, beta) across languages, each curve set by its gamma, and the
leave-one-language-out prediction of an unseen language's curve."""

import numpy as np
import pandas as pd
import pytest

from xllm_kedro.analysis.scaling import ScalingLaw, fit_pooled_laws
from xllm_kedro.analysis.scaling_fits import fit_laws, law_comparison

GAMMAS = {"near": 0.8, "mid": 0.3, "far": 0.05}
SIZES = np.array([125.0, 250.0, 500.0, 1000.0, 2000.0])


def _points(alpha, beta, noise=0.0, seed=0):
    rng = np.random.default_rng(seed)
    return {lang: (SIZES, ScalingLaw(alpha, beta, g).predict(SIZES) + rng.normal(0, noise, SIZES.size))
            for lang, g in GAMMAS.items()}


def test_the_pooled_fit_recovers_shared_alpha_beta_and_the_gamma_scaled_curves():
    laws = fit_pooled_laws(_points(70.0, -0.35), GAMMAS, n_bootstrap=20)
    for lang, law in laws.items():
        assert law.alpha == pytest.approx(70.0, rel=0.01) and law.beta == pytest.approx(-0.35, rel=0.01)
        assert law.gamma == GAMMAS[lang] and law.domain == (125.0, 2000.0)
        truth = ScalingLaw(70.0, -0.35, GAMMAS[lang]).predict(SIZES)
        assert np.allclose(law.predict(SIZES), truth, rtol=0.01)
    # less similar languages score lower at every size: gamma now shapes the curve
    assert np.all(laws["far"].predict(SIZES) < laws["mid"].predict(SIZES))
    # every law carries the same joint draws
    assert laws["near"].draws == laws["far"].draws and len(laws["near"].draws) == 20


def test_a_left_out_language_is_predicted_from_its_gamma_alone():
    exact = fit_pooled_laws(_points(70.0, -0.35), GAMMAS, n_bootstrap=0)
    assert all(law.held_out_rmse < 0.05 for law in exact.values())
    # a language whose curve does not follow the shared law is predicted badly when left out
    points = _points(70.0, -0.35)
    points["far"] = (SIZES, ScalingLaw(40.0, -0.2, GAMMAS["far"]).predict(SIZES))
    off = fit_pooled_laws(points, GAMMAS, n_bootstrap=0)
    assert off["far"].held_out_rmse > 10 * exact["far"].held_out_rmse and off["far"].held_out_rmse > 1.0


def test_fit_laws_chooses_the_law_and_the_comparison_reports_both_errors():
    rows = [{"language": lang, "size": x, "score": s} for lang, (xs, ss) in _points(70.0, -0.35, 0.3).items()
            for x, s in zip(xs, ss)]
    points = pd.DataFrame(rows)
    fit = {"n_bootstrap": 10}
    pooled = fit_laws(points, GAMMAS, fit, law="pooled")
    per_language = fit_laws(points, GAMMAS, fit, law="per_language")
    assert len({(law.alpha, law.beta) for law in pooled.values()}) == 1
    assert len({(law.alpha, law.beta) for law in per_language.values()}) == 3
    table = law_comparison(points, GAMMAS, fit).set_index("language")
    assert list(table.columns) == ["gamma", "per_language_rmse", "pooled_rmse", "pooled_held_out_rmse"]
    assert (table["pooled_held_out_rmse"] >= 0).all() and (table["per_language_rmse"] >= 0).all()
    with pytest.raises(ValueError, match="scaling.law"):
        fit_laws(points, GAMMAS, fit, law="shared")
