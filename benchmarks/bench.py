"""Benchmarks: ``python -m benchmarks.bench`` (``make bench``) -> data/08_reporting/benchmarks.json.

Each entry has a value and a unit; where something is compared with a baseline, both run here in
interleaved rounds (benchmarks/rounds.py) and the entry carries the median of the rounds' ratios, their
spread, the load average at the start, and, against a goal, whether the spread crosses it (wall-clock
figures on a shared machine are noisy; paired rounds less so).
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

import torch

from xllm_kedro.analysis.allocation import (predicted_mean_score, slsqp_allocation, solve_allocation,
                                            solve_expected_allocation)
from benchmarks.data_prep import data_prep_pairs_per_s, data_prep_peak_rss_mb_2m_pairs, data_prep_peak_rss_mb_10m_lines
from benchmarks.evaluation_job import evaluation_job_vs_in_process
from benchmarks.generation import generation_vs_batch8_unsorted
from benchmarks.packing import packing_1_5m_examples_seconds
from benchmarks.rounds import cpu, interleaved
from benchmarks.sft import sft_mfu, sft_tokens_per_s_vs_alpaca_baseline
from benchmarks.slurm import slurm_sweep_concurrency
from benchmarks.tokenizer import tokenizer_long_line_linearity
from xllm_kedro.files import write_json
from xllm_kedro.analysis.scaling import ScalingLaw
from xllm_kedro.training.examples import length_grouped_batches

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "data" / "08_reporting" / "benchmarks.json"
SKIP = {".git", ".venv", "local", "mlflow.db", "mlruns", "build", "src", "tests", "notebooks", "benchmarks", "world"}


def default_run_seconds(goal: float = 900.0, stretch: float = 600.0) -> dict:
    """Wall time of the default run as `make run` does it (the world written, then ``kedro run``, the
    English base's pre-training included), in a scratch copy of the project."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "project"  # the config and the raw data; the package runs from its install
        shutil.copytree(ROOT, root, ignore=lambda d, names: [n for n in names if n in SKIP or n.startswith("0") and n[1] in "2345678"])
        for empty in ("conf/local", "src"):
            (root / empty).mkdir(exist_ok=True)
        env = {**os.environ, "PYTHONWARNINGS": "ignore"}
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "xllm_kedro.world", "--params", "conf/base/parameters_world.yml",
                        "--out", "data/01_raw/world"], cwd=root, check=True, env=env, capture_output=True)
        run = subprocess.run([str(Path(sys.executable).with_name("kedro")), "run"], cwd=root, check=True, env=env,
                             capture_output=True, text=True)
        seconds = time.perf_counter() - start
    return {"value": round(seconds, 1), "unit": "s", "goal": goal, "stretch": stretch, "met": seconds < goal,
            "load_average": os.getloadavg()[0],
            "console_lines": len(run.stdout.splitlines()) + len(run.stderr.splitlines()),  # piped, as a log
            "note": "make world + kedro run on conf/base: every pipeline, the base's pre-training included"}


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


def _random_problem(rng, n: int):
    """Random laws fitted from sizes 50-2000 (their floors), caps of 100-10,000 pairs, a feasible budget
    from just above the floors to near all the data (so floors bind in some problems, caps in others)."""
    import numpy as np

    laws = {f"l{i}": ScalingLaw(rng.uniform(10, 90), rng.uniform(-0.9, -0.05), rng.uniform(0.05, 1),
                                domain=(float(rng.uniform(50, 90)), 2000.0)) for i in range(n)}
    caps = {k: float(np.exp(rng.uniform(np.log(100), np.log(10_000)))) for k in laws}
    least = sum(law.domain[0] for law in laws.values())
    return laws, float(least + 10 ** rng.uniform(-3, -0.05) * (sum(caps.values()) - least)), caps


def allocation_vs_slsqp_speed(cases: int = 50, n: int = 6, rounds: int = 5) -> dict:
    """The exact KKT solver against scipy SLSQP on the same random problems (floors and caps binding in
    some): per round, every problem solved by each in turn; the median of the rounds' time ratios."""
    import numpy as np

    rng = np.random.default_rng(0)
    problems = [_random_problem(rng, n) for _ in range(cases)]
    fields, outputs = interleaved({
        "ours": cpu(lambda: [solve_allocation(*p) for p in problems]),
        "slsqp": cpu(lambda: [slsqp_allocation(*p) for p in problems]),
    }, lambda s: s["slsqp"] / s["ours"], rounds=rounds, digits=1)
    solutions, theirs = outputs["ours"][0], outputs["slsqp"][0]
    worse = sum(predicted_mean_score(p[0], a.sizes) < predicted_mean_score(p[0], b) - 1e-9
                for p, a, b in zip(problems, solutions, theirs))
    return {**fields, "unit": "x faster than SLSQP (median of interleaved rounds)",
            "cases_with_lower_objective_than_slsqp": int(worse),
            "cases_with_a_floor_binding": sum(bool(a.at_floor) for a in solutions),
            "cases_with_a_cap_binding": sum(bool(a.at_cap) for a in solutions),
            "cases_with_both": sum(bool(a.at_floor and a.at_cap) for a in solutions),
            "note": f"{cases} problems of {n} languages, floors (the laws' smallest fitted sizes) and caps; "
                    f"{rounds} rounds, each solving every problem with ours then SLSQP"}


def allocation_10k_languages_seconds() -> dict:
    import numpy as np

    laws, budget, caps = _random_problem(np.random.default_rng(1), 10_000)
    start = time.perf_counter()
    solve_allocation(laws, budget, caps)
    return {"value": round(time.perf_counter() - start, 4), "unit": "s", "note": "one exact solve, 10,000 languages"}


def allocation_expected_10k_draws_seconds(languages: int = 100, draws: int = 1000, goal: float = 1.0) -> dict:
    """The expected-score optimum over each law's bootstrap draws: 100 languages x 1,000 draws."""
    import numpy as np

    rng = np.random.default_rng(3)
    laws, budget, caps = _random_problem(rng, languages)
    for law in laws.values():
        law.draws = list(zip(law.alpha * rng.lognormal(0, 0.2, draws),
                             np.clip(law.beta + rng.normal(0, 0.05, draws), -0.95, -0.01)))
    start = time.perf_counter()
    solution = solve_expected_allocation(laws, budget, caps)
    seconds = time.perf_counter() - start
    return {"value": round(seconds, 4), "unit": "s", "goal": goal, "met": seconds < goal,
            "spent": round(sum(solution.sizes.values()) / budget, 12),
            "note": f"one exact solve of the expected mean score, {languages} languages x {draws} draws"}


BENCHMARKS = {
    "default_run_seconds": default_run_seconds,
    "padding_length_grouped_vs_random": padding_length_grouped_vs_random,
    "packing_1_5m_examples_seconds": packing_1_5m_examples_seconds,
    "allocation_vs_slsqp_speed": allocation_vs_slsqp_speed,
    "allocation_10k_languages_seconds": allocation_10k_languages_seconds,
    "allocation_expected_10k_draws_seconds": allocation_expected_10k_draws_seconds,
    "sft_tokens_per_s_vs_alpaca_baseline": sft_tokens_per_s_vs_alpaca_baseline,
    "sft_mfu": sft_mfu,
    "generation_vs_batch8_unsorted": generation_vs_batch8_unsorted,
    "evaluation_job_vs_in_process": evaluation_job_vs_in_process,
    "data_prep_pairs_per_s": data_prep_pairs_per_s,
    "data_prep_peak_rss_mb_2m_pairs": data_prep_peak_rss_mb_2m_pairs,
    "data_prep_peak_rss_mb_10m_lines": data_prep_peak_rss_mb_10m_lines,
    "tokenizer_long_line_linearity": tokenizer_long_line_linearity,
    "slurm_sweep_concurrency": slurm_sweep_concurrency,
}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="run the project's benchmarks")
    parser.add_argument("names", nargs="*", help=f"subset of {sorted(BENCHMARKS)}")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch intra-op threads (1: CPU-time ratios that a busy machine does not move)")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    results = json.loads(OUT.read_text()) if OUT.exists() else {}
    for name in args.names or BENCHMARKS:
        if name not in BENCHMARKS:
            raise SystemExit(f"unknown benchmark {name!r}; known: {sorted(BENCHMARKS)}")
        print(f"running {name} ...", flush=True)
        results[name] = {**BENCHMARKS[name](), "torch_threads": torch.get_num_threads()}
        print(f"  {name}: {results[name]}", flush=True)
    write_json(OUT, results)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
