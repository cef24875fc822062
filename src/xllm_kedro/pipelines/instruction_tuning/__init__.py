"""The instruction_tuning pipeline."""

from xllm_kedro.pipelines.instruction_tuning.pipeline import create_pipeline

__all__ = ["create_pipeline"]
