"""Project settings (see https://docs.kedro.org/en/stable/kedro_project_setup/settings.html)."""

from pathlib import Path

from kedro.config import OmegaConfigLoader
from kedro.utils import find_kedro_project

from xllm_kedro.hooks import (ExperimentProgressHook, LocalFilesHook, FingerprintHook, InputsExistHook,
                              JudgeCredentialsHook, KilledRunsHook, NodeProgressHook, RunLockHook, StudyHook,
                              TrackingTagsHook)
from xllm_kedro.console import widen_piped_console
from xllm_kedro.quiet import quiet

quiet()  # telemetry off and the known warnings filtered, before the CLI imports kedro-mlflow (quiet.py)
widen_piped_console()  # a line per node stays one line in a piped log (console.py)

HOOKS = (StudyHook(), RunLockHook(), InputsExistHook(), LocalFilesHook(), FingerprintHook(), KilledRunsHook(),
         JudgeCredentialsHook(), TrackingTagsHook(), ExperimentProgressHook(), NodeProgressHook())
CONFIG_LOADER_CLASS = OmegaConfigLoader
CONFIG_LOADER_ARGS = {
    "base_env": "base",
    "default_run_env": "local",
    "config_patterns": {"mlflow": ["mlflow*", "mlflow*/**"]},
    # `${project_root:}`: the project folder, wherever Kedro starts (a notebook runs in notebooks/), so
    # that mlflow.yml's `sqlite:///` store is the project's own and not one beside the current directory.
    "custom_resolvers": {"project_root": lambda: (find_kedro_project(Path.cwd()) or Path.cwd()).as_posix()},
}
