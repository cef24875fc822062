"""SFT throughput benchmarks: this project's trainer against a Stanford-Alpaca-style HF Trainer run
(random order, padding to the longest in the batch, no packing), same tiny model, data and examples."""

from __future__ import annotations

import math
import os
import statistics
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import torch

from benchmarks.rounds import interleaved
from xllm_kedro.corpora import clean_instructions, read_instructions
from xllm_kedro.files import write_jsonl
from xllm_kedro.training.tiny_model import build_tiny_llama, load_model, save_model, train_tokenizer
from xllm_kedro.training.config import TrainConfig
from xllm_kedro.training.examples import IGNORE_INDEX, EncodeReport, collate, encode_example
from xllm_kedro.training.kernels.packed_attention import describe, usable
from xllm_kedro.training.sft import train

ROOT = Path(__file__).resolve().parents[1]
SHARED_ALPACA = ROOT.parent / "shared" / "data" / "alpaca" / "alpaca_en.first3252.json"
MODEL = {"hidden_size": 64, "intermediate_size": 176, "num_hidden_layers": 4, "num_attention_heads": 4,
         "num_key_value_heads": 4, "max_position_embeddings": 512, "tie_word_embeddings": True}


def _attention(model: dict) -> str:
    """Which kernels the packed rows' attention runs on for this model (segment_attention.py's choice)."""
    return describe(usable(torch.zeros(1, 1, 1, model["hidden_size"] // model["num_attention_heads"])))


def _records(n: int) -> tuple[list[dict], str]:
    """Real Alpaca when ../shared is present, else the project's own sample repeated."""
    if SHARED_ALPACA.exists():
        return clean_instructions(list(read_instructions(SHARED_ALPACA))[:n])[0], str(SHARED_ALPACA)
    sample = [r for lang in ("en", "zh", "vi") for r in read_instructions(ROOT / "data" / "01_raw" / "alpaca" / f"{lang}.json")]
    return (sample * math.ceil(n / len(sample)))[:n], "data/01_raw/alpaca (repeated)"


def _tiny_base(records: list[dict], directory: Path, seed: int) -> int:
    """Tokenizer trained on the records and the tiny LLaMA, saved to ``directory``; returns the parameter count."""
    tokenizer = train_tokenizer((f"{r['instruction']}\n{r['input']}\n{r['output']}" for r in records), 1024)
    model = build_tiny_llama(tokenizer, seed=seed, **MODEL)
    save_model(model, tokenizer, directory)
    return sum(p.numel() for p in model.parameters())


@torch.inference_mode()
def _dataset_loss(model_dir: Path, examples: list[dict]) -> float:
    """Mean token loss of a model over every example (the same measure for both trainers)."""
    model, tokenizer = load_model(model_dir)
    total, count = 0.0, 0
    for i in range(0, len(examples), 16):
        batch = collate(examples[i:i + 16], tokenizer.pad_token_id)
        logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits[:, :-1]
        labels = batch["labels"][:, 1:]
        loss = torch.nn.functional.cross_entropy(logits.transpose(1, 2), labels.clamp(min=0), reduction="none")
        total += float((loss * (labels != IGNORE_INDEX)).sum())
        count += int((labels != IGNORE_INDEX).sum())
    return total / count


def _alpaca_trainer(base: Path, examples: list[dict], out: Path, *, batch: int, epochs: int, lr: float, seed: int) -> float:
    """The baseline: transformers' Trainer as Stanford Alpaca's train.py uses it. Returns the training
    loop's CPU seconds."""
    from datasets import Dataset
    from transformers import Trainer, TrainerCallback, TrainingArguments

    model, tokenizer = load_model(base)
    model.train()
    pad = tokenizer.pad_token_id

    def pad_to_longest(features):
        return collate([{"input_ids": f["input_ids"], "labels": f["labels"]} for f in features], pad)

    class CpuClock(TrainerCallback):
        """The training loop's CPU seconds, as ours reports them (train_cpu_seconds)."""

        def on_train_begin(self, *_, **__):
            self.start = time.process_time()

        def on_train_end(self, *_, **__):
            self.seconds = time.process_time() - self.start

    clock = CpuClock()
    args = TrainingArguments(
        output_dir=str(out), per_device_train_batch_size=batch, num_train_epochs=epochs, learning_rate=lr,
        lr_scheduler_type="cosine", warmup_steps=0.03, weight_decay=0.0, logging_steps=10, save_strategy="no",
        report_to=[], use_cpu=True, seed=seed, dataloader_num_workers=0, max_grad_norm=1.0,
    )
    trainer = Trainer(model=model, args=args, train_dataset=Dataset.from_list(examples), data_collator=pad_to_longest,
                      callbacks=[clock])
    trainer.train()
    trainer.save_model(str(out / "model"))
    tokenizer.save_pretrained(out / "model")
    return clock.seconds


def sft_tokens_per_s_vs_alpaca_baseline(n: int = 512, epochs: int = 2, lr: float = 2e-3, seed: int = 0,
                                        rounds: int = 3, goal: float = 3.0, max_loss_gap_pct: float = 2.0) -> dict:
    """Both trainers ``rounds`` times, interleaved; the median of the rounds' speed ratios. Training is
    deterministic, so every round ends at the same loss."""
    records, source = _records(n)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        _tiny_base(records, tmp / "base", seed)
        tokenizer = load_model(tmp / "base")[1]
        report = EncodeReport()
        examples = [e for r in records if (e := encode_example(tokenizer, r, 512, report)) is not None]
        target_tokens = sum(sum(1 for t in e["labels"] if t != IGNORE_INDEX) for e in examples) * epochs
        write_jsonl(tmp / "train.jsonl", records)
        ours_cfg = TrainConfig(base_model_dir=str(tmp / "base"), train_file=str(tmp / "train.jsonl"),
                               output_dir=str(tmp / "ours"), learning_rate=lr, num_epochs=epochs, warmup_ratio=0.03,
                               global_batch_size=3, per_device_batch_size=3, max_length=512, seed=seed,
                               batching="token_budget", log_every=1000)
        fields, _ = interleaved({
            "ours": lambda: (train(ours_cfg)["train_cpu_seconds"], None),
            "baseline": lambda: (_alpaca_trainer(tmp / "base", examples, tmp / "alpaca", batch=8, epochs=epochs,
                                                 lr=lr, seed=seed), None),
        }, lambda s: s["baseline"] / s["ours"], rounds=rounds, goal=goal)
        loss_ours = _dataset_loss(tmp / "ours", examples)
        loss_base = _dataset_loss(tmp / "alpaca" / "model", examples)
    gap = 100 * (loss_ours / loss_base - 1)
    return {**fields, "unit": "x target tokens/s of the Alpaca-style HF Trainer (median of interleaved rounds)",
            "met": fields["met"] and gap <= max_loss_gap_pct,
            "ours_tokens_per_s": [round(target_tokens / t, 1) for t in fields["cost_ours"]],
            "baseline_tokens_per_s": [round(target_tokens / t, 1) for t in fields["cost_baseline"]],
            "final_loss_ours": round(loss_ours, 4), "final_loss_baseline": round(loss_base, 4),
            "loss_gap_pct": round(gap, 2), "max_loss_gap_pct": max_loss_gap_pct, "attention": _attention(MODEL),
            "note": f"{len(examples)} examples from {source}, {epochs} epochs, tiny LLaMA, {rounds} interleaved "
                    "rounds (cost: the training loop's CPU seconds); ours packs rows of 512 tokens (3 per step, about as many updates "
                    "as the baseline), the baseline pads batches of 8"}


MFU_MODEL = {"hidden_size": 256, "intermediate_size": 688, "num_hidden_layers": 8, "num_attention_heads": 4,
             "num_key_value_heads": 4, "max_position_embeddings": 512, "tie_word_embeddings": True}


def _matmul_seconds_per_flop(n: int = 1024, tries: int = 10) -> float:
    """The machine's fp32 peak, as the best of ``tries`` n x n matmuls (the threads torch uses now), in
    CPU seconds as training is timed."""
    a, b = torch.randn(n, n), torch.randn(n, n)
    for _ in range(3):
        a @ b
    best = math.inf
    for _ in range(tries):
        t = time.process_time()
        a @ b
        best = min(best, time.process_time() - t)
    return best / (2 * n**3)


def _bf16_matmuls() -> bool:
    return torch.backends.mkldnn.is_available() and torch.ops.mkldnn._is_mkldnn_bf16_supported()


def sft_mfu(examples_per_round: int = 64, rounds: int = 3, seed: int = 0, goal: float = 0.30) -> dict:
    """Model FLOPs per second of training over the machine's fp32 matmul peak, both measured in each of
    ``rounds`` interleaved rounds, on a 6.6M-parameter LLaMA (hidden 256, 8 layers) where matmuls dominate.

    Model FLOPs: 6 x the non-embedding parameters per input token, plus 6 x the vocabulary projection per
    target token (the trainer projects response positions only); attention's own FLOPs are left out, so
    the figure errs low. The value is fp32 training; where the CPU has bf16 matmuls (AVX-512 BF16 or AMX)
    each round also trains under bf16 autocast, reported beside against the same fp32 peak.
    """
    records, source = _records(examples_per_round * rounds)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        tokenizer = train_tokenizer((f"{r['instruction']}\n{r['input']}\n{r['output']}" for r in records), 1024)
        model = build_tiny_llama(tokenizer, seed=seed, **MFU_MODEL)
        save_model(model, tokenizer, tmp / "base")
        params = sum(p.numel() for p in model.parameters())
        projection = model.lm_head.weight.numel()
        for i in range(rounds):  # a different slice of Alpaca each round, the same for both precisions
            write_jsonl(tmp / f"train{i}.jsonl", records[i * examples_per_round:(i + 1) * examples_per_round])

        def trainer(precision: str):
            runs = iter(range(rounds))

            def train_round() -> tuple[float, dict]:
                i = next(runs)
                cfg = TrainConfig(base_model_dir=str(tmp / "base"), train_file=str(tmp / f"train{i}.jsonl"),
                                  output_dir=str(tmp / f"out_{precision}{i}"), learning_rate=1e-3, num_epochs=1,
                                  max_length=512, global_batch_size=2, per_device_batch_size=2,
                                  batching="token_budget", log_every=1000, seed=seed)
                with _mixed_precision(precision):
                    summary = train(cfg)
                flops = 6 * (params - projection) * summary["input_tokens"] + 6 * projection * summary["target_tokens"]
                return summary["train_cpu_seconds"] / flops, {"flops": flops, "seconds": summary["train_cpu_seconds"]}
            return train_round

        sides = {"train": trainer("no"), "peak": lambda: (_matmul_seconds_per_flop(), None)}
        if _bf16_matmuls():
            sides["train_bf16"] = trainer("bf16")
        fields, outputs = interleaved(sides, lambda s: s["peak"] / s["train"], rounds=rounds, goal=goal, digits=4)
    bf16 = {}
    if "train_bf16" in outputs:
        per_round = [p / t for p, t in zip(fields["cost_peak"], fields["cost_train_bf16"])]
        bf16 = {"bf16_autocast_mfu": round(statistics.median(per_round), 4),
                "bf16_autocast_spread": [round(min(per_round), 4), round(max(per_round), 4)]}
    return {**fields, "unit": "fraction of the fp32 matmul peak, fp32 training (median of interleaved rounds)",
            "params": params, "precision": "fp32" + (", and bf16 autocast beside" if bf16 else " (no bf16 matmuls here)"),
            **bf16, "attention": _attention(MFU_MODEL), "peak_gflops": [round(1 / c / 1e9, 1) for c in fields["cost_peak"]],
            "model_gflops_per_s": [round(o["flops"] / o["seconds"] / 1e9, 2) for o in outputs["train"]],
            "note": f"LLaMA {MFU_MODEL['hidden_size']} hidden x {MFU_MODEL['num_hidden_layers']} layers, "
                    f"{examples_per_round} examples of {source} per round, packed rows of 512 (token budget); "
                    "CPU seconds of training against the best of 10 1024x1024 fp32 matmuls at the same thread "
                    "count, measured in each round"}


@contextmanager
def _mixed_precision(mode: str):
    """Accelerator() reads its mixed precision from the environment, as `accelerate launch` sets it, but
    only when its process-wide state is new: the state is cleared on entry and exit, so neither this
    precision nor an earlier one leaks into another entry's runs."""
    from accelerate.state import AcceleratorState

    saved = os.environ.get("ACCELERATE_MIXED_PRECISION")
    os.environ["ACCELERATE_MIXED_PRECISION"] = mode
    AcceleratorState._reset_state(reset_partial_state=True)
    try:
        yield
    finally:
        AcceleratorState._reset_state(reset_partial_state=True)
        if saved is None:
            os.environ.pop("ACCELERATE_MIXED_PRECISION")
        else:
            os.environ["ACCELERATE_MIXED_PRECISION"] = saved
