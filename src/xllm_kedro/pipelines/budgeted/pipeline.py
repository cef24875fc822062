"""budgeted: each allocation strategy's split of one budget, trained, scored and set beside the laws'
prediction (Table 4 measured). Its datasets have layers of their own (see conf/base/catalog.yml), so the
loop through the allocation adds no cycle to the layer view."""

from __future__ import annotations

from kedro.pipeline import Pipeline

from xllm_kedro.pipelines._build import bound, current_study, ns_node
from xllm_kedro.pipelines.budgeted.nodes import compare_budgeted_node
from xllm_kedro.pipelines.data_preparation.pipeline import mix_node
from xllm_kedro.pipelines.evaluation.pipeline import evaluate_node
from xllm_kedro.pipelines.instruction_tuning.pipeline import train_nodes
from xllm_kedro.spec.study import Study

def create_pipeline(study: Study | None = None, **kwargs) -> Pipeline:
    study = study or current_study()
    runs = study.budgeted
    if not runs:
        return Pipeline([])
    nodes = [node for exp in runs for node in (mix_node(exp), *train_nodes(exp), evaluate_node(study, exp))]
    nodes.append(ns_node(None, bound(compare_budgeted_node, strategies=[e.split.strategy for e in runs]),
                         ["allocation_table", "scaling_laws", "params:allocation", "params:scaling",
                          "params:significance", *(f"{e.name}.metrics" for e in runs),
                          *(f"{e.name}.predictions" for e in runs)],
                         ["budgeted_comparison", "budgeted_metrics"], "compare_budgeted_node"))
    return Pipeline(nodes, tags="budgeted")
