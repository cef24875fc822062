"""What every pipeline folder builds with: the run's study spec and a few node helpers.

Kedro calls ``register_pipelines()`` without arguments, so the parameters of the environment being run
(``--env``, ``--params``) cannot be passed to it. ``StudyHook`` therefore records the run's parameters
here once per session, the registry turns them into one ``Study`` and hands it to every
``create_pipeline``. Outside a session (``kedro registry list``, kedro-viz), the parameters are read from
``conf/`` and ``$KEDRO_ENV``.
"""

from __future__ import annotations

import os
from functools import partial, update_wrapper
from pathlib import Path

from kedro.config import OmegaConfigLoader
from kedro.pipeline import Node

from xllm_kedro.spec.study import Study, load_study

PROJECT_ROOT = Path(__file__).resolve().parents[3]
_run: dict = {}  # {"key": identity of the parameters, "study": Study}


def use_parameters(params: dict, key=None) -> bool:
    """Make ``params`` the run's; return True if they differ from those the pipelines were built with."""
    key = key if key is not None else id(params)
    if _run.get("key") == key and "study" in _run:
        return False
    _run.clear()
    _run.update(key=key, params=params)
    return True


def current_study() -> Study:
    """The study of the run's parameters, parsed once."""
    if "study" not in _run:
        params = _run.get("params")
        if params is None:
            loader = OmegaConfigLoader(conf_source=str(PROJECT_ROOT / "conf"), base_env="base",
                                       default_run_env="local", env=os.environ.get("KEDRO_ENV"))
            params = loader["parameters"]
        _run["study"] = load_study(params)
    return _run["study"]


def bound(func, **kwargs):
    """``func`` with keyword arguments fixed at build time (a language, an experiment), keeping its name."""
    return update_wrapper(partial(func, **kwargs), func)


def ns_node(namespace: str | None, func, inputs, outputs, name: str, tags=None) -> Node:
    """A node grouped under ``namespace`` in kedro-viz; dataset names are given in full by the caller."""
    return Node(func, inputs, outputs, name=name, namespace=namespace, tags=tags)


def mlflow_metrics(values: dict[str, float], step: int = 0) -> dict[str, dict]:
    """The shape MlflowMetricsHistoryDataset logs: {key: {"value": v, "step": s}}."""
    return {k: {"value": float(v), "step": step} for k, v in values.items()}
