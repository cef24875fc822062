"""The data_preparation pipeline."""

from xllm_kedro.pipelines.data_preparation.pipeline import create_pipeline

__all__ = ["create_pipeline"]
