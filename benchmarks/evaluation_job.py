"""Evaluation as a job against the previous in-process evaluation: same tiny model, same prompts, the
outputs identical. The job pools the units' prompts into length-sorted batches, so it can earn back
what handing work to a job costs."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import torch

from benchmarks.generation import _prompts, _tiny_model
from benchmarks.rounds import cpu, interleaved
from xllm_kedro.evaluation.generation import generate
from xllm_kedro.evaluation.job import generate_in_job
from xllm_kedro.evaluation.runner import Request
from xllm_kedro.training.tiny_model import load_model, save_model

CPU_1PROC = Path(__file__).resolve().parents[1] / "conf" / "base" / "accelerate" / "cpu_1proc.yaml"


def _units(n_units: int, per_unit: int) -> list[Request]:
    prompts = _prompts(n_units * per_unit)[0]
    return [Request(f"unit{u}", prompts[u::n_units], 32, ["\n\n###"]) for u in range(n_units)]


def _in_process(model_dir: Path, requests: list[Request], batch_size: int) -> dict[str, list[str]]:
    """The previous evaluation node: the model loaded in the Kedro process, one generate call per unit."""
    model, tokenizer = load_model(model_dir)
    return {r.key: generate(model, tokenizer, r.prompts, max_new_tokens=r.max_new_tokens, batch_size=batch_size,
                            stop=r.stop) for r in requests}


def evaluation_job_vs_in_process(n_units: int = 8, per_unit: int = 12, batch_size: int = 32, rounds: int = 3,
                                 seed: int = 0) -> dict:
    requests = _units(n_units, per_unit)
    threads = torch.get_num_threads()  # the job's threads as the in-process side's (bench.py --threads)
    with tempfile.TemporaryDirectory() as tmp:
        model_dir = Path(tmp) / "model"
        save_model(*_tiny_model(seed), model_dir)
        fields, outputs = interleaved({
            "job": cpu(lambda: generate_in_job(requests, model_dir, accelerate_config=CPU_1PROC,
                                               workdir=Path(tmp) / "job", batch_size=batch_size, in_process=True,
                                               cpu_threads=threads)),
            "in_process": cpu(lambda: _in_process(model_dir, requests, batch_size)),
        }, lambda s: s["in_process"] / s["job"], rounds=rounds, goal=1.0)
        start = time.perf_counter()
        launched = generate_in_job(requests, model_dir, accelerate_config=CPU_1PROC, workdir=Path(tmp) / "launched",
                                   batch_size=batch_size, cpu_threads=threads)
        launched_s = time.perf_counter() - start
    base, ours = outputs["in_process"][0], outputs["job"][0]
    differing = [k for k in base if base[k] != ours[k] or base[k] != launched[k]]
    assert not differing, f"the job's outputs differ from in-process evaluation for {differing}"
    return {**fields, "unit": "x the in-process evaluation's speed (median of interleaved rounds)",
            "identical_outputs": True, "seconds_launched_process": round(launched_s, 2),
            "note": f"{n_units} units of {per_unit} FLORES prompts, tiny LLaMA (fp32, CPU), 32 new tokens, "
                    f"{rounds} interleaved rounds; the job as the default CPU config runs it (launcher.in_process, "
                    "one process, pooled length-sorted batches) against one generate call per unit; "
                    "seconds_launched_process: the same job under `accelerate launch` (interpreter start and "
                    "imports included), once"}
