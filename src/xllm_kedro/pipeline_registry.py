"""Project pipelines, discovered from src/xllm_kedro/pipelines/.

The budgeted experiments close a loop: their mixes need the allocation pipeline's table, and the
allocation pipeline compares their scores with its predictions. Their nodes (in any stage) form a
pipeline of their own, ``budgeted``, run after ``allocation``; every stage pipeline can then run alone,
in order, on a fresh project. ``__default__`` runs everything.
"""

from __future__ import annotations

from kedro.framework.project import find_pipelines
from kedro.pipeline import Pipeline

from xllm_kedro.pipelines._build import BUDGETED, experiments


def register_pipelines() -> dict[str, Pipeline]:
    stages = find_pipelines(raise_errors=True)
    everything = sum(stages.values(), Pipeline([]))
    budgeted = {e.name for e in experiments() if e.strategy}
    loop = Pipeline([n for n in everything.nodes if n.namespace in budgeted or BUDGETED in n.tags])
    pipelines = {name: stage - loop for name, stage in stages.items()}
    if loop.nodes:
        pipelines[BUDGETED] = loop
    pipelines["__default__"] = everything
    return pipelines
