"""The scaling_analysis pipeline."""

from xllm_kedro.pipelines.scaling_analysis.pipeline import create_pipeline

__all__ = ["create_pipeline"]
