"""instruction_tuning: a base model (built tiny, or given) and one accelerate job per staged experiment."""

import copy
import json
import math
import shutil
from itertools import islice

import mlflow
import pytest
from kedro.runner import SequentialRunner

from xllm_kedro.corpora import ParallelCorpus, read_instructions, translation_instructions
from xllm_kedro.pipelines.instruction_tuning import create_pipeline
from xllm_kedro.spec.study import load_study
from xllm_kedro.training.tiny_model import load_model

from ...conftest import CPU_1PROC, RAW, parameters, response_loss, sample_parameters
from ..conftest import memory_catalog, small_parameters

TRAIN_INPUTS = ["base_model", "params:training", "params:launcher", "params:trust_remote_code"]


def test_one_training_node_per_staged_experiment_and_a_base_model_node_when_built(use_parameters):
    params = use_parameters(sample_parameters())  # declared experiments, the sweep, two budgeted runs
    study = load_study(params)
    assert study.staged and study.budgeted  # both kinds are declared, so the split below is tested
    pipeline = create_pipeline()
    staged = {e.name for e in study.staged}
    assert {n.name for n in pipeline.nodes} == {"build_base_model_node"} | {f"{e}.train_model_node" for e in staged}
    for node in pipeline.nodes:
        if node.name != "build_base_model_node":
            exp = node.namespace
            assert node.inputs == [f"{exp}.train_mix", *TRAIN_INPUTS] and node.outputs == [f"{exp}.model"]
    # the budgeted runs wait for the allocation: they belong to the budgeted pipeline
    assert pipeline.outputs() == {f"{e}.model" for e in staged}
    texts = {"en.alpaca_instructions"} | {f"{lang}.{kind}_instructions" for lang in study.languages
                                          for kind in ("alpaca", "translation")}
    assert pipeline.inputs() == texts | {f"{e}.train_mix" for e in staged} | {"params:base_model", *TRAIN_INPUTS[1:]}

    params["base_model"] = {**params["base_model"], "build_tiny": False}  # a model directory from the catalog
    use_parameters(params)
    given = create_pipeline()
    assert "build_base_model_node" not in {n.name for n in given.nodes} and "base_model" in given.inputs()
    assert {n.name for n in given.nodes} == {f"{e}.train_model_node" for e in staged}


def _instructions(lang: str, n_pairs: int) -> tuple[list[dict], list[dict]]:
    alpaca = list(read_instructions(RAW / "alpaca" / f"{lang}.json"))
    pairs = ParallelCorpus(RAW / "parallel" / f"en-{lang}.en", RAW / "parallel" / f"en-{lang}.{lang}")
    return alpaca, list(translation_instructions(islice(pairs, n_pairs), lang, seed=0))


@pytest.mark.slow
def test_every_experiment_gets_a_model_that_learned_its_own_mix(use_parameters, tmp_path, mlflow_store):
    mlflow_store("instruction_tuning_test")
    experiments = {f"x_{lang}": {"sources": ["alpaca_en", f"alpaca_{lang}", f"translation_en_{lang}"],
                                 "eval_languages": [lang]} for lang in ("zh", "vi")}
    params = small_parameters(["zh", "vi"], experiments)
    params["base_model"] = {"build_tiny": True, "vocab_size": 400, "seed": 0,
                            "config": {"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2,
                                       "num_attention_heads": 2, "num_key_value_heads": 2,
                                       "max_position_embeddings": 256}}
    params["training"] = {**params["training"], "learning_rate": 1e-2, "num_epochs": 8, "global_batch_size": 8,
                          "per_device_batch_size": 8, "max_length": 256, "save_every": 0}
    params["launcher"] = {"accelerate_config": str(CPU_1PROC), "workdir": str(tmp_path / "jobs")}
    use_parameters(params)
    english = list(read_instructions(RAW / "alpaca" / "en.json"))
    data, mixes = {"en.alpaca_instructions": english}, {}
    for lang in ("zh", "vi"):
        alpaca, translation = _instructions(lang, 12)
        data.update({f"{lang}.alpaca_instructions": alpaca, f"{lang}.translation_instructions": translation})
        mixes[f"x_{lang}"] = english + alpaca + translation
    catalog = memory_catalog(params, keep=("base_model", "x_zh.model", "x_vi.model"),
                             **data, **{f"{exp}.train_mix": mix for exp, mix in mixes.items()})
    SequentialRunner().run(create_pipeline(), catalog)

    base = catalog["base_model"].load()
    try:
        _, base_tokenizer = load_model(base)
        for exp, mix in mixes.items():
            model_dir = catalog[f"{exp}.model"].load()
            run = model_dir.parent  # each run trains in a work folder of its own under the experiment's
            assert model_dir.name == "model" and run.parent == tmp_path / "jobs" / exp and run.name.startswith("run-")
            model, tokenizer = load_model(model_dir)
            assert model.config.vocab_size == len(base_tokenizer) and tokenizer.get_vocab() == base_tokenizer.get_vocab()
            summary = json.loads((model_dir / "train_summary.json").read_text())
            assert summary["train_examples"] == len(mix) == 36 and summary["dropped_no_room_for_response"] == 0
            assert summary["steps"] == 8 * math.ceil(36 / 8)  # epochs x optimiser steps per epoch
            job = json.loads((run / "job.json").read_text())
            assert job["base_model_dir"] == str(base) and job["num_epochs"] == 8
            before, after = response_loss(base, mix), response_loss(model_dir, mix)
            assert after < 0.75 * before, (exp, before, after)  # clearly learned (about 0.6 here), not noise
    finally:
        assert base.name.startswith("base_model_")  # build_base_model_node's own scratch folder, nothing above it
        shutil.rmtree(base, ignore_errors=True)
    runs = mlflow.search_runs(experiment_names=["instruction_tuning_test"], output_format="list")
    assert sorted((r.info.run_name, r.info.status) for r in runs) == [("train/x_vi", "FINISHED"),
                                                                       ("train/x_zh", "FINISHED")]


def test_the_sweep_node_hands_its_settings_to_the_job():
    params = copy.deepcopy(parameters("test"))
    params["sweep"]["training"] = {"max_steps": 7}
    study = load_study(params)
    nodes = {n.name: n for n in create_pipeline(study).nodes}
    point = study.sweep[0]
    node = next(n for name, n in nodes.items() if name.startswith(f"{point.name}.train_model_node"))
    assert node.func.keywords["overrides"] == {"max_steps": 7}
