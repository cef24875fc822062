"""budgeted: each allocation strategy's split of one budget mixed, trained and scored, then set beside
the scaling laws' prediction (Table 4 measured)."""

import numpy as np
import pandas as pd
import pytest
from kedro.runner import SequentialRunner

from xllm_kedro.analysis.scaling import ScalingLaw
from xllm_kedro.pipelines.budgeted import create_pipeline
from xllm_kedro.pipelines.budgeted.nodes import compare_budgeted_node
from xllm_kedro.spec.study import load_study

from ...conftest import sample_parameters
from ..conftest import memory_catalog

LAWS = {"zh": ScalingLaw(60, -0.3, 0.4).to_dict(), "vi": ScalingLaw(30, -0.5, 0.8).to_dict()}
TABLE = pd.DataFrame([{"budget": 40, "strategy": "optimised_integer", "X_zh": 30, "X_vi": 10},
                      {"budget": 40, "strategy": "uniform_integer", "X_zh": 20, "X_vi": 20}])
METRICS = {"budget_optimised": {"translation.en-zh.chrf": 12.0, "translation.en-vi.chrf": 8.0},
           "budget_uniform": {"translation.en-zh.chrf": 10.0, "translation.en-vi.chrf": 9.0}}
REFERENCES = {"zh": [f"参考译文 第{i}句 内容" for i in range(30)], "vi": [f"câu dịch số {i} đây" for i in range(30)]}


def _records(correct: dict[str, int]) -> list[dict]:
    """Prediction records of a budgeted run that gets the first ``correct[lang]`` sentences right."""
    return [{"task": "translation", "lang": f"en-{lang}", "id": str(i), "source": "s",
             "prediction": ref if i < correct[lang] else "sai", "references": [ref]}
            for lang, refs in REFERENCES.items() for i, ref in enumerate(refs)]


PREDICTIONS = {"budget_optimised": _records({"zh": 30, "vi": 15}), "budget_uniform": _records({"zh": 5, "vi": 15})}
SIGNIFICANCE = {"level": 0.1, "n_resamples": 300, "seed": 0}


def test_nodes_are_the_mix_train_and_evaluation_of_each_budgeted_run_and_the_comparison(use_parameters):
    params = use_parameters(sample_parameters())
    runs = [e.name for e in load_study(params).budgeted]
    assert sorted(runs) == ["budget_optimised", "budget_uniform"]
    pipeline = create_pipeline()
    stages = ("build_mix_node", "train_model_node", "evaluate_model_node")
    assert sorted(n.name for n in pipeline.nodes) == sorted(
        [f"{run}.{stage}" for run in runs for stage in stages] + ["compare_budgeted_node"])
    assert "allocation_table" in pipeline.inputs() and "scaling_laws" in pipeline.inputs()
    for run in runs:
        [mix] = pipeline.only_nodes(f"{run}.build_mix_node").nodes
        assert "allocation_table" in mix.inputs and mix.outputs == [f"{run}.train_mix"]
        assert {"zh.translation_instructions", "vi.translation_instructions"} <= set(mix.inputs)
    [compare] = pipeline.only_nodes("compare_budgeted_node").nodes
    assert compare.inputs[:2] == ["allocation_table", "scaling_laws"]
    assert compare.inputs[4] == "params:significance"
    assert set(compare.inputs[5:]) == {f"{run}.{kind}" for run in runs for kind in ("metrics", "predictions")}
    assert pipeline.outputs() == {"budgeted_comparison", "budgeted_metrics"}


def test_no_budgeted_runs_make_an_empty_pipeline(use_parameters):
    params = sample_parameters()
    params["allocation"] = {k: v for k, v in params["allocation"].items() if k != "experiments"}
    use_parameters(params)
    assert not load_study(params).budgeted
    assert create_pipeline().nodes == []


def test_budgeted_runs_are_compared_with_their_prediction_and_with_uniform():
    comparison, mlflow = compare_budgeted_node(TABLE, LAWS, {"experiments": {"budget": 40}}, {"metric": "chrf"},
                                               SIGNIFICANCE, METRICS["budget_optimised"], METRICS["budget_uniform"],
                                               PREDICTIONS["budget_optimised"], PREDICTIONS["budget_uniform"],
                                               strategies=["optimised", "uniform"])
    table = comparison.set_index(["strategy", "language"])
    row = table.loc[("optimised", "zh")]
    assert row["size"] == 30 and row["measured"] == 12.0
    assert row["predicted"] == ScalingLaw(60, -0.3, 0.4).predict(30)
    assert mlflow["budgeted.uniform.mean_measured"]["value"] == 9.5
    # zh: right on 30 sentences against 5, significant; vi: the same sentences right, no evidence either way
    assert row["p_vs_uniform"] < 0.01 and row["significant"] == "*" and row["p_metric"] == "chrf"
    assert table.loc[("optimised", "vi"), "p_vs_uniform"] == pytest.approx(0.5, abs=0.01)
    assert table.loc[("optimised", "mean"), "p_vs_uniform"] < 0.1
    assert np.isnan(table.loc[("uniform", "zh"), "p_vs_uniform"])


def test_the_comparison_node_runs_in_the_pipeline_on_the_runs_scores(use_parameters):
    params = use_parameters(sample_parameters())
    pipeline = create_pipeline().only_nodes("compare_budgeted_node")
    catalog = memory_catalog({**params, "significance": SIGNIFICANCE}, keep=("budgeted_comparison",),
                             allocation_table=TABLE, scaling_laws=LAWS,
                             **{f"{run}.metrics": metrics for run, metrics in METRICS.items()},
                             **{f"{run}.predictions": records for run, records in PREDICTIONS.items()})
    SequentialRunner().run(pipeline, catalog)
    table = catalog["budgeted_comparison"].load().set_index(["strategy", "language"])
    # each strategy's scores reach its own rows, whatever order the runs are declared in
    assert table.loc[("optimised", "zh"), "measured"] == 12.0 and table.loc[("uniform", "vi"), "measured"] == 9.0
    assert table.loc[("uniform", "zh"), "size"] == 20
