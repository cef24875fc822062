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
    ("gpu1", ("ar", "el", "hi", "tr", "vi", "zh"), 2),  # one GPU, a smaller study
])
def test_every_shipped_environment_is_a_valid_study(env, languages, budgeted):
    study = load_study(parameters(env))
    assert study.languages == languages and len(study.budgeted) == budgeted
    assert {e.name for e in study.staged} | {e.name for e in study.budgeted} == {e.name for e in study.experiments}
    assert all(e.sweep.language in languages for e in study.sweep)
    assert set(study.units) == {e.name for e in study.experiments}  # every experiment knows what it is scored on
    assert set(study.corpora) == set(languages)


@pytest.mark.parametrize("env", ["base", "paper"])
def test_coit_and_muit_are_scored_in_english_on_qa_only(env):
    """English retention: the CoIT and MuIT models answer English QA; English is never a translation unit."""
    study = load_study(parameters(env))
    for name in ("m_all", *(e.name for e in study.staged if e.name.startswith("x_"))):
        units = study.units[name]
        assert ("qa", "en") in units, name
        assert all(lang != "en" for task, lang in units if study.tasks[task].kind == "translation")
    assert {pair[0] for pair in study.baselines} >= {"m_all"} and {b for _, b in study.baselines} == {"alpaca_en"}


def test_figure_6_has_every_row_in_the_paper_config():
    sources = {e.name: set(e.sources) for e in load_study(parameters("paper")).experiments}
    rows = [{"alpaca_en"}, {"alpaca_zh"}, {"translation_en_zh"}, {"alpaca_en", "alpaca_zh"},
            {"alpaca_en", "alpaca_zh", "translation_en_zh"}, {"alpaca_en", "alpaca_zh", "translation_zh_en"}]
    assert all(row in sources.values() for row in rows)


@pytest.mark.parametrize("change, key", [
    ({"significance": {"baselines": {"x_qaa": "nope"}}}, "significance.baselines"),
    ({"significance": {"baselines": {"x_qaa": "x_qaa"}}}, "own baseline"),
    ({"scaling": {"law": "shared"}}, "scaling.law"),
    ({"scaling": {"gamma_method": "cka"}}, "scaling.gamma_method"),
])
def test_bad_significance_and_scaling_choices_name_the_key(change, key):
    params = parameters("base")
    for section, value in change.items():
        params[section] = {**params[section], **value}
    with pytest.raises(ValueError, match=key):
        load_study(params)


def test_run_experiments_cuts_the_declared_experiments_and_what_names_them():
    params = parameters("paper")
    full = load_study(params)
    cut = load_study({**params, "run_experiments": ["alpaca_en", "x_zh", "m_all"]})
    declared = {e.name for e in cut.experiments if not e.sweep and not e.budgeted}
    assert declared == {"alpaca_en", "x_zh", "m_all"}
    assert len(cut.sweep) == len(full.sweep) > 0 and len(cut.budgeted) == len(full.budgeted) == 2
    assert set(cut.baselines) == {("x_zh", "alpaca_en"), ("m_all", "alpaca_en")} < set(full.baselines)
    assert set(cut.mi_eval.models) == {"alpaca_en", "x_zh", "m_all"}
    with pytest.raises(ValueError, match=r"run_experiments: \['x_xx'\] are not declared experiments"):
        load_study({**params, "run_experiments": ["x_xx"]})
