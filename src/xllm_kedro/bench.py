"""Benchmarks: ``python -m xllm_kedro.bench`` (``make bench``) -> data/08_reporting/benchmarks.json.

Each entry has a value and a unit; where something is compared with a baseline, both run here, side
by side, and the entry carries their ratio (wall-clock figures on a shared machine are noisy; ratios
less so).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .io import write_json
from .training.examples import length_grouped_batches

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "data" / "08_reporting" / "benchmarks.json"


def default_run_seconds() -> dict:
    """Wall time of ``kedro run`` on the embedded default, in a scratch copy of the project."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "project"
        shutil.copytree(ROOT / "conf", root / "conf", ignore=shutil.ignore_patterns("local"))
        (root / "conf" / "local").mkdir()
        shutil.copytree(ROOT / "data" / "01_raw", root / "data" / "01_raw")
        shutil.copy(ROOT / "pyproject.toml", root)
        (root / "src").mkdir()
        start = time.perf_counter()
        subprocess.run([str(Path(sys.executable).with_name("kedro")), "run"], cwd=root, check=True,
                       env={**os.environ, "PYTHONWARNINGS": "ignore"}, capture_output=True)
        seconds = time.perf_counter() - start
    return {"value": round(seconds, 1), "unit": "s", "note": "kedro run, conf/base, all five pipelines"}


def padding_length_grouped_vs_random(batch_size: int = 8, n: int = 4096, seed: int = 0) -> dict:
    """Padded positions per batch: length-grouped batching against random batches (lower is better)."""
    rng = random.Random(seed)
    examples = [{"input_ids": [0] * int(rng.lognormvariate(5.0, 0.6))} for _ in range(n)]

    def padded(batches):
        return sum(max(len(examples[i]["input_ids"]) for i in b) * len(b) - sum(len(examples[i]["input_ids"]) for i in b)
                   for b in batches)

    order = list(range(n))
    rng.shuffle(order)
    random_batches = [order[i:i + batch_size] for i in range(0, n, batch_size)]
    grouped = padded(length_grouped_batches(examples, batch_size, seed=seed, epoch=0))
    baseline = padded(random_batches)
    return {"value": grouped, "baseline": baseline, "ratio": round(grouped / baseline, 4), "unit": "padded tokens",
            "note": f"{n} lognormal-length examples, batch {batch_size}"}


BENCHMARKS = {"default_run_seconds": default_run_seconds, "padding_length_grouped_vs_random": padding_length_grouped_vs_random}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="run the project's benchmarks")
    parser.add_argument("names", nargs="*", help=f"subset of {sorted(BENCHMARKS)}")
    args = parser.parse_args(argv)
    results = json.loads(OUT.read_text()) if OUT.exists() else {}
    for name in args.names or BENCHMARKS:
        if name not in BENCHMARKS:
            raise SystemExit(f"unknown benchmark {name!r}; known: {sorted(BENCHMARKS)}")
        print(f"running {name} ...", flush=True)
        results[name] = BENCHMARKS[name]()
        print(f"  {name}: {results[name]}", flush=True)
    write_json(OUT, results)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
