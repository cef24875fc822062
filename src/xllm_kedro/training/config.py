"""The typed job config: the only thing that crosses the boundary between a Kedro node and the job."""

from __future__ import annotations

import math
from dataclasses import MISSING, asdict, dataclass, fields
from pathlib import Path

from xllm_kedro.files import read_json_object, write_json


# Set by the node that writes the job, never by parameters.
JOB_FIELDS = frozenset({"base_model_dir", "train_file", "output_dir", "checkpoint_dir", "objective",
                        "trust_remote_code"})


@dataclass
class TrainConfig:
    base_model_dir: str
    train_file: str
    output_dir: str
    learning_rate: float = 2e-5
    lr_scheduler: str = "cosine"
    warmup_ratio: float = 0.03
    num_epochs: float = 3.0
    weight_decay: float = 0.0
    global_batch_size: int = 128
    per_device_batch_size: int = 4
    max_length: int = 512
    max_steps: int = 0  # 0: derive from epochs
    seed: int = 42
    log_every: int = 1  # fewest steps between two step lines
    step_lines: int = 4  # about this many step lines a job, however long (0: one every log_every steps)
    batching: str = "packed"  # packed | token_budget | length_grouped | random (training/batching.py)
    save_every: int = 0  # optimiser steps between resumable checkpoints; 0: none
    checkpoint_dir: str = ""  # default: <output_dir>_checkpoints
    trust_remote_code: bool = False  # parameters 'trust_remote_code'
    objective: str = "sft"  # sft: Alpaca records, loss on the response | pretraining: {"text"} records, every token

    @classmethod
    def from_dict(cls, values: dict, *, where: str = "training parameters") -> "TrainConfig":
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"{where}: unknown key(s) {unknown}; known: {sorted(known)}")
        for f in fields(cls):  # the type of each default: a string where a number belongs fails here, not in the job
            if f.name not in values:
                continue
            value, kind = values[f.name], str if f.default is MISSING else type(f.default)
            ok = isinstance(value, kind) and not (kind is not bool and isinstance(value, bool))
            if kind is float:
                ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
            if not ok:
                raise ValueError(f"{where}.{f.name} must be {'a finite number' if kind is float else kind.__name__}, "
                                 f"got {value!r}")
        cfg = cls(**values)
        for key, low in (("learning_rate", 0.0), ("num_epochs", 0.0), ("max_length", 1)):
            if not getattr(cfg, key) > low:
                raise ValueError(f"{where}.{key} must be above {low}, got {getattr(cfg, key)!r}")
        for key in ("max_steps", "save_every", "weight_decay", "seed"):
            if getattr(cfg, key) < 0:
                raise ValueError(f"{where}.{key} must not be negative, got {getattr(cfg, key)!r}")
        if not 0 <= cfg.warmup_ratio < 1 or cfg.log_every < 1 or cfg.step_lines < 0:
            raise ValueError(f"{where}: warmup_ratio must be in [0, 1), log_every at least 1 and step_lines "
                             f"not negative")
        if cfg.global_batch_size < 1 or cfg.per_device_batch_size < 1:
            raise ValueError(f"{where}: batch sizes must be positive")
        if cfg.batching not in {"packed", "token_budget", "length_grouped", "random"}:
            raise ValueError(f"{where}: batching must be packed, token_budget, length_grouped or random, "
                             f"got {cfg.batching!r}")
        if cfg.objective not in {"sft", "pretraining"}:
            raise ValueError(f"{where}: objective must be sft or pretraining, got {cfg.objective!r}")
        if cfg.lr_scheduler not in {"cosine", "linear", "constant"}:
            raise ValueError(f"{where}: lr_scheduler must be cosine, linear or constant, got {cfg.lr_scheduler!r}")
        return cfg

    def accumulation_steps(self, world_size: int) -> int:
        """Micro-batches per optimiser step in the fixed-size modes: per-device x accumulation x world =
        global batch (under ``packed`` the count varies per step, see batching.py)."""
        per_step = self.per_device_batch_size * world_size
        if self.global_batch_size % per_step:
            raise ValueError(
                f"global_batch_size {self.global_batch_size} is not a multiple of per_device_batch_size "
                f"{self.per_device_batch_size} x {world_size} processes"
            )
        return self.global_batch_size // per_step

    def hyperparameters(self) -> dict:
        """Every setting but the paths, resolved (defaults filled in): the same keys for every job, so
        that tracked runs compare setting by setting."""
        return {k: v for k, v in asdict(self).items()
                if k not in {"base_model_dir", "train_file", "output_dir", "checkpoint_dir"}}

    @property
    def checkpoints(self) -> Path:
        return Path(self.checkpoint_dir or f"{self.output_dir}_checkpoints")

    def save(self, path: str | Path) -> None:
        write_json(path, asdict(self))

    @classmethod
    def load(cls, path: str | Path) -> "TrainConfig":
        values = read_json_object(path, "job config of TrainConfig fields")
        return cls.from_dict(values, where=str(path))
