"""Project settings (see https://docs.kedro.org/en/stable/kedro_project_setup/settings.html)."""

from kedro.config import OmegaConfigLoader

from xllm_kedro.hooks import (LocalFilesHook, FingerprintHook, InputsExistHook, JudgeCredentialsHook, KilledRunsHook,
                              RunLockHook, StudyHook)

HOOKS = (StudyHook(), RunLockHook(), InputsExistHook(), LocalFilesHook(), FingerprintHook(), KilledRunsHook(),
         JudgeCredentialsHook())
CONFIG_LOADER_CLASS = OmegaConfigLoader
CONFIG_LOADER_ARGS = {
    "base_env": "base",
    "default_run_env": "local",
    "config_patterns": {"mlflow": ["mlflow*", "mlflow*/**"]},
}
