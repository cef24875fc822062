"""Resumable training state as tensors (safetensors) and JSON only: nothing a run wrote is ever unpickled.

accelerate's ``save_state`` stores the RNG states and registered objects as pickles and loads them with
``weights_only=False``, so a tampered checkpoint could run code on resume. Here a checkpoint folder holds:

    model.safetensors       full model state (gathered from every rank, written by rank 0)
    optimizer.safetensors   optimiser tensors, keyed ``<parameter>/<slot>``
    optimizer.json          the optimiser's parameter groups (plain numbers and names)
    scheduler.json          the learning-rate scheduler's state (plain numbers)
    rng_<rank>.safetensors  each rank's torch/CUDA/NumPy generator states (Python's in the metadata)
    trainer_state.json      step, epoch, next batch, last loss and the fingerprint; written last

A folder whose files do not all parse as safetensors or JSON is skipped with a message, never loaded.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file
from torch.distributed.checkpoint.state_dict import (StateDictOptions, get_model_state_dict,
                                                     get_optimizer_state_dict, set_model_state_dict,
                                                     set_optimizer_state_dict)

STATE_FILE = "trainer_state.json"
TENSOR_FILES = ("model.safetensors", "optimizer.safetensors")
JSON_FILES = ("optimizer.json", "scheduler.json", STATE_FILE)


def fingerprint(cfg) -> str:
    """What must match for a checkpoint to be resumed: every setting but the paths, and the data itself.

    It detects staleness, not tampering: the checkpoint's formats hold no code, which is the protection.
    """
    settings = {k: v for k, v in asdict(cfg).items()
                if k not in {"output_dir", "checkpoint_dir", "log_every", "step_lines"}}
    digest = hashlib.sha256(json.dumps(settings, sort_keys=True).encode())
    with open(cfg.train_file, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def unreadable(path: Path) -> str | None:
    """Why the checkpoint at ``path`` cannot be resumed (a missing or malformed file), or None.

    Every file is parsed as what it must be (safetensors header or JSON); a pickle or any other payload
    fails here and is never handed to a loader that could execute it.
    """
    rank_files = sorted(path.glob("rng_*.safetensors"))
    if not rank_files:
        return f"{path}: no rng_<rank>.safetensors"
    for name in [*TENSOR_FILES, *(p.name for p in rank_files)]:
        try:
            with safe_open(str(path / name), framework="pt") as fh:
                fh.keys()
        except Exception as err:  # safetensors raises its own error types for every malformed header
            return f"{path / name}: not a safetensors file ({err})"
    for name in JSON_FILES:
        try:
            json.loads((path / name).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
            return f"{path / name}: not a JSON document ({err})"
    return None


def latest_checkpoint(directory: Path, report=print) -> Path | None:
    """The complete, readable checkpoint with the highest step; others are reported and skipped."""
    if not directory.exists():
        return None
    done = sorted((p for p in directory.glob("step_*") if (p / STATE_FILE).exists()),
                  key=lambda p: int(p.name.split("_")[1]), reverse=True)
    for path in done:
        problem = unreadable(path)
        if problem is None:
            return path
        report(f"skipping checkpoint {problem}")
    return None


def _full(distributed: bool, **extra) -> StateDictOptions:
    return StateDictOptions(full_state_dict=True, cpu_offload=distributed, **extra)


def _untied(tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """safetensors refuses tensors sharing storage (tied weights): give the repeats their own copy."""
    seen, out = set(), {}
    for key, tensor in tensors.items():
        tensor = tensor.detach().contiguous()
        ptr = (tensor.untyped_storage().data_ptr(), tensor.storage_offset()) if tensor.numel() else None
        out[key] = tensor.clone() if ptr in seen else tensor
        if ptr is not None:
            seen.add(ptr)
    return out


def _rng_state() -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    kind, keys, pos, has_gauss, gauss = np.random.get_state()
    tensors = {"torch": torch.get_rng_state(), "numpy": torch.from_numpy(np.asarray(keys, dtype=np.int64))}
    if torch.cuda.is_available():
        tensors.update({f"cuda_{i}": s for i, s in enumerate(torch.cuda.get_rng_state_all())})
    meta = {"python": json.dumps(random.getstate()),
            "numpy": json.dumps([kind, int(pos), int(has_gauss), float(gauss)])}
    return tensors, meta


def _set_rng_state(path: Path) -> None:
    with safe_open(str(path), framework="pt") as fh:
        meta = fh.metadata() or {}
        tensors = {k: fh.get_tensor(k) for k in fh.keys()}
    version, internal, gauss = json.loads(meta["python"])
    random.setstate((version, tuple(internal), gauss))
    kind, pos, has_gauss, cached = json.loads(meta["numpy"])
    np.random.set_state((kind, tensors["numpy"].numpy().astype(np.uint32), pos, has_gauss, cached))
    torch.set_rng_state(tensors["torch"])
    cuda = [tensors[k] for k in sorted((k for k in tensors if k.startswith("cuda_")), key=lambda k: int(k[5:]))]
    if cuda and torch.cuda.is_available() and len(cuda) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all(cuda)


def save_checkpoint(accelerator, directory: Path, step: int, position: dict, model, optimizer, scheduler,
                    keep: int = 2) -> None:
    """Write the state to a temporary folder and rename it, so a kill mid-save leaves the last good one."""
    distributed = accelerator.num_processes > 1
    tmp = directory / f".tmp_step_{step}"
    if accelerator.is_main_process:
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
    accelerator.wait_for_everyone()
    options = _full(distributed)
    weights = get_model_state_dict(model, options=options)  # a collective under FSDP: every rank takes part
    optim = get_optimizer_state_dict(model, optimizer, options=options)
    rng, meta = _rng_state()
    save_file(rng, str(tmp / f"rng_{accelerator.process_index}.safetensors"), metadata=meta)
    if accelerator.is_main_process:
        save_file(_untied(weights), str(tmp / "model.safetensors"))
        save_file({f"{name}/{slot}": value.detach().contiguous() for name, slots in optim["state"].items()
                   for slot, value in slots.items() if torch.is_tensor(value)}, str(tmp / "optimizer.safetensors"))
        groups = {"param_groups": optim["param_groups"],
                  "scalars": {name: {slot: value for slot, value in slots.items() if not torch.is_tensor(value)}
                              for name, slots in optim["state"].items()}}
        (tmp / "optimizer.json").write_text(json.dumps(groups))
        (tmp / "scheduler.json").write_text(json.dumps(scheduler.state_dict()))
    accelerator.wait_for_everyone()
    if accelerator.is_main_process:
        (tmp / STATE_FILE).write_text(json.dumps({"step": step, **position}))
        final = directory / f"step_{step}"
        if final.exists():
            shutil.rmtree(final)
        os.replace(tmp, final)
        for old in sorted(directory.glob("step_*"), key=lambda p: int(p.name.split("_")[1]))[:-keep]:
            shutil.rmtree(old, ignore_errors=True)
    accelerator.wait_for_everyone()


def load_checkpoint(accelerator, path: Path, model, optimizer, scheduler) -> dict:
    """Restore model, optimiser, scheduler and this rank's generators; return the trainer state.

    With several processes only rank 0 reads the tensors and broadcasts them (a 7B model's full state
    is read once, not once per GPU).
    """
    distributed = accelerator.num_processes > 1
    main = accelerator.is_main_process or not distributed
    weights = load_file(str(path / "model.safetensors")) if main else {}
    optim: dict = {}
    if main:
        flat = load_file(str(path / "optimizer.safetensors"))
        groups = json.loads((path / "optimizer.json").read_text(encoding="utf-8"))
        state: dict[str, dict] = {name: dict(slots) for name, slots in groups["scalars"].items()}
        for key, value in flat.items():
            name, slot = key.rsplit("/", 1)
            state.setdefault(name, {})[slot] = value
        optim = {"state": state, "param_groups": groups["param_groups"]}
    options = _full(distributed, broadcast_from_rank0=distributed)
    set_model_state_dict(model, weights, options=options)
    set_optimizer_state_dict(model, optimizer, optim, options=options)
    scheduler.load_state_dict(json.loads((path / "scheduler.json").read_text(encoding="utf-8")))
    rng = path / f"rng_{accelerator.process_index}.safetensors"
    if rng.exists():
        _set_rng_state(rng)
    return json.loads((path / STATE_FILE).read_text(encoding="utf-8"))
