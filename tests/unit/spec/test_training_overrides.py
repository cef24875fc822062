"""A run's own training settings: the sweep trains every size for the same steps, an experiment may
declare its own, and a key the job does not know is refused before any node runs."""

from __future__ import annotations

import copy

import pytest

from xllm_kedro.spec.study import StudyError, load_study

from ...conftest import parameters


def test_sweep_points_carry_the_sweep_training_settings_and_others_do_not():
    params = copy.deepcopy(parameters("test"))
    params["sweep"]["training"] = {"max_steps": 7}
    params["experiments"][next(iter(params["experiments"]))]["training"] = {"learning_rate": 0.5}
    study = load_study(params)
    assert study.sweep and all(dict(e.training) == {"max_steps": 7} for e in study.sweep)
    first = next(e for e in study.experiments if not e.sweep)
    assert dict(first.training) == {"learning_rate": 0.5}
    assert all(e.training == () for e in study.experiments if not e.sweep and e is not first)


@pytest.mark.parametrize("key", ["max_stpes", "output_dir", "train_file"])
def test_unknown_or_job_owned_training_keys_are_refused_with_their_key(key):
    params = copy.deepcopy(parameters("test"))
    params["sweep"]["training"] = {key: 1}
    with pytest.raises((StudyError, ValueError), match=r"sweep\.training"):
        load_study(params)

