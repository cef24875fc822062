"""Project settings (see https://docs.kedro.org/en/stable/kedro_project_setup/settings.html)."""

import os
import warnings
from pathlib import Path

from kedro.config import OmegaConfigLoader
from kedro.utils import find_kedro_project

from xllm_kedro.hooks import (ExperimentProgressHook, LocalFilesHook, FingerprintHook, InputsExistHook,
                              JudgeCredentialsHook, KilledRunsHook, QuietCatalogHook, RunLockHook, StudyHook,
                              TrackingTagsHook)

# Nothing leaves the machine, whatever the shell sets: MLflow's usage telemetry off for every run of the
# project (kedro-telemetry reads its consent from .telemetry in the project root).
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("DO_NOT_TRACK", "1")

HOOKS = (StudyHook(), RunLockHook(), InputsExistHook(), LocalFilesHook(), FingerprintHook(), KilledRunsHook(),
         JudgeCredentialsHook(), TrackingTagsHook(), QuietCatalogHook(), ExperimentProgressHook())
CONFIG_LOADER_CLASS = OmegaConfigLoader
CONFIG_LOADER_ARGS = {
    "base_env": "base",
    "default_run_env": "local",
    "config_patterns": {"mlflow": ["mlflow*", "mlflow*/**"]},
    # `${project_root:}`: the project folder, wherever Kedro starts (a notebook runs in notebooks/), so
    # that mlflow.yml's `sqlite:///` store is the project's own and not one beside the current directory.
    "custom_resolvers": {"project_root": lambda: (find_kedro_project(Path.cwd()) or Path.cwd()).as_posix()},
}

# Warnings this project cannot act on, filtered here (the first project code Kedro imports) by exact
# message, so that `kedro run` is quiet without PYTHONWARNINGS=ignore and every other warning shows:
# - Kedro 1.7's config loader calls OmegaConf's deprecated register_new_resolver itself;
# - dataset names are `<namespace>.<content>` by design (docs/architecture.md), read across namespaces;
# - MLflow asks for type hints on kedro-mlflow's model class (in sessions and notebooks; the `kedro` CLI
#   imports kedro-mlflow before the project, so there it is printed once, before this file runs).
warnings.filterwarnings("ignore", message=r"register_new_resolver\(\) is deprecated", category=UserWarning)
warnings.filterwarnings("ignore", message="One or more dataset names contain '.' characters", category=UserWarning)
warnings.filterwarnings("ignore", message=r".*Add type hints to the `predict` method", category=UserWarning)
