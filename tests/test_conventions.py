"""Project conventions: declared datasets at pipeline boundaries, layers everywhere, a kedro-free library."""

from __future__ import annotations

import ast
import re

import pytest
import yaml
from kedro.framework.project import configure_project, pipelines
from kedro.framework.startup import bootstrap_project

from .conftest import PROJECT_ROOT

PACKAGE = PROJECT_ROOT / "src" / "xllm_kedro"
KEDRO_LAYER = {"pipelines", "datasets", "hooks.py", "settings.py", "pipeline_registry.py", "__main__.py"}
LIBRARY = sorted(p.name for p in PACKAGE.iterdir()
                 if p.name not in KEDRO_LAYER and (p.suffix == ".py" or (p / "__init__.py").exists()))
LAYERS = {"raw", "intermediate", "primary", "feature", "model_input", "models", "model_output", "reporting",
          "budgeted_model_input", "budgeted_models", "budgeted_model_output", "budgeted_reporting"}


@pytest.fixture(scope="module")
def registry():
    bootstrap_project(PROJECT_ROOT)
    configure_project("xllm_kedro")
    return dict(pipelines)


def catalog_patterns() -> list[str]:
    return list(yaml.safe_load((PROJECT_ROOT / "conf" / "base" / "catalog.yml").read_text()))


def declared(name: str) -> bool:
    for pattern in catalog_patterns():
        regex = "^" + re.sub(r"\\\{[^}]+\\\}", ".+", re.escape(pattern)) + "$"
        if re.match(regex, name):
            return True
    return False


PIPELINES = ["data_preparation", "instruction_tuning", "evaluation", "mi_eval", "scaling_analysis", "allocation",
             "representation_analysis", "budgeted"]


def test_the_eight_pipelines_and_the_default_are_registered(registry):
    assert set(registry) == {*PIPELINES, "__default__"}
    assert all(registry[name].nodes for name in PIPELINES)  # conf/base gives every pipeline something to do
    assert set(registry["__default__"].nodes) == {n for name in PIPELINES for n in registry[name].nodes}


def test_every_dataset_crossing_a_pipeline_boundary_is_declared(registry):
    crossing = set()
    for name in PIPELINES:
        outputs = registry[name].all_outputs()
        for other in PIPELINES:
            if other != name:
                crossing |= outputs & registry[other].all_inputs()
    assert crossing, "the pipelines should be connected through the catalog"
    assert "allocation_table" in crossing and "scaling_laws" in crossing  # budgeted closes the loop
    undeclared = sorted(d for d in crossing if not declared(d))
    assert not undeclared, f"datasets shared between pipelines but not in catalog.yml: {undeclared}"


def test_no_output_of_the_default_pipeline_falls_back_to_memory(registry):
    outputs = registry["__default__"].all_outputs()
    assert not sorted(d for d in outputs if not declared(d))


def test_every_catalog_entry_has_a_kedro_viz_layer():
    for name, entry in yaml.safe_load((PROJECT_ROOT / "conf" / "base" / "catalog.yml").read_text()).items():
        assert entry["metadata"]["kedro-viz"]["layer"] in LAYERS, name


def test_the_library_set_is_every_package_outside_the_kedro_layer():
    assert {"analysis", "corpora", "evaluation", "spec", "training"} <= set(LIBRARY)
    assert not set(LIBRARY) & KEDRO_LAYER


@pytest.mark.parametrize("module", LIBRARY)
def test_library_never_imports_kedro(module):
    files = list((PACKAGE / module).rglob("*.py")) if (PACKAGE / module).is_dir() else [PACKAGE / module]
    for path in files:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                assert not any(a.name.split(".")[0] in {"kedro", "kedro_datasets", "kedro_mlflow"} for a in node.names), path
            if isinstance(node, ast.ImportFrom) and node.module:
                assert node.module.split(".")[0] not in {"kedro", "kedro_datasets", "kedro_mlflow"}, path
