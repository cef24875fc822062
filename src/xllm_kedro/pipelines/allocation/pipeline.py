"""allocation: fitted scaling laws + available data + budget -> the optimal split of the budget, and,
when budgeted experiments are declared, their measured scores against the predicted ones."""

from __future__ import annotations

from kedro.pipeline import Pipeline

from xllm_kedro.pipelines._build import BUDGETED, experiments, ns_node
from xllm_kedro.pipelines.allocation.nodes import allocate_budget_node, budget_sweep_node, compare_budgeted_node


def create_pipeline(**kwargs) -> Pipeline:
    nodes = [
        ns_node("allocation", allocate_budget_node, ["scaling_laws", "data_statistics", "params:allocation"],
                ["allocation_table", "allocation_certificate", "allocation_metrics"], "allocate_budget_node"),
        ns_node("allocation", budget_sweep_node, ["scaling_laws", "data_statistics"], "allocation_budget_sweep_plot",
                "budget_sweep_node"),
    ]
    budgeted = [e for e in experiments() if e.strategy]
    if budgeted:
        inputs = {"allocation_table": "allocation_table", "laws": "scaling_laws", "allocation": "params:allocation",
                  "scaling": "params:scaling", **{e.name: f"{e.name}.metrics" for e in budgeted}}
        nodes.append(ns_node("allocation", compare_budgeted_node, inputs,
                             ["budgeted_comparison", "budgeted_metrics"], "compare_budgeted_node", tags=BUDGETED))
    return Pipeline(nodes, tags="allocation")
