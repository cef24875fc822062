"""The mi_eval pipeline."""

from xllm_kedro.pipelines.mi_eval.pipeline import create_pipeline

__all__ = ["create_pipeline"]
