"""COMET from a local checkpoint, run in its own Python environment (unbabel-comet pins transformers<5,
which this project's environment cannot hold): a subprocess runs ``comet_worker.py`` there."""

from __future__ import annotations

import json
import logging
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from xllm_kedro.files import write_jsonl
from xllm_kedro.progress import on_terminal
from xllm_kedro.quiet import once

log = logging.getLogger(__name__)
WORKER = Path(__file__).with_name("comet_worker.py")


def comet_command(python: str, checkpoint: str, input_path: Path, output_path: Path, *, batch_size: int = 16,
                  gpus: int = 0, progress: bool = False) -> list[str]:
    return [str(python), str(WORKER), "--checkpoint", str(checkpoint), "--input", str(input_path),
            "--output", str(output_path), "--batch-size", str(batch_size), "--gpus", str(gpus),
            *(["--progress"] if progress else [])]


def comet_settings(settings: Mapping) -> Mapping | None:
    """``settings`` when COMET can run, else None with a log line saying why it is skipped."""
    where = "parameters evaluation.scorers.comet"
    if not settings.get("enabled"):
        once(log, logging.INFO, "comet skipped: %s.enabled is false", where)
        return None
    for key in ("python", "checkpoint"):
        if not settings.get(key) or not Path(settings[key]).exists():
            once(log, logging.WARNING, "comet skipped: %s.%s = %r does not exist", where, key, settings.get(key))
            return None
    return settings


def comet_scores(settings: Mapping, sources: Sequence[str], hypotheses: Sequence[str],
                 references: Sequence[str]) -> dict:
    """Corpus COMET (mean of segment scores) on a 0-100 scale and the checkpoint it came from."""
    with tempfile.TemporaryDirectory(prefix="comet-") as tmp:
        inp, out = Path(tmp) / "input.jsonl", Path(tmp) / "scores.json"
        write_jsonl(inp, ({"src": s, "mt": h, "ref": r} for s, h, r in zip(sources, hypotheses, references)))
        # On a terminal the worker draws COMET's bar there (its stderr passes through), as every long loop
        # does (progress.py); piped into a log it stays quiet and its stderr is kept for the error.
        shown = on_terminal()
        cmd = comet_command(settings["python"], settings["checkpoint"], inp, out,
                            batch_size=int(settings.get("batch_size", 16)), gpus=int(settings.get("gpus", 0)),
                            progress=shown)
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=None if shown else subprocess.PIPE, text=True,
                              check=False)
        if proc.returncode != 0:
            why = "its output is above" if shown else proc.stderr[-2000:]
            raise RuntimeError(f"COMET worker failed ({proc.returncode}): {' '.join(cmd)}\n{why}")
        result = json.loads(out.read_text(encoding="utf-8"))
    return {"comet": 100 * float(result["system_score"]), "comet_signature": f"comet:{settings['checkpoint']}"}
