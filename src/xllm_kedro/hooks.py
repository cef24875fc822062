"""Hooks: only what no catalog dataset can do."""

from __future__ import annotations

from kedro.framework.hooks import hook_impl


class ProjectParametersHook:
    """Builds the pipelines from the parameters of the environment actually run (``--env``)."""

    @hook_impl
    def after_context_created(self, context) -> None:
        from kedro.framework.project import pipelines

        from .project_parameters import set_active_config_loader

        if set_active_config_loader(context.config_loader, context.env):
            pipelines.configure("xllm_kedro.pipeline_registry")
