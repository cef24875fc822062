"""conf/gpu1, the first real run on one GPU, loaded as Kedro loads it (the project's config loader
settings) and validated by the project's own study spec, so that a typo in it fails here and not on the
GPU node. Its shared files are symlinks to conf/paper's; its own are the model, the study's size and
the one-GPU launcher."""

from __future__ import annotations

from importlib import import_module

import pytest
import yaml

from xllm_kedro.spec.study import load_study

from .conftest import PROJECT_ROOT

GPU1 = PROJECT_ROOT / "conf" / "gpu1"


@pytest.fixture(scope="module")
def loader():
    from kedro.config import OmegaConfigLoader

    from xllm_kedro.settings import CONFIG_LOADER_ARGS

    return OmegaConfigLoader(conf_source=str(PROJECT_ROOT / "conf"), env="gpu1", **CONFIG_LOADER_ARGS)


@pytest.fixture(scope="module")
def study(loader):
    return load_study(loader["parameters"])


def test_every_shared_file_is_a_symlink_that_resolves_into_conf_paper():
    shared = sorted(p.name for p in GPU1.iterdir() if p.is_symlink())
    assert shared == ["catalog.yml", "parameters_data_preparation.yml", "parameters_evaluation.yml",
                      "parameters_mi_eval.yml", "parameters_representation_analysis.yml",
                      "parameters_scaling_analysis.yml"]
    assert all((GPU1 / name).resolve() == PROJECT_ROOT / "conf" / "paper" / name for name in shared)
    assert all((GPU1 / name).resolve().is_file() for name in shared)  # none dangles after a rename in conf/paper


def test_the_study_is_the_papers_six_languages_smaller(study):
    assert study.languages == ("ar", "el", "hi", "tr", "vi", "zh")
    declared = {e.name for e in study.experiments if not e.sweep and not e.budgeted}
    assert declared == {"alpaca_en", "m_all", *(f"x_{lang}" for lang in study.languages)}
    assert {(e.sweep.language, e.sweep.size) for e in study.sweep} == {
        (lang, size) for lang in study.languages for size in (10000, 25000, 50000)}
    assert len(study.budgeted) == 2 and set(study.mi_eval.models) == declared
    assert set(study.units) == {e.name for e in study.experiments}
    assert set(study.tasks) == {"qa", "mlqa", "translation"}  # the paper's tasks


def test_the_model_is_a_local_directory_and_the_launcher_one_gpu_in_bf16(loader):
    params = loader["parameters"]
    model = loader["catalog"]["base_model"]
    assert model["type"] == "xllm_kedro.datasets.HFModelDataset" and model["filepath"] == "data/01_raw/smollm2-360m"
    assert params["base_model"]["build_tiny"] is False
    launcher = yaml.safe_load((PROJECT_ROOT / params["launcher"]["accelerate_config"]).read_text(encoding="utf-8"))
    assert launcher["num_processes"] == 1 and launcher["mixed_precision"] == "bf16"
    assert launcher["fsdp_config"]["fsdp_transformer_layer_cls_to_wrap"] == "LlamaDecoderLayer"  # SmolLM2 is a LLaMA


def test_every_input_of_the_pipelines_is_a_hub_source_the_model_or_a_parameter(loader, study):
    """What the run reads from outside: the hub (through conf/paper's cited entries), the model directory,
    parameters and the credentials the hook adds; nothing from conf/base's local raw files."""
    from kedro.io import DataCatalog
    from kedro.pipeline import Pipeline

    from xllm_kedro.pipeline_registry import STAGES

    pipeline = sum((import_module(f"xllm_kedro.pipelines.{s}").create_pipeline(study=study) for s in STAGES),
                   Pipeline([]))
    catalog = DataCatalog.from_config(loader["catalog"])
    params = loader["parameters"]
    kinds = {}
    for name in pipeline.inputs():
        if name.startswith("params:"):
            value = params
            for key in name.removeprefix("params:").split("."):
                value = value[key]  # a KeyError names a parameter the pipelines need and gpu1 lacks
        elif not name.endswith("_credentials"):
            kinds[name] = type(catalog.get(name)).__name__
    assert kinds.pop("base_model") == "HFModelDataset"
    assert set(kinds.values()) == {"HubDataset"}, kinds
    assert {name.split(".")[0] for name in kinds} == {"en", *study.languages}
