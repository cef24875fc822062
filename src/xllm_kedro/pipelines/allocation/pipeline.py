"""allocation: fitted scaling laws + available data + budget -> the optimal split of the budget."""

from __future__ import annotations

from kedro.pipeline import Pipeline

from .._nodes import ns_node
from .nodes import allocate_budget_node


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [ns_node("allocation", allocate_budget_node, ["scaling_laws", "data_statistics", "params:allocation"],
                 ["allocation_table", "allocation_certificate", "allocation_metrics"], "allocate_budget_node")],
        tags="allocation",
    )
