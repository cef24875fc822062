"""The paper's batch: under ``packed`` every optimiser step consumes exactly ``global_batch_size`` examples,
whatever their lengths and however many processes share them; best-fit packing keeps its bounds."""

from __future__ import annotations

import json
import random

import mlflow
import pytest

from xllm_kedro.corpora import read_instructions
from xllm_kedro.files import write_jsonl
from xllm_kedro.training.batching import epoch_steps, step_examples
from xllm_kedro.training.config import TrainConfig
from xllm_kedro.training.launch import train_with_accelerate
from xllm_kedro.training.packing import pack_examples

from ...conftest import CPU_1PROC, RAW


def _cfg(**overrides) -> TrainConfig:
    return TrainConfig(**{"base_model_dir": "m", "train_file": "t", "output_dir": "o", "global_batch_size": 128,
                          "per_device_batch_size": 4, "max_length": 512, "batching": "packed", **overrides})


def _lengths(n: int, seed: int = 0) -> list[int]:
    rng = random.Random(seed)
    return [min(512, max(8, int(rng.lognormvariate(4.6, 0.8)))) for _ in range(n)]


@pytest.mark.parametrize("world", [1, 2, 8])
def test_each_packed_step_consumes_exactly_the_global_batch(world):
    lengths = _lengths(128 * 25 + 40)
    cfg = _cfg()
    steps = epoch_steps(cfg, lengths, 0, world)
    seen = [step_examples(s, packed=True) for s in steps]
    assert [len(s) for s in seen[:-1]] == [128] * 25  # the paper's batch, in examples, not rows
    assert len(seen[-1]) == 40 and steps[-1].examples == 40  # the epoch's remainder, a multiple of `world`
    flat = [i for s in seen for i in s]
    assert sorted(flat) == list(range(len(lengths)))  # each example once per epoch
    rows_per_step = {sum(len(mb) for rank in s.micro for mb in rank) for s in steps[:-1]}
    assert len(rows_per_step) > 1  # the rows (token volume) per step vary with the lengths
    for step in steps:
        micro = {len(rank) for rank in step.micro}
        assert len(step.micro) == world and len(micro) == 1  # every process runs as many micro-batches
        for rank in step.micro:
            for mb in rank:
                assert 1 <= len(mb) <= cfg.per_device_batch_size
                assert all(sum(lengths[i] for i in row) <= cfg.max_length for row in mb)


def test_a_short_remainder_is_cut_to_the_processes_and_a_row_split_to_share_it():
    lengths = [10] * 6  # six examples fit one row; two processes need two rows
    steps = epoch_steps(_cfg(global_batch_size=4), lengths, 0, 2)
    assert [s.examples for s in steps] == [4, 2]
    assert all(len(rank) == 1 and len(rank[0]) == 1 for s in steps for rank in s.micro)


def test_token_budget_counts_rows_and_the_padded_modes_count_examples():
    lengths = _lengths(1000)
    budget = epoch_steps(_cfg(batching="token_budget", global_batch_size=8, per_device_batch_size=4), lengths, 0, 2)
    assert all(sum(len(mb) for rank in s.micro for mb in rank) == 8 for s in budget[:-1])
    assert len({s.examples for s in budget}) > 1
    for mode in ("length_grouped", "random"):
        steps = epoch_steps(_cfg(batching=mode, global_batch_size=8, per_device_batch_size=2), lengths, 0, 2)
        assert [s.examples for s in steps] == [8] * 125
        assert all(len(rank) == 2 for s in steps for rank in s.micro)


def test_a_global_batch_the_processes_cannot_share_is_refused():
    with pytest.raises(ValueError, match="global_batch_size 126 is not a multiple of 4 processes"):
        epoch_steps(_cfg(global_batch_size=126), [10] * 300, 0, 4)


def _first_fit(lengths: list[int], max_length: int) -> int:
    room: list[int] = []
    for n in sorted(lengths, reverse=True):
        for r, free in enumerate(room):
            if n <= free:
                room[r] -= n
                break
        else:
            room.append(max_length - n)
    return len(room)


def test_best_fit_keeps_every_example_within_rows_and_uses_no_more_rows_than_first_fit():
    lengths = _lengths(5000, seed=3)
    rows = pack_examples(lengths, 512, seed=0, epoch=0)
    assert sorted(i for r in rows for i in r) == list(range(5000))
    assert all(sum(lengths[i] for i in r) <= 512 for r in rows)
    assert len(rows) <= _first_fit(lengths, 512)
    assert rows != pack_examples(lengths, 512, seed=0, epoch=1)  # each epoch packs afresh
    assert rows == pack_examples(lengths, 512, seed=0, epoch=0)  # and reproducibly


@pytest.mark.slow  # one tiny training job: about 5 s
def test_the_job_feeds_the_model_exactly_the_global_batch_each_step(tmp_path, tiny_model_dir, mlflow_store):
    mlflow_store("paper_batch")
    records = list(read_instructions(RAW / "alpaca" / "en.json")) * 2  # 24 examples
    write_jsonl(tmp_path / "train.jsonl", records)
    cfg = TrainConfig(base_model_dir=str(tiny_model_dir), train_file=str(tmp_path / "train.jsonl"),
                      output_dir=str(tmp_path / "out"), global_batch_size=8, per_device_batch_size=1,
                      max_length=256, num_epochs=1, batching="packed", learning_rate=1e-3)
    out = train_with_accelerate(cfg, CPU_1PROC, tmp_path / "job", run_name="train/paper_batch", in_process=True)
    assert json.loads((out / "train_summary.json").read_text())["steps"] == 3
    [run] = mlflow.search_runs(experiment_names=["paper_batch"], output_format="list")
    history = mlflow.MlflowClient().get_metric_history(run.info.run_id, "batch_examples")
    assert [m.value for m in sorted(history, key=lambda m: m.step)] == [8, 8, 8]  # counted from the collated batches
    assert run.data.params["global_batch_unit"] == "examples" and run.data.params["micro_batches_per_step"] == "varies"
