"""The sweep's sizes: one list for every language, and one list per language where named, so each language
is swept where its curve is a power law; a ``--params`` list override merges into every environment."""

from __future__ import annotations

import copy

import pytest
from kedro.config import OmegaConfigLoader

from xllm_kedro.spec.study import load_study

from ...conftest import PROJECT_ROOT, parameters


def _points(params) -> dict[str, list[int]]:
    study = load_study(params)
    points: dict[str, list[int]] = {}
    for e in study.sweep:
        points.setdefault(e.sweep.language, []).append(e.sweep.size)
        assert e.sources[-1] == f"translation_en_{e.sweep.language}:{e.sweep.size}"
        assert e.name == f"sweep_{e.sweep.language}_{e.sweep.size}"
    return points


def test_one_list_sweeps_every_language_at_the_same_sizes():
    params = copy.deepcopy(parameters("base"))
    params["sweep"]["translation_sizes"] = [40, 10, 20]
    params["sweep"]["translation_sizes_per_language"] = {}
    assert _points(params) == {lang: [10, 20, 40] for lang in params["sweep"]["languages"]}


def test_per_language_lists_win_for_the_languages_they_name():
    params = copy.deepcopy(parameters("base"))
    params["sweep"]["translation_sizes"] = [40, 10, 20]
    params["sweep"]["translation_sizes_per_language"] = {"qab": [64, 32, 16, 128], "qac": [100, 300, 200]}
    assert _points(params) == {"qaa": [10, 20, 40], "qab": [16, 32, 64, 128], "qac": [100, 200, 300]}


@pytest.mark.parametrize("env", ["base", "paper", "test"])
def test_a_params_list_override_of_the_sizes_loads_in_every_env(env):
    """Kedro merges runtime params into the base parameters and into the env's: the rehearsal's
    ``sweep.translation_sizes=[8, 16, 32]`` once met a per-language mapping there and failed to merge."""
    loader = OmegaConfigLoader(conf_source=str(PROJECT_ROOT / "conf"), base_env="base", default_run_env=env, env=env,
                               runtime_params={"sweep": {"translation_sizes": [8, 16, 32]}})
    assert loader["parameters"]["sweep"]["translation_sizes"] == [8, 16, 32]
