"""Compile a C kernel into a per-machine cache on first use, and load it with ctypes.

The library is built with ``-march=native``, so its cache key holds the CPU's model and flags as well
as the source, the compiler and the flags: a home directory shared by a cluster's nodes keeps one
build per kind of node. No ``-ffast-math``: it would let the compiler reassociate what the kernels
compute in a set order, and its link step would switch the whole process to flush denormals. A
concurrent first use by several processes is safe: each builds under its own name and the rename is
atomic. Where no compiler is found or the build fails, ``load`` says why and the caller falls back.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import platform
import shutil
import subprocess
import tempfile
from pathlib import Path

FLAGS = ("-O3", "-march=native", "-fno-math-errno", "-fPIC", "-std=gnu11")


class KernelUnavailable(RuntimeError):
    """The kernel cannot be built or loaded here; the message says why."""


def cache_dir() -> Path:
    """``$XLLM_KERNEL_CACHE``, else ``$XDG_CACHE_HOME/xllm_kedro/kernels`` (``~/.cache`` by default)."""
    if os.environ.get("XLLM_KERNEL_CACHE"):
        return Path(os.environ["XLLM_KERNEL_CACHE"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "xllm_kedro" / "kernels"


def _machine() -> str:
    """The CPU as ``-march=native`` sees it: model name and feature flags where Linux lists them."""
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        return f"{platform.machine()} {platform.processor()}"
    wanted = ("model name", "flags", "Features", "CPU part")
    return "\n".join(dict.fromkeys(line for line in lines if line.split(":")[0].strip() in wanted))


def load(source: Path) -> ctypes.CDLL:
    """The compiled ``source``, built into ``cache_dir()`` if this machine has no build of it yet."""
    compiler = shutil.which(os.environ.get("CC") or "cc") or shutil.which("gcc")
    if compiler is None:
        raise KernelUnavailable(f"no C compiler ({os.environ.get('CC') or 'cc'} or gcc) on PATH to build {source.name}")
    name = source.stem
    key = hashlib.sha256("\0".join([source.read_text(), compiler, *FLAGS, _machine()]).encode()).hexdigest()[:16]
    library = cache_dir() / f"{name}-{key}.so"
    if not library.exists():
        library.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=library.parent) as tmp:
            obj, built = Path(tmp) / f"{name}.o", Path(tmp) / f"{name}.so"
            for command in ([compiler, *FLAGS, "-c", str(source), "-o", str(obj)],
                            [compiler, "-shared", str(obj), "-o", str(built), "-lm"]):
                done = subprocess.run(command, capture_output=True, text=True)
                if done.returncode:
                    raise KernelUnavailable(f"{' '.join(command)} failed:\n{done.stderr.strip()}")
            os.replace(built, library)
    try:
        return ctypes.CDLL(str(library))
    except OSError as error:
        raise KernelUnavailable(f"{library}: {error}") from error
