"""Pipelines are generated from parameters: these fixtures point the generator at a test's own, and
run a pipeline on an in-memory catalog."""

from __future__ import annotations

import copy

import pytest
from kedro.io import DataCatalog, MemoryDataset

from xllm_kedro.pipelines import _build

from ..conftest import sample_parameters


def small_parameters(languages: list[str], experiments: dict, **sections) -> dict:
    """The sample's parameters (``--env sample``) cut down to ``languages`` and ``experiments``: no sweep, no
    scaling, no allocation, no representation analysis, unless ``sections`` puts them back."""
    params = sample_parameters()
    params.update(languages=languages, experiments=experiments, sweep={}, scaling={}, representation_analysis={},
                  allocation={"budgets": [], "budget_fractions": []})
    params.update(sections)
    return params


@pytest.fixture
def use_parameters():
    """Call with a parameters dict; pipelines built afterwards follow it."""
    saved = dict(_build._run)

    def _use(params: dict) -> dict:
        _build.use_parameters(params, key=object())
        return params

    yield _use
    _build._run.clear()
    _build._run.update(saved)


class KeptDataset(MemoryDataset):
    """A MemoryDataset the runner cannot release, so a test can read intermediate outputs afterwards."""

    def _release(self) -> None:
        pass


def memory_catalog(params: dict, keep: tuple[str, ...] = (), **data) -> DataCatalog:
    catalog = DataCatalog()
    for key in keep:
        catalog[key] = KeptDataset()
    for key, value in data.items():
        catalog[key] = MemoryDataset(value, copy_mode="assign")
    for key, value in params.items():
        catalog[f"params:{key}"] = MemoryDataset(copy.deepcopy(value), copy_mode="assign")
        if isinstance(value, dict):
            for sub, subvalue in value.items():
                catalog[f"params:{key}.{sub}"] = MemoryDataset(copy.deepcopy(subvalue), copy_mode="assign")
    return catalog
