"""Locks that stop two runs from producing the same outputs at once.

One lock file per output group (an experiment's or a language's namespace, or a top-level dataset)
under the project's ``data/.locks``; ``flock`` is released by the kernel when its holder dies, so a
killed run never leaves a stale lock. The file names its holder (PID, start time, host, command) for
the message the next run shows.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import socket
import sys
import time
from pathlib import Path

log = logging.getLogger(__name__)


class RunCollision(RuntimeError):
    """Another live run holds one of the locks this run needs."""


def output_groups(names) -> list[str]:
    """``x_zh.model`` and ``x_zh.train_mix`` share the group ``x_zh``; ``data_statistics`` is its own."""
    return sorted({name.split(".", 1)[0] for name in names})


class RunLocks:
    """Holds the locks of one run; ``acquire`` takes them all or none."""

    def __init__(self, directory: str | Path):
        self.directory = Path(directory)
        self.held: list[int] = []
        self.started = time.strftime("%Y-%m-%d %H:%M:%S %Z")

    def acquire(self, groups: list[str]) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        holder = json.dumps({"pid": os.getpid(), "started": self.started, "host": socket.gethostname(),
                             "command": " ".join(sys.argv)})
        try:
            for group in groups:
                path = self.directory / f"{group}.lock"
                fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    other = _holder(fd)
                    os.close(fd)
                    raise RunCollision(
                        f"another run is producing {group!r}: PID {other.get('pid', '?')} on "
                        f"{other.get('host', '?')}, started {other.get('started', '?')} "
                        f"({other.get('command', '?')}); lock {path}. Wait for it to end, or stop it.") from None
                os.ftruncate(fd, 0)
                os.pwrite(fd, holder.encode(), 0)
                self.held.append(fd)
        except BaseException:
            self.release()
            raise

    def release(self) -> None:
        while self.held:
            fd = self.held.pop()
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)


def startup_lock(directory: str | Path, wait_s: float = 60.0):
    """Wait for the project's start-up lock and hold it; closing the returned file releases it.

    A session that never reaches its catalog (``kedro mlflow ui``, say) would hold it for good, so the
    wait is bounded: after ``wait_s`` this session starts anyway (None) and says so.
    """
    Path(directory).mkdir(parents=True, exist_ok=True)
    handle = open(Path(directory) / "startup.lock", "a")
    deadline = time.monotonic() + wait_s
    while True:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            return handle
        except BlockingIOError:
            if time.monotonic() > deadline:
                handle.close()
                log.warning("another session has held %s for %.0f s; starting without it", handle.name, wait_s)
                return None
            time.sleep(0.2)


def _holder(fd: int) -> dict:
    try:
        return json.loads(os.pread(fd, 4096, 0).decode() or "{}")
    except (ValueError, UnicodeDecodeError):
        return {}
