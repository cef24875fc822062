"""Generation entry point, run by ``accelerate launch`` as training is (the evaluation node writes the job).

    accelerate launch --config_file conf/base/accelerate/cpu_1proc.yaml \
        -m xllm_kedro.evaluation.generation_job --config generation_job.json

Reads the requests (every unit's prompts), loads the model on this process's device (bf16 on a GPU,
fp32 on the CPU), generates greedily (longest first, finished rows replaced), one share of the prompts per
process, gathered on every process (evaluation/generation.py), and the main process writes the outputs.
"""

from __future__ import annotations

import argparse
import json
import os
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import torch
from accelerate import PartialState
from accelerate.utils import parse_flag_from_env

from xllm_kedro.evaluation.runner import Request, generate_requests
from xllm_kedro.files import read_json_object, write_json
from xllm_kedro.training.job_exit import leave
from xllm_kedro.training.launch import HEARTBEAT_ENV
from xllm_kedro.training.tiny_model import load_model


@dataclass
class GenerationJob:
    model_dir: str
    requests_file: str
    output_file: str
    batch_size: int = 32
    seed: int = 0
    trust_remote_code: bool = False

    def save(self, path: str | Path) -> None:
        write_json(path, asdict(self))

    @classmethod
    def load(cls, path: str | Path) -> "GenerationJob":
        values = read_json_object(path, "generation job")
        known = {f.name for f in fields(cls)}
        if set(values) - known:
            raise ValueError(f"{path}: a generation job is a JSON object of {sorted(known)}")
        return cls(**values)


def read_requests(path: str | Path) -> list[Request]:
    values = json.loads(Path(path).read_text(encoding="utf-8"))
    return [Request(**r) for r in values]


def run(job: GenerationJob) -> dict[str, list[str]]:
    # As in training: PartialState alone ignores ACCELERATE_USE_CPU, which a multi-process CPU launch needs.
    state = PartialState(cpu=parse_flag_from_env("ACCELERATE_USE_CPU"))
    dtype = torch.bfloat16 if state.device.type == "cuda" else torch.float32
    model, tokenizer = load_model(job.model_dir, dtype=dtype, trust_remote_code=job.trust_remote_code)
    model.to(state.device)
    torch.manual_seed(job.seed)
    beat = os.environ.get(HEARTBEAT_ENV)  # the launcher's stall watch, touched after every batch
    outputs = generate_requests(model, tokenizer, read_requests(job.requests_file), batch_size=job.batch_size,
                                on_batch=(lambda: Path(beat).touch()) if beat else None)
    if state.is_main_process:
        write_json(job.output_file, {"outputs": outputs, "world_size": state.num_processes, "dtype": str(dtype),
                                     "device": state.device.type})
    state.wait_for_everyone()
    return outputs


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True, help="GenerationJob JSON written by the evaluation node")
    run(GenerationJob.load(parser.parse_args(argv).config))


if __name__ == "__main__":
    main()
    leave()  # no interpreter teardown: see training/job_exit.py
