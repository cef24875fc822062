"""The sweep through the local single-node Slurm (``.ci/slurm start``): its jobs two in flight at once
against one after another, in wall time."""

from __future__ import annotations

import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import mlflow
import yaml

from benchmarks.rounds import interleaved
from benchmarks.sft import _records, _tiny_base
from xllm_kedro.files import write_jsonl
from xllm_kedro.spec.experiments import sweep_sizes
from xllm_kedro.training.config import TrainConfig
from xllm_kedro.training.launch import train_with_accelerate
from xllm_kedro.training.slurm import cluster_answers

ROOT = Path(__file__).resolve().parents[1]
CPU_1PROC = ROOT / "conf" / "base" / "accelerate" / "cpu_1proc.yaml"


def _sweep_jobs(directory: Path, max_steps: int) -> list[TrainConfig]:
    """One job per language and size of the default sweep (conf/base), each ``max_steps`` steps on that
    many Alpaca records (the world's mixes need a default run first; the jobs' number and sizes are the sweep's)."""
    params = yaml.safe_load((ROOT / "conf" / "base" / "parameters.yml").read_text())["sweep"]
    training = yaml.safe_load((ROOT / "conf" / "base" / "parameters_instruction_tuning.yml").read_text())["training"]
    sizes = sweep_sizes(params, params["languages"])
    records, _ = _records(max(max(s) for s in sizes.values()))
    _tiny_base(records, directory / "base", seed=0)
    jobs = []
    for lang in params["languages"]:
        for size in sizes[lang]:
            name = f"{lang}_{size}"
            write_jsonl(directory / f"train_{name}.jsonl", records[:size])
            jobs.append(TrainConfig.from_dict({**training, "max_steps": max_steps, "save_every": 0,
                                               "base_model_dir": str(directory / "base"),
                                               "train_file": str(directory / f"train_{name}.jsonl"),
                                               "output_dir": str(directory / "out" / name)}))
    return jobs


def _wall(jobs: list[TrainConfig], directory: Path, in_flight: int) -> tuple[float, None]:
    settings = {"cpus_per_task": 1, "max_in_flight": in_flight, "poll_s": 0.5}

    def one(i: int) -> None:
        train_with_accelerate(jobs[i], CPU_1PROC, work / f"job{i}", run_name=f"sweep/{i}", backend="slurm",
                              slurm=settings)

    work = Path(tempfile.mkdtemp(prefix=f"in_flight{in_flight}_", dir=directory))  # a fresh folder each round
    for i in range(len(jobs)):
        (work / f"job{i}").mkdir()
    start = time.perf_counter()
    with ThreadPoolExecutor(in_flight) as pool:  # one thread: sequential submission, each job awaited
        list(pool.map(one, range(len(jobs))))
    return time.perf_counter() - start, None


def slurm_sweep_concurrency(max_steps: int = 30, rounds: int = 3) -> dict:
    """Wall time of the sweep's jobs with 2 in flight over the same jobs submitted one after another."""
    if not cluster_answers():
        return {"value": None, "unit": "ratio", "note": "skipped: no Slurm cluster answers (`.ci/slurm start`)"}
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        mlflow.set_tracking_uri(f"sqlite:///{directory / 'mlflow.db'}")
        jobs = _sweep_jobs(directory, max_steps)
        fields, _ = interleaved({"concurrent": lambda: _wall(jobs, directory, 2),
                                 "sequential": lambda: _wall(jobs, directory, 1)},
                                lambda s: s["concurrent"] / s["sequential"], rounds=rounds, goal=1.0,
                                higher_is_better=False)
    return {**fields, "unit": "ratio of wall times (median of interleaved rounds)", "jobs": len(jobs),
            "note": f"the default sweep's {len(jobs)} jobs (languages x sizes, {max_steps} steps each) on the local "
                    "one-node Slurm (2 CPUs): 2 jobs in flight / one after another"}
