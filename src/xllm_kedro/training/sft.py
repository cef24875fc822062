"""Training entry point (supervised fine-tuning or causal-LM pretraining), run by ``accelerate launch``.

    accelerate launch --config_file conf/base/accelerate/cpu_1proc.yaml \
        -m xllm_kedro.training.sft --config job.json

Reads a TrainConfig JSON, trains on an Alpaca-format JSONL mix with the loss on the response only
(objective ``sft``) or on packed raw-text JSONL ``{"text": ...}`` with the loss on every token
(objective ``pretraining``), logs to the MLflow run named by MLFLOW_RUN_ID (rank 0 only) and saves a
Hugging Face model directory.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import shutil
import sys
import time
from contextlib import nullcontext
from pathlib import Path

import torch
from accelerate import Accelerator, PartialState
from accelerate.utils import parse_flag_from_env, set_seed
from transformers import get_scheduler

from xllm_kedro.files import iter_jsonl, write_json
from xllm_kedro.progress import progress
from xllm_kedro.training.tiny_model import load_model
from xllm_kedro.training.checkpoints import fingerprint, latest_checkpoint, load_checkpoint, save_checkpoint
from xllm_kedro.training.config import TrainConfig
from xllm_kedro.training.batching import PACKED_MODES, epoch_steps, resolved_semantics, step_examples
from xllm_kedro.training.examples import IGNORE_INDEX, collate, encode_all
from xllm_kedro.training.job_exit import leave
from xllm_kedro.training.loss import ResponseLoss
from xllm_kedro.training.packing import collate_packed
from xllm_kedro.training.pretraining import encode_texts
from xllm_kedro.training.preambles import mark_preambles, template_preambles
from xllm_kedro.training.segment_attention import packed_attention_implementation, shares_preambles


TRAINING_DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16, "no": torch.float32}
log = logging.getLogger(__name__)


def step_line_every(log_every: int, total_steps: int, step_lines: int) -> int:
    """Steps between two step lines: ``log_every``, or more where that would print over ``step_lines`` lines
    (0: no such bound), so thirty jobs of a run print a readable console; MLflow has every step."""
    return max(log_every, math.ceil(total_steps / step_lines)) if step_lines else log_every


class _MlflowLogger:
    """Per-step metrics for an existing MLflow run, from the main process, sent in batches (``flush``)
    rather than one request per value; a no-op without MLFLOW_RUN_ID."""

    def __init__(self, enabled: bool):
        self.run_id = os.environ.get("MLFLOW_RUN_ID") if enabled else None
        self.pending: list = []
        if self.run_id:
            from mlflow.tracking import MlflowClient

            self.client = MlflowClient()

    def log_params(self, params: dict) -> None:
        if self.run_id:
            for key, value in params.items():
                self.client.log_param(self.run_id, key, value)

    def log(self, metrics: dict[str, float], step: int) -> None:
        if self.run_id:
            from mlflow.entities import Metric

            ts = int(time.time() * 1000)
            self.pending += [Metric(key, float(value), ts, step) for key, value in metrics.items()]

    def flush(self) -> None:
        for i in range(0, len(self.pending), 1000):  # MLflow takes at most 1000 metrics a request
            self.client.log_batch(self.run_id, metrics=self.pending[i:i + 1000])
        self.pending = []


def make_batch(cfg: TrainConfig, examples: list[dict], micro_batch: list, pad_id: int,
               preambles: list[list[int]] | None) -> dict:
    """``preambles``: None where flash-attn's varlen kernel takes the packed rows, else the shared
    preambles (maybe none) of the layout that segment attention reads."""
    if cfg.batching in PACKED_MODES:
        return collate_packed(examples, micro_batch, preambles)
    return collate([examples[i] for i in micro_batch], pad_id)


def batch_examples(batch: dict) -> int:
    """How many examples a collated micro-batch holds (a packed one marks each example's start)."""
    if "packed_layout" in batch:
        return batch["packed_layout"].examples
    return len(batch["cu_seq_lens_q"]) - 1 if "cu_seq_lens_q" in batch else batch["input_ids"].shape[0]


class Heartbeat:
    """Touches ``$XLLM_HEARTBEAT_FILE`` (the launcher's stall watch) and enforces ``$XLLM_JOB_DEADLINE``."""

    def __init__(self):
        path = os.environ.get("XLLM_HEARTBEAT_FILE")
        self.path = Path(path) if path else None
        deadline = os.environ.get("XLLM_JOB_DEADLINE")
        self.deadline = float(deadline) if deadline else None

    def beat(self, step: int) -> None:
        if self.path is not None:
            self.path.touch()
        if self.deadline is not None and time.time() > self.deadline:
            raise TimeoutError(f"job passed its deadline (launcher.timeout_s) at step {step}")


def train(cfg: TrainConfig) -> dict:
    # PartialState alone ignores ACCELERATE_USE_CPU (Accelerator does not): without it a CPU DDP launch
    # would start independent single-process runs.
    world = PartialState(cpu=parse_flag_from_env("ACCELERATE_USE_CPU")).num_processes
    # Accumulation is explicit: each step runs its planned micro-batches (batching.py), weighted by tokens.
    accelerator = Accelerator()
    set_seed(cfg.seed)
    model, tokenizer = load_model(cfg.base_model_dir, trust_remote_code=cfg.trust_remote_code)
    model.train()
    saved_attention = model.config._attn_implementation
    preambles = None
    if cfg.batching in PACKED_MODES:
        model.set_attn_implementation(packed_attention_implementation(accelerator.device))
        if shares_preambles(model, accelerator.device):
            preambles = template_preambles(tokenizer) if cfg.objective == "sft" else []

    with accelerator.main_process_first():
        records = list(iter_jsonl(cfg.train_file))
        encode = encode_texts if cfg.objective == "pretraining" else encode_all
        examples, report = encode(tokenizer, records, cfg.max_length)
    if not examples:
        raise ValueError(f"{cfg.train_file}: no trainable example (read {len(records)} records)")
    if preambles:
        shared = mark_preambles(examples, preambles)
        log.info("%d of %d examples start with a template preamble, computed once per packed row", shared,
                 len(examples))

    lengths = [len(e["input_ids"]) for e in examples]
    targets = [sum(label != IGNORE_INDEX for label in e["labels"]) for e in examples]
    first_epoch = epoch_steps(cfg, lengths, 0, world)
    if not first_epoch:
        raise ValueError(f"{cfg.train_file}: {len(examples)} examples make no optimiser step for {world} processes")
    steps_per_epoch = len(first_epoch)
    total_steps = cfg.max_steps or max(1, math.ceil(steps_per_epoch * cfg.num_epochs))
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        (no_decay if p.ndim < 2 or "norm" in name else decay).append(p)
    optimizer = torch.optim.AdamW(
        [{"params": decay, "weight_decay": cfg.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
        lr=cfg.learning_rate, fused=True,  # one fused kernel for every tensor, on the CPU as on a GPU
    )
    scheduler = get_scheduler(
        cfg.lr_scheduler, optimizer, num_warmup_steps=int(cfg.warmup_ratio * total_steps), num_training_steps=total_steps
    )
    # The scheduler stays unprepared: it counts optimiser steps of the global batch, stepped once each.
    model, optimizer = accelerator.prepare(ResponseLoss(model), optimizer)
    logger = _MlflowLogger(accelerator.is_main_process)
    semantics = resolved_semantics(cfg, world, steps_per_epoch, len(examples))
    logger.log_params(semantics)

    heartbeat = Heartbeat()
    heartbeat.beat(0)
    step, epoch, skip, tokens, input_tokens, start, start_cpu = 0, 0, 0, 0, 0, time.perf_counter(), time.process_time()
    micro_done, last_loss = 0, float("nan")
    key = fingerprint(cfg)
    resume_from = latest_checkpoint(cfg.checkpoints, report=accelerator.print)
    if resume_from is not None and json.loads((resume_from / "trainer_state.json").read_text()).get("fingerprint") != key:
        accelerator.print(f"ignoring checkpoints in {cfg.checkpoints}: they belong to other settings or data")
        accelerator.wait_for_everyone()
        if accelerator.is_main_process:
            shutil.rmtree(cfg.checkpoints, ignore_errors=True)
        resume_from = None
    if resume_from is not None:
        state = load_checkpoint(accelerator, resume_from, model, optimizer.optimizer, scheduler)
        step, epoch, skip, last_loss = state["step"], state["epoch"], state["next_step"], state["loss"]
        accelerator.print(f"resumed from {resume_from} at step {step}")
    packed = cfg.batching in PACKED_MODES
    bar = progress(total=total_steps, initial=step, desc=cfg.objective, unit="step", show=accelerator.is_main_process)
    every = step_line_every(cfg.log_every, total_steps, cfg.step_lines)
    while step < total_steps:
        plan = first_epoch if epoch == 0 else epoch_steps(cfg, lengths, epoch, world)  # packed once per epoch
        for position, planned in enumerate(plan):
            if position < skip:
                continue
            step_targets = sum(targets[i] for i in step_examples(planned, packed))
            mine = planned.micro[accelerator.process_index]
            # Counts and the loss stay on the device through the step: one host sync per step, not per micro-batch.
            step_loss = torch.zeros((), dtype=torch.float64, device=accelerator.device)
            step_examples_here = 0
            for k, micro_batch in enumerate(mine):
                batch = {key_: v.to(accelerator.device) if torch.is_tensor(v) else v
                         for key_, v in make_batch(cfg, examples, micro_batch, tokenizer.pad_token_id,
                                                        preambles).items()}
                # Each micro-batch's mean loss weighted by its share of the step's target tokens (times the
                # processes, whose gradients are averaged): the step's gradient is that of Eq. 1 over the batch.
                share = (batch["labels"][:, 1:] != IGNORE_INDEX).sum() / step_targets
                with nullcontext() if k == len(mine) - 1 else accelerator.no_sync(model):
                    loss = model(**batch)
                    accelerator.backward(loss * (share * accelerator.num_processes))
                step_loss += loss.detach() * share
                step_examples_here += batch_examples(batch)
                tokens += (batch["labels"] != IGNORE_INDEX).sum()
                input_tokens += batch["attention_mask"].sum() if "attention_mask" in batch else batch["input_ids"].numel()
            micro_done += len(mine)
            grad_norm = accelerator.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad()
            step += 1
            heartbeat.beat(step)
            totals = accelerator.reduce(torch.stack([step_loss, torch.tensor(float(step_examples_here), dtype=torch.float64,
                                                                             device=accelerator.device)]), "sum")
            last_loss, consumed, grad_norm, seen = torch.stack([
                totals[0], totals[1], torch.as_tensor(grad_norm, dtype=torch.float64, device=accelerator.device),
                torch.as_tensor(tokens, dtype=torch.float64, device=accelerator.device)]).tolist()
            consumed = int(consumed)
            metrics = {
                "train_loss": last_loss,
                "learning_rate": scheduler.get_last_lr()[0],
                "grad_norm": grad_norm,
                "tokens_per_second": seen * accelerator.num_processes / max(time.perf_counter() - start, 1e-9),
                "batch_examples": consumed,
            }
            logger.log(metrics, step)  # every step to MLflow; the log gets a line every `every` steps
            bar.update(1)
            bar.set_postfix(loss=f"{last_loss:.4f}", tok_s=f"{metrics['tokens_per_second']:.0f}", refresh=False)
            if step % every == 0 or step == total_steps:
                logger.flush()
                if accelerator.is_main_process:
                    log.info("step %d/%d loss %.6f lr %.2e tok/s %.0f examples %d", step, total_steps, last_loss,
                             metrics["learning_rate"], metrics["tokens_per_second"], consumed)
            if cfg.save_every and step % cfg.save_every == 0 and step < total_steps:
                save_checkpoint(accelerator, cfg.checkpoints, step,
                                {"epoch": epoch, "next_step": position + 1, "loss": last_loss, "fingerprint": key},
                                model, optimizer.optimizer, scheduler)
            if step >= total_steps:
                break
        epoch += 1
        skip = 0
    bar.close()
    logger.flush()

    accelerator.wait_for_everyone()
    summary = {
        "steps": step,
        "epochs_seen": epoch,
        "final_train_loss": last_loss,
        "train_examples": len(examples),
        "target_tokens": int(tokens),
        "input_tokens": int(input_tokens),
        "prompt_truncated": report.prompt_truncated,
        "dropped_no_room_for_response": report.dropped_no_room_for_response,
        "gradient_accumulation_steps": (cfg.accumulation_steps(world) if not cfg.batching == "packed"
                                        else round(micro_done / max(step, 1), 3)),  # the mean where it varies
        "batch_semantics": semantics["batch_semantics"],
        "world_size": accelerator.num_processes,
        "train_seconds": time.perf_counter() - start,
        "train_cpu_seconds": time.process_time() - start_cpu,  # this process's, so a busy machine does not count
    }
    state = accelerator.get_state_dict(model)  # every rank takes part: under FSDP this gathers the shards
    if accelerator.is_main_process:
        out = Path(cfg.output_dir)
        out.mkdir(parents=True, exist_ok=True)
        # Saved in the training dtype (bf16 under bf16 mixed precision): half the disk of the fp32 master
        # weights, and what evaluation loads on a GPU anyway.
        dtype = TRAINING_DTYPES.get(accelerator.mixed_precision, torch.float32)
        weights = {k.removeprefix("lm."): v.to(dtype) if v.is_floating_point() else v for k, v in state.items()}
        lm = accelerator.unwrap_model(model).lm
        lm.config._attn_implementation = saved_attention  # the packed-batch attention is for training only
        lm.config.dtype = dtype
        lm.save_pretrained(out, state_dict=weights, safe_serialization=True)
        tokenizer.save_pretrained(out)
        write_json(out / "train_summary.json", summary)
        shutil.rmtree(cfg.checkpoints, ignore_errors=True)  # the finished model supersedes them
    if accelerator.num_processes > 1:
        # No rank leaves before rank 0 has written the model. accelerator.end_training() is not called: it
        # destroys the process group, which leaves DDP's reducer its last owner, and when this function
        # returned, the reducer's destructor joined gloo's worker threads while holding the GIL one of them
        # was waiting for (a 2-process job hung at exit in 1 run of 10 on a busy machine). The launched
        # job leaves with os._exit (job_exit.py), which releases the group without any destructor.
        accelerator.wait_for_everyone()
    return summary


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True, help="TrainConfig JSON written by the instruction_tuning node")
    args = parser.parse_args(argv)
    if not logging.getLogger().handlers:  # a launched process: its stdout is the job's log (launch.py relays it)
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(logging.Formatter("%(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False
    summary = train(TrainConfig.load(args.config))
    if int(os.environ.get("RANK", "0")) == 0:
        log.info("trained %d steps in %.0f s, final loss %.4f (train_summary.json)", summary["steps"],
                 summary["train_seconds"], summary["final_train_loss"])


if __name__ == "__main__":
    main()
    leave()  # no interpreter teardown: see training/job_exit.py
