"""The controlled world's answer key, checked on the shipped recipe (conf/base): an English base taught by
its curriculum, then tuned English-only or with CoIT data as the default experiments are. Asserted: CoIT
beats English-only by 10 points on the near language's En->X chrF and QA exact match, and gamma ranks
the languages as constructed."""

from __future__ import annotations

import json

import mlflow
import pytest

from xllm_kedro.analysis.representations import language_gammas
from xllm_kedro.corpora import build_mix, build_text_mix, read_instructions, translation_instructions
from xllm_kedro.corpora.instructions import InstructionFile
from xllm_kedro.corpora.monolingual import MonolingualText
from xllm_kedro.evaluation.runner import evaluate_model
from xllm_kedro.pipelines.instruction_tuning.nodes import run_training_job
from xllm_kedro.spec.tasks import load_tasks
from xllm_kedro.training.tiny_model import build_tiny_llama, load_model, save_model, train_tokenizer
from xllm_kedro.world import write_world

from .conftest import CPU_1PROC, parameters

pytestmark = pytest.mark.slow  # the base curriculum and two tuning jobs: a few minutes on 2 cores


@pytest.fixture(scope="module")
def world_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("world_effects")
    params = parameters("base")
    world = root / "world"
    write_world(world, **params["world"])
    before = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(f"sqlite:///{root / 'mlflow.db'}")
    mlflow.set_experiment("world_effects")  # an experiment of this store, not one an earlier test left active
    launcher = {"accelerate_config": str(CPU_1PROC), "workdir": str(root / "jobs"), "in_process": True,
                "cpu_threads": params["launcher"]["cpu_threads"]}
    sources = {"copy_en": MonolingualText(world / "copy" / "en.txt"),
               "promptcopy_en": InstructionFile(world / "copy" / "en_prompted.json"),
               "repeat_en": InstructionFile(world / "copy" / "en_repeat.json"),
               "alpaca_en": list(read_instructions(world / "alpaca" / "en.json")),
               "alpaca_qaa": list(read_instructions(world / "alpaca" / "qaa.json")),
               "translation_en_qaa": list(translation_instructions(
                   zip((world / "parallel" / "en-qaa.en").read_text().splitlines(),
                       (world / "parallel" / "en-qaa.qaa").read_text().splitlines()), "qaa", seed=0))}
    texts = [r["text"] for r in build_text_mix(sources, ["alpaca_en", "alpaca_qaa", "translation_en_qaa", "copy_en"],
                                               seed=0)]
    base = params["base_model"]
    tokenizer = train_tokenizer(texts, vocab_size=base["vocab_size"], add_prefix_space=base["add_prefix_space"])
    model = root / "untrained"
    save_model(build_tiny_llama(tokenizer, seed=base["seed"], **base["config"]), tokenizer, model)
    for stage in params["pretraining"]["stages"]:
        text = stage["objective"] == "pretraining"
        mix = (build_text_mix if text else build_mix)(sources, stage["sources"], seed=0)
        model = run_training_job(mix, model, stage["training"], launcher, False, f"base_{stage['name']}",
                                 objective=stage["objective"])
    runs = {name: run_training_job(build_mix(sources, specs, seed=0), model, params["training"], launcher, False, name)
            for name, specs in (("english_only", params["experiments"]["alpaca_en"]["sources"]),
                                ("coit_qaa", params["experiments"]["x_qaa"]["sources"]))}
    yield world, params, model, runs
    mlflow.set_tracking_uri(before)


def test_gamma_ranks_the_languages_as_they_were_built(world_run):
    world, params, base, _ = world_run
    llm, tokenizer = load_model(base)
    lines = {lang: (world / "multiway" / f"{lang}.txt").read_text().splitlines() for lang in ("en", "qaa", "qab", "qac")}
    gammas = language_gammas(llm, tokenizer, lines.pop("en"), lines, layer=params["scaling"]["similarity_layer"])
    assert gammas["qaa"] > gammas["qab"] > gammas["qac"]


def test_coit_beats_english_only_on_near_language_translation_and_qa(world_run):
    world, params, _, runs = world_run
    tasks = load_tasks(params["tasks"])
    data = {("translation", lang): (world / "multiway" / f"{lang}.txt").read_text() for lang in ("en", "qaa")}
    data[("qa", "qaa")] = json.loads((world / "qa" / "qaa.json").read_text())
    scores = {}
    for name, model_dir in runs.items():
        llm, tokenizer = load_model(model_dir)
        _, metrics = evaluate_model(llm, tokenizer, tasks, [("translation", "qaa"), ("qa", "qaa")], data, batch_size=50)
        scores[name] = {"chrf": metrics["translation.en-qaa.chrf"], "em": metrics["qa.qaa.exact_match"]}
    assert scores["coit_qaa"]["chrf"] >= scores["english_only"]["chrf"] + 10, scores
    assert scores["coit_qaa"]["em"] >= scores["english_only"]["em"] + 10, scores
