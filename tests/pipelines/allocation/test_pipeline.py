"""allocation: scaling laws and the data available -> the uniform and optimised splits of each budget."""

import pandas as pd
from kedro.runner import SequentialRunner

from xllm_kedro.analysis.scaling import ScalingLaw
from xllm_kedro.pipelines.allocation import create_pipeline

from ...conftest import sample_parameters
from ..conftest import memory_catalog


def test_allocation_table_compares_uniform_and_optimised(use_parameters):
    use_parameters({**sample_parameters(), "allocation": {"budgets": [600], "budget_fractions": []}})
    laws = {"zh": ScalingLaw(60, -0.3, 0.4).to_dict(), "vi": ScalingLaw(30, -0.5, 0.8).to_dict()}
    stats = pd.DataFrame({"language": ["zh", "vi"], "parallel_kept": [1000, 300]})
    params = {"allocation": {"budgets": [600], "budget_fractions": []}}
    catalog = memory_catalog(params, scaling_laws=laws, data_statistics=stats)
    SequentialRunner().run(create_pipeline(), catalog)
    table = catalog["allocation_table"].load().set_index("strategy")
    assert set(table.index) == {"uniform", "uniform_integer", "optimised", "optimised_integer", "slsqp"}
    assert table.loc["optimised", "X_zh"] + table.loc["optimised", "X_vi"] == 600
    assert table.loc["optimised", "predicted_mean_score"] > table.loc["uniform", "predicted_mean_score"]
    cert = catalog["allocation_certificate"].load()["600"]
    assert cert["marginal_gain"] > 0 and cert["at_cap"] == []

