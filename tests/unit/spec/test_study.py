"""The study spec of every shipped configuration: what each pipeline is built from."""

from __future__ import annotations

import pytest

from xllm_kedro.spec.study import load_study

from ...conftest import parameters


@pytest.mark.parametrize("env, languages, budgeted", [
    ("base", ("qaa", "qab", "qac"), 2),  # the controlled world
    ("sample", ("zh", "vi"), 2),
    ("test", ("zh",), 0),
    ("paper", ("ar", "el", "hi", "tr", "vi", "zh"), 2),
])
def test_every_shipped_environment_is_a_valid_study(env, languages, budgeted):
    study = load_study(parameters(env))
    assert study.languages == languages and len(study.budgeted) == budgeted
    assert {e.name for e in study.staged} | {e.name for e in study.budgeted} == {e.name for e in study.experiments}
    assert all(e.sweep.language in languages for e in study.sweep)
    assert set(study.units) == {e.name for e in study.experiments}  # every experiment knows what it is scored on
    assert set(study.corpora) == set(languages)
