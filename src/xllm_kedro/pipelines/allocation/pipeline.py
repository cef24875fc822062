"""allocation: fitted scaling laws + available data + budget -> the optimal split of the budget."""

from __future__ import annotations

from kedro.pipeline import Pipeline

from xllm_kedro.pipelines._build import current_study, ns_node
from xllm_kedro.pipelines.allocation.nodes import allocate_budget_node, budget_sweep_node
from xllm_kedro.spec.study import Study


def create_pipeline(study: Study | None = None, **kwargs) -> Pipeline:
    study = study or current_study()
    if study.scaling is None:
        return Pipeline([])
    return Pipeline([
        ns_node(None, allocate_budget_node, ["scaling_laws", "data_statistics", "params:allocation"],
                ["allocation_table", "allocation_certificate", "allocation_metrics"], "allocate_budget_node"),
        ns_node(None, budget_sweep_node, ["scaling_laws", "data_statistics", "params:allocation"],
                "allocation_budget_sweep_plot",
                "budget_sweep_node"),
    ], tags="allocation")
