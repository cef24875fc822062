"""The allocation pipeline."""

from xllm_kedro.pipelines.allocation.pipeline import create_pipeline

__all__ = ["create_pipeline"]
