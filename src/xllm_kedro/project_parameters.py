"""Parameters at pipeline-build time.

Experiments are declared in parameters, and the pipelines are generated from them, so the registry
needs the parameters of the environment being run. A hook records the run's config loader; outside a
session (e.g. ``kedro registry list``) the loader is built from ``conf/`` and ``$KEDRO_ENV``.
"""

from __future__ import annotations

import os
from pathlib import Path

from kedro.config import OmegaConfigLoader

_active: dict = {}
PROJECT_ROOT = Path(__file__).resolve().parents[2]


def set_active_config_loader(loader, env: str | None) -> bool:
    """Record the run's loader; return True if it differs from the one pipelines were built with."""
    changed = _active.get("env", object()) != env
    _active.update(loader=loader, env=env)
    return changed


def project_parameters() -> dict:
    loader = _active.get("loader")
    if loader is None:
        loader = OmegaConfigLoader(
            conf_source=str(PROJECT_ROOT / "conf"), base_env="base", default_run_env="local",
            env=os.environ.get("KEDRO_ENV"),
        )
    return loader["parameters"]
