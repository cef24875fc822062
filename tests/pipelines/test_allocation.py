import pandas as pd
from kedro.runner import SequentialRunner

from xllm_kedro.pipelines.allocation import create_pipeline
from xllm_kedro.analysis.scaling import ScalingLaw

from xllm_kedro.pipelines.budgeted.nodes import compare_budgeted_node

from .conftest import base_parameters, memory_catalog


def test_allocation_table_compares_uniform_and_optimised(use_parameters):
    use_parameters({**base_parameters(), "allocation": {"budgets": [600], "budget_fractions": []}})
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


def test_budgeted_runs_are_compared_with_their_prediction():
    laws = {"zh": ScalingLaw(60, -0.3, 0.4).to_dict(), "vi": ScalingLaw(30, -0.5, 0.8).to_dict()}
    table = pd.DataFrame([{"budget": 40, "strategy": "optimised_integer", "X_zh": 30, "X_vi": 10},
                          {"budget": 40, "strategy": "uniform_integer", "X_zh": 20, "X_vi": 20}])
    metrics = {"budget_optimised": {"translation.en-zh.chrf": 12.0, "translation.en-vi.chrf": 8.0},
               "budget_uniform": {"translation.en-zh.chrf": 10.0, "translation.en-vi.chrf": 9.0}}
    comparison, mlflow = compare_budgeted_node(table, laws, {"experiments": {"budget": 40}}, {"metric": "chrf"},
                                               metrics["budget_optimised"], metrics["budget_uniform"],
                                               strategies=["optimised", "uniform"])
    row = comparison.set_index(["strategy", "language"]).loc[("optimised", "zh")]
    assert row["size"] == 30 and row["measured"] == 12.0
    assert row["predicted"] == ScalingLaw(60, -0.3, 0.4).predict(30)
    assert mlflow["budgeted.uniform.mean_measured"]["value"] == 9.5
