"""The sweep's sizes: one list for every language, or one list per language, so each language is swept
where its curve is a power law."""

from __future__ import annotations

import copy

from xllm_kedro.spec.study import load_study

from ...conftest import parameters


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
    assert _points(params) == {lang: [10, 20, 40] for lang in params["sweep"]["languages"]}


def test_a_mapping_sweeps_each_language_at_its_own_sizes():
    params = copy.deepcopy(parameters("base"))
    params["sweep"]["translation_sizes"] = {"qaa": [4, 8, 16], "qab": [64, 32, 16, 128], "qac": [100, 300, 200]}
    assert _points(params) == {"qaa": [4, 8, 16], "qab": [16, 32, 64, 128], "qac": [100, 200, 300]}
