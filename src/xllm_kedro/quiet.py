"""Quiet and private through the project's own code, whatever the shell sets: telemetry off, and the
warnings this project cannot act on filtered by exact message, so every other warning still shows; a
notice that each model's evaluation would repeat ("comet skipped: ...") is said once per run.

settings.py runs ``quiet()``. The ``kedro`` command imports it before any plugin's commands, so before
kedro-mlflow and MLflow, whose telemetry client starts at import; notebooks and ``KedroSession.create``
import it too. Like the library, this never imports Kedro.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import warnings

# kedro-telemetry reads its consent from .telemetry in the project root; these cover MLflow and the rest.
TELEMETRY_OFF = {"MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "1"}

# (message regex, category), each one a warning of a dependency that no project code can change:
IGNORED = (
    # Kedro 1.7's config loader calls OmegaConf's deprecated register_new_resolver itself.
    (r"register_new_resolver\(\) is deprecated", UserWarning),
    # Kedro 1.7 advises against a dotted dataset name that a node outside its namespace reads; ours are
    # `<namespace>.<content>` by design, read across stages (docs/architecture.md).
    (r"One or more dataset names contain '\.' characters", UserWarning),
    # kedro-viz 12.5 imports FastAPI's deprecated ORJSONResponse (`kedro viz run|build`).
    (r"ORJSONResponse is deprecated", UserWarning),
)


# Loggers of dependencies whose notices repeat for every model scored, said once per run: sacrebleu warns
# at every corpus score that text ending in " ." looks tokenized (the controlled world's text is).
ONCE_PER_RUN = ("sacrebleu",)


# MLflow asks for type hints on kedro-mlflow's model class as kedro-mlflow is imported, under a filter of
# its own ("once", inside catch_warnings) that no warnings filter outranks. Kedro's console handler turns
# warnings into records of the `py.warnings` logger, so it is dropped there.
LOGGED = (re.compile(r"mlflow/pyfunc/utils/data_validation\.py:\d+: UserWarning: \S*Add type hints to the `predict`"),)


class _KnownWarnings(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not any(p.search(record.getMessage().replace("\\", "/")) for p in LOGGED)


def quiet() -> None:
    """Telemetry off unless the environment says otherwise, and the known warnings filtered."""
    for key, value in TELEMETRY_OFF.items():
        os.environ.setdefault(key, value)
    for message, category in IGNORED:
        warnings.filterwarnings("ignore", message=message, category=category)
    shown = logging.getLogger("py.warnings")
    if not any(isinstance(f, _KnownWarnings) for f in shown.filters):
        shown.addFilter(_KnownWarnings())
    for name in ONCE_PER_RUN:
        logger = logging.getLogger(name)
        if not any(isinstance(f, _OncePerRun) for f in logger.filters):
            logger.addFilter(_OncePerRun())


_said: set[tuple[str, int, str]] = set()
_said_lock = threading.Lock()


def _first(key: tuple[str, int, str]) -> bool:
    """Whether ``key`` comes for the first time since ``forget_notices``; it is said from now on."""
    with _said_lock:
        first = key not in _said
        _said.add(key)
    return first


def once(logger: logging.Logger, level: int, message: str, *args) -> None:
    """Log ``message % args`` the first time it comes on ``logger`` at ``level`` since ``forget_notices``
    (each run starts with it, hooks.py); a repeat is logged at DEBUG only."""
    if _first((logger.name, level, message % args if args else message)):
        logger.log(level, message, *args, stacklevel=2)  # the caller's file and line
    else:
        logger.debug(message, *args, stacklevel=2)


class _OncePerRun(logging.Filter):
    """A dependency's notice that every scoring would repeat passes the first time in a run, as ``once``."""

    def filter(self, record: logging.LogRecord) -> bool:
        return _first((record.name, record.levelno, record.getMessage()))


def forget_notices() -> None:
    """Every notice may be said once more: a new run (or test) starts."""
    with _said_lock:
        _said.clear()
