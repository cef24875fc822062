"""Resumable training state: accelerate's save_state plus where in the data the run stood."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import asdict
from pathlib import Path

STATE_FILE = "trainer_state.json"


def fingerprint(cfg) -> str:
    """What must match for a checkpoint to be resumed: every setting but the paths, and the data itself."""
    settings = {k: v for k, v in asdict(cfg).items() if k not in {"output_dir", "checkpoint_dir", "log_every"}}
    digest = hashlib.sha256(json.dumps(settings, sort_keys=True).encode())
    with open(cfg.train_file, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def latest_checkpoint(directory: Path) -> Path | None:
    """The complete checkpoint with the highest step (incomplete ones never get a final name)."""
    if not directory.exists():
        return None
    done = [p for p in directory.glob("step_*") if (p / STATE_FILE).exists()]
    return max(done, key=lambda p: int(p.name.split("_")[1]), default=None)


def save_checkpoint(accelerator, directory: Path, step: int, position: dict, keep: int = 2) -> None:
    """Write the state to a temporary folder and rename it, so a kill mid-save leaves the last good one."""
    if accelerator.is_main_process:
        directory.mkdir(parents=True, exist_ok=True)
    tmp = directory / f".tmp_step_{step}"
    accelerator.wait_for_everyone()
    accelerator.save_state(str(tmp))
    if accelerator.is_main_process:
        (tmp / STATE_FILE).write_text(json.dumps({"step": step, **position}))
        final = directory / f"step_{step}"
        if final.exists():
            shutil.rmtree(final)
        os.replace(tmp, final)
        for old in sorted((p for p in directory.glob("step_*")), key=lambda p: int(p.name.split("_")[1]))[:-keep]:
            shutil.rmtree(old, ignore_errors=True)
    accelerator.wait_for_everyone()


def load_checkpoint(accelerator, path: Path) -> dict:
    accelerator.load_state(str(path))
    return json.loads((path / STATE_FILE).read_text())
