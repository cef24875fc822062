"""allocation: scaling laws and the data available -> the uniform and optimised splits of each budget."""

import numpy as np
import pandas as pd
import pytest
from kedro.runner import SequentialRunner

from xllm_kedro.analysis.scaling import ScalingLaw
from xllm_kedro.pipelines.allocation import create_pipeline

from ...conftest import sample_parameters
from ..conftest import memory_catalog


def _law(alpha, beta, gamma, rng):
    draws = [(alpha * float(rng.lognormal(0, 0.1)), beta + float(rng.normal(0, 0.03))) for _ in range(40)]
    return ScalingLaw(alpha, beta, gamma, draws=draws, domain=(50.0, 800.0)).to_dict()


def test_allocation_table_compares_the_law_optimal_split_with_three_baselines(use_parameters):
    allocation = {"budgets": [600], "budget_fractions": [], "temperature": 2.0, "unimax_max_epochs": 1}
    use_parameters({**sample_parameters(), "allocation": allocation})
    rng = np.random.default_rng(0)
    laws = {"zh": _law(60, -0.3, 0.4, rng), "vi": _law(30, -0.5, 0.8, rng)}
    stats = pd.DataFrame({"language": ["zh", "vi"], "parallel_kept": [1000, 300]})
    catalog = memory_catalog({"allocation": allocation}, scaling_laws=laws, data_statistics=stats)
    SequentialRunner().run(create_pipeline(), catalog)
    table = catalog["allocation_table"].load().set_index("strategy")
    strategies = {"uniform", "temperature", "unimax", "optimised", "expected"}
    assert set(table.index) == strategies | {f"{s}_integer" for s in strategies} | {"slsqp"}
    assert table.loc["optimised", "X_zh"] + table.loc["optimised", "X_vi"] == pytest.approx(600)
    # temperature 2 over 1000 and 300 pairs: shares in proportion to sqrt(1000) : sqrt(300)
    assert table.loc["temperature", "X_zh"] / table.loc["temperature", "X_vi"] == pytest.approx((1000 / 300) ** 0.5)
    best = table.loc["optimised", "predicted_mean_score"]
    assert all(best >= table.loc[s, "predicted_mean_score"] for s in ("uniform", "temperature", "unimax"))
    assert table.loc["expected", "expected_mean_score"] >= table.loc["optimised", "expected_mean_score"] - 1e-9
    assert 0 <= table.loc["optimised", "p_beats_uniform"] <= 1 and np.isnan(table.loc["uniform", "p_beats_uniform"])
    cert = catalog["allocation_certificate"].load()["600"]
    assert cert["optimised"]["marginal_gain"] > 0 and cert["floors"] == {"zh": 50.0, "vi": 50.0}
    assert cert["optimised"]["objective"] == pytest.approx(best)



def test_a_language_without_pairs_is_left_out_with_a_log_line(use_parameters, caplog):
    use_parameters({**sample_parameters(), "allocation": {"budgets": [600], "budget_fractions": []}})
    laws = {"zh": ScalingLaw(60, -0.3, 0.4).to_dict(), "vi": ScalingLaw(30, -0.5, 0.8).to_dict()}
    stats = pd.DataFrame({"language": ["zh", "vi"], "parallel_kept": [1000, 0]})
    catalog = memory_catalog({"allocation": {"budgets": [600], "budget_fractions": []}}, scaling_laws=laws,
                             data_statistics=stats)
    SequentialRunner().run(create_pipeline(), catalog)
    table = catalog["allocation_table"].load().set_index("strategy")
    assert table.loc["optimised_integer", "X_zh"] == 600 and table.loc["optimised_integer", "X_vi"] == 0
    assert "'vi' has no clean translation pairs" in caplog.text


def test_a_budget_above_the_pairs_names_its_key(use_parameters):
    import pytest

    params = {"allocation": {"budgets": [600, 5000], "budget_fractions": []}}
    use_parameters({**sample_parameters(), **params})
    laws = {"zh": ScalingLaw(60, -0.3, 0.4).to_dict(), "vi": ScalingLaw(30, -0.5, 0.8).to_dict()}
    stats = pd.DataFrame({"language": ["zh", "vi"], "parallel_kept": [1000, 300]})
    catalog = memory_catalog(params, scaling_laws=laws, data_statistics=stats)
    with pytest.raises(Exception, match=r"parameters allocation.budgets\[1\] = 5000 exceeds the 1300 clean"):
        SequentialRunner().run(create_pipeline(), catalog)
    assert "allocation_table" not in catalog or not catalog.exists("allocation_table")
