"""Small helpers shared by the pipeline folders."""

from __future__ import annotations

from functools import partial, update_wrapper

from kedro.pipeline import Node

from xllm_kedro.spec.experiments import load_experiments
from xllm_kedro.project_parameters import project_parameters


BUDGETED = "budgeted"  # the tag of nodes that close the loop through the allocation pipeline


def bound(func, **kwargs):
    """``func`` with keyword arguments fixed at build time (a language, an experiment), keeping its name."""
    return update_wrapper(partial(func, **kwargs), func)


def ns_node(namespace: str | None, func, inputs, outputs, name: str, tags=None) -> Node:
    """A node grouped under ``namespace`` in kedro-viz; dataset names are given in full by the caller."""
    return Node(func, inputs, outputs, name=name, namespace=namespace, tags=tags)


def experiments():
    return load_experiments(project_parameters())


def mlflow_metrics(values: dict[str, float], step: int = 0) -> dict[str, dict]:
    """The shape MlflowMetricsHistoryDataset logs: {key: {"value": v, "step": s}}."""
    return {k: {"value": float(v), "step": step} for k, v in values.items()}
