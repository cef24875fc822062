"""budgeted: Table 4 measured (the allocation's splits trained, scored and compared with the laws)."""

from xllm_kedro.pipelines.budgeted.pipeline import create_pipeline

__all__ = ["create_pipeline"]
