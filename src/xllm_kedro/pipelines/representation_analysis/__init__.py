"""The representation_analysis pipeline."""

from xllm_kedro.pipelines.representation_analysis.pipeline import create_pipeline

__all__ = ["create_pipeline"]
