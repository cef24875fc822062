"""Every process a launched job starts, so that ending the job ends all of them.

The job runs in a process group of its own, but torchrun starts each worker in a session of its own:
killing the launcher's group misses the workers, and a worker whose launcher is gone is reparented and
lives on (a worker hung at exit was still there after its job had been failed). So the launcher's
descendants are remembered while the job runs, and the ones still alive are killed with its group.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time

import psutil


class JobProcesses:
    """The launcher ``proc`` (a process group leader) and the descendants seen while it ran."""

    def __init__(self, proc: subprocess.Popen):
        self.proc = proc
        self.seen: dict[int, psutil.Process] = {}

    def refresh(self) -> None:
        """Remember the launcher's current descendants; call it while the job runs."""
        try:
            children = psutil.Process(self.proc.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            return
        for child in children:
            self.seen.setdefault(child.pid, child)

    def end(self, grace_s: float = 10.0) -> None:
        """SIGTERM the group and every remembered descendant, then SIGKILL whatever is left after ``grace_s``."""
        self.refresh()
        self._signal(signal.SIGTERM)
        deadline = time.monotonic() + grace_s
        while self._anything_alive() and time.monotonic() < deadline:
            time.sleep(0.1)
        if self._anything_alive():
            self._signal(signal.SIGKILL)

    def _signal(self, sig: int) -> None:
        try:
            os.killpg(self.proc.pid, sig)
        except ProcessLookupError:
            pass
        for process in self.seen.values():
            try:
                process.send_signal(sig)  # psutil refuses a pid that now names another process
            except psutil.NoSuchProcess:
                continue

    def _anything_alive(self) -> bool:
        if self.proc.poll() is None:
            return True
        try:
            os.killpg(self.proc.pid, 0)
            return True
        except ProcessLookupError:
            pass
        return any(_running(process) for process in self.seen.values())


def _running(process: psutil.Process) -> bool:
    """Alive and not a zombie waiting to be reaped; False for a pid that now names another process."""
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
