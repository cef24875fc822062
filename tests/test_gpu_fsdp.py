"""The FSDP2 path of the paper environment, on a real GPU (skipped, with the reason, on CPU-only machines)."""

from __future__ import annotations

import json

import mlflow
import pytest
import torch
import yaml

from xllm_kedro.corpora import read_instructions
from xllm_kedro.files import write_jsonl
from xllm_kedro.training.config import TrainConfig
from xllm_kedro.training.launch import train_with_accelerate

from .conftest import PROJECT_ROOT, RAW

pytestmark = [pytest.mark.gpu,
              pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU for FSDP2 in bf16")]


def test_fsdp2_bf16_trains_the_tiny_model_on_one_gpu(tmp_path, tiny_model_dir):
    config = PROJECT_ROOT / "conf" / "paper" / "accelerate" / "fsdp_1gpu.yaml"
    assert yaml.safe_load(config.read_text())["fsdp_config"]["fsdp_version"] == 2
    mlflow.set_tracking_uri(f"sqlite:///{tmp_path / 'mlflow.db'}")
    mlflow.set_experiment("fsdp_gpu_test")
    write_jsonl(tmp_path / "train.jsonl", list(read_instructions(RAW / "alpaca" / "en.json")))
    cfg = TrainConfig(base_model_dir=str(tiny_model_dir), train_file=str(tmp_path / "train.jsonl"),
                      output_dir=str(tmp_path / "out"), global_batch_size=4, per_device_batch_size=2,
                      num_epochs=2, learning_rate=1e-3, batching="packed", max_length=1024)
    out = train_with_accelerate(cfg, config, tmp_path / "job", run_name="train/fsdp")
    summary = json.loads((out / "train_summary.json").read_text())
    assert summary["steps"] > 0 and summary["final_train_loss"] < 7
    assert (out / "model.safetensors").exists()
