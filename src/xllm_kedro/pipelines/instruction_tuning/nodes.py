"""Nodes of instruction_tuning: build the tiny base model, and launch one accelerate job per training run."""

from __future__ import annotations

import tempfile
from itertools import chain
from pathlib import Path

from xllm_kedro.corpora import as_text
from xllm_kedro.files import write_jsonl
from xllm_kedro.training.config import TrainConfig
from xllm_kedro.training.launch import job_workspace, train_with_accelerate
from xllm_kedro.training.tiny_model import build_tiny_llama, save_model, train_tokenizer


def build_base_model_node(base_model: dict, *text_sets: list[dict]) -> Path:
    """Train a byte-level BPE tokenizer on every language's text (instructions with their Alpaca
    template, as a model sees them) and build a tiny LLaMA from config.

    Returns:
        A model directory for the ``base_model`` (or ``untrained_model``) dataset to take over.
    """
    texts = (as_text(r)["text"] for r in chain.from_iterable(text_sets))
    tokenizer = train_tokenizer(texts, vocab_size=base_model["vocab_size"],
                                add_prefix_space=bool(base_model.get("add_prefix_space", False)))
    model = build_tiny_llama(tokenizer, seed=base_model["seed"], **base_model["config"])
    out = Path(tempfile.mkdtemp(prefix="base_model_"))  # the dataset moves the whole folder: nothing is left
    save_model(model, tokenizer, out)
    return out


def run_training_job(records: list[dict], model_dir: Path, hyperparameters: dict, launcher: dict,
                     trust_remote_code: bool, name: str, objective: str = "sft") -> Path:
    """Write the records and the job config in a work folder of this run, run the accelerate job on them,
    return the model directory. Checkpoints sit beside the run folders, so a rerun resumes them."""
    workdir = job_workspace(Path(launcher["workdir"]) / name)
    train_file = workdir / "train.jsonl"
    write_jsonl(train_file, records)
    where = "parameters training" if objective == "sft" else "parameters pretraining.training"
    cfg = TrainConfig.from_dict(
        {**hyperparameters, "objective": objective, "base_model_dir": str(model_dir), "train_file": str(train_file),
         "output_dir": str(workdir / "model"), "checkpoint_dir": str(workdir.parent / "checkpoints"),
         "trust_remote_code": trust_remote_code}, where=where)
    run_name = f"{'train' if objective == 'sft' else 'pretrain'}/{name}"
    return train_with_accelerate(cfg, launcher["accelerate_config"], workdir, run_name=run_name,
                                 in_process=bool(launcher.get("in_process", False)),
                                 timeout_s=launcher.get("timeout_s"), stall_timeout_s=launcher.get("stall_timeout_s"),
                                 backend=launcher.get("backend", "local"), slurm=launcher.get("slurm"),
                                 cpu_threads=launcher.get("cpu_threads"))


def train_model_node(train_mix: list[dict], base_model: Path, training: dict, launcher: dict, trust_remote_code: bool,
                     experiment: str, overrides: dict | None = None) -> Path:
    """Instruction tuning of one experiment (loss on the response only), with its own settings on top."""
    return run_training_job(train_mix, base_model, {**training, **(overrides or {})}, launcher, trust_remote_code,
                            experiment)


def pretrain_node(text_mix: list[dict], model: Path, pretraining: dict, launcher: dict, trust_remote_code: bool,
                  name: str) -> Path:
    """An experiment's continued pre-training on raw text (Figure 7)."""
    return run_training_job(text_mix, model, pretraining["training"], launcher, trust_remote_code, name,
                            objective="pretraining")


def base_stage_node(mix: list[dict], model: Path, pretraining: dict, launcher: dict, trust_remote_code: bool,
                    index: int) -> Path:
    """One stage of the English base's curriculum (``pretraining.stages[index]``)."""
    stage = pretraining["stages"][index]
    return run_training_job(mix, model, stage["training"], launcher, trust_remote_code, f"base_{stage['name']}",
                            objective=stage["objective"])
