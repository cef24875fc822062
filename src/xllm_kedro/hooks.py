"""Hooks: only what no catalog dataset can do."""

from __future__ import annotations

from kedro.framework.hooks import hook_impl
from kedro.io import AbstractDataset


class StudyHook:
    """Builds the pipelines from the parameters of the run (``--env``, ``--params``): see pipelines/_build.py."""

    @hook_impl
    def after_context_created(self, context) -> None:
        from kedro.framework.project import pipelines

        from xllm_kedro.pipelines._build import use_parameters

        if use_parameters(context.params, key=repr((context.env, sorted(context.params.items(), key=str)))):
            pipelines.configure("xllm_kedro.pipeline_registry")


class InputsExistHook:
    """Fails a run before its first node if any input it needs is missing, naming dataset and path.

    Without it, a missing file of a late stage would surface only after hours of training.
    """

    @hook_impl
    def before_pipeline_run(self, run_params, pipeline, catalog) -> None:
        missing = []
        for name in sorted(pipeline.inputs()):
            if name.startswith("params:") or name == "parameters":
                continue
            dataset = catalog.get(name)
            if type(dataset)._exists is AbstractDataset._exists:
                continue  # it cannot tell (a hub dataset, say): its own load will say what is wrong
            if not catalog.exists(name):
                missing.append(f"  {name}: {dataset}")
        if missing:
            hint = ("\nThe controlled world is generated: run `make world` (it reads conf/base/parameters_world.yml)."
                    if any("01_raw/world" in line for line in missing) else "")
            raise FileNotFoundError("input(s) of this run do not exist:\n" + "\n".join(missing) + hint)


class JudgeCredentialsHook:
    """Puts ``llm_judge`` and ``llm_generator`` (MI-Eval's self-instruct endpoint) of
    conf/local/credentials.yml (or ``{}``) in the catalog as ``<key>_credentials``: a catalog entry naming
    credentials fails every run when they are absent, while these endpoints are optional and their users
    skip themselves, with a log line, without them."""

    @hook_impl
    def after_catalog_created(self, catalog, conf_creds) -> None:
        from kedro.io import MemoryDataset

        for key in ("llm_judge", "llm_generator"):
            catalog[f"{key}_credentials"] = MemoryDataset(dict((conf_creds or {}).get(key) or {}))
