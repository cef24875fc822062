"""Project pipelines: one folder each under src/xllm_kedro/pipelines/, all built from one study spec.

``budgeted`` closes the loop of Table 4: its mixes need the allocation pipeline's table, and the
comparison needs its scores, so it runs after ``allocation``. Every pipeline can then run alone, in
order, on a fresh project. ``__default__`` runs everything.

Each stage is a namespace of its nodes (not of its datasets, whose catalog names stay), so kedro-viz
opens on the stages as a few boxes by layer, and each language's and experiment's nodes collapse inside
their stage.
"""

from __future__ import annotations

from importlib import import_module

from kedro.pipeline import Pipeline

from xllm_kedro.pipelines._build import current_study

STAGES = ("data_preparation", "instruction_tuning", "evaluation", "mi_eval", "scaling_analysis", "allocation",
          "representation_analysis", "budgeted")


def register_pipelines() -> dict[str, Pipeline]:
    study = current_study()
    pipelines = {name: import_module(f"xllm_kedro.pipelines.{name}").create_pipeline(study=study) for name in STAGES}
    pipelines = {name: Pipeline(p, namespace=name, prefix_datasets_with_namespace=False)
                 for name, p in pipelines.items() if p.nodes}
    pipelines["__default__"] = sum(pipelines.values(), Pipeline([]))
    return pipelines
