"""Pre-training in the study spec: the English base, continued pre-training experiments (Figure 7) and
their comparison, each problem named by its parameter key."""

from __future__ import annotations

import pytest

from xllm_kedro.spec.study import StudyError, load_study

TASKS = {"translation": {"kind": "translation", "data": "{lang}.flores_raw", "instruction": "From {src} to {tgt}.",
                         "generation": {"max_new_tokens": 8}, "metrics": ["chrf"]}}


def params(**changes) -> dict:
    base = {"languages": ["qab"], "tasks": TASKS, "base_model": {"build_tiny": True},
            "experiments": {"x_qab": {"sources": ["alpaca_en", "translation_en_qab"], "eval_languages": ["qab"]},
                            "cpt_qab": {"pretraining": ["monolingual_qab:100"], "sources": ["alpaca_en"],
                                        "eval_languages": ["qab"]},
                            "cpt_only": {"pretraining": ["monolingual_qab"], "eval_languages": ["qab"]}},
            "pretraining": {"enabled": True, "training": {}, "stages": [
                {"name": "copy", "objective": "pretraining", "sources": ["copy_en"], "training": {}},
                {"name": "english", "objective": "sft", "sources": ["alpaca_en:50", "repeat_en"], "training": {}}]},
            "continued_pretraining_report": {"language": "qab", "experiments": ["x_qab", "cpt_qab", "cpt_only"]}}
    return {**base, **changes}


def test_pretraining_sources_reach_the_spec():
    study = load_study(params())
    exps = {e.name: e for e in study.experiments}
    assert exps["cpt_qab"].pretraining == ("monolingual_qab:100",) and exps["cpt_qab"].sources == ("alpaca_en",)
    assert exps["cpt_only"].sources == () and exps["cpt_only"].pretraining_names() == ["monolingual_qab"]
    assert study.pretrain_base and [s.name for s in study.base_pretraining] == ["copy", "english"]
    assert study.base_pretraining[1].source_names() == ["alpaca_en", "repeat_en"]
    assert {"en.copy_raw", "en.repeat_raw", "qab.pretraining_text", "en.alpaca_instructions"} <= study.needed_sources
    assert study.continued_pretraining.experiments == ("x_qab", "cpt_qab", "cpt_only")


def test_every_pretraining_problem_is_reported_with_its_key():
    bad = params(experiments={"a": {"pretraining": ["alpaca_en"], "eval_languages": ["qab"]},
                              "b": {"sources": ["monolingual_qab"], "eval_languages": ["qab"]}},
                 pretraining={"enabled": True, "training": {}, "stages": [
                     {"name": "x", "objective": "pretraining", "sources": ["monolingual_qab"], "training": {}}]},
                 base_model={"build_tiny": True})
    with pytest.raises(StudyError) as err:
        load_study(bad)
    text = str(err.value)
    assert "experiments.a.pretraining: only monolingual_<lang>" in text
    assert "parameters pretraining.stages[0].sources: English only" in text
    assert "continued_pretraining_report.experiments" in text  # x_qab and cpt_* no longer exist


def test_pretraining_a_given_model_is_refused():
    with pytest.raises(StudyError, match="pretraining.enabled builds an English base from scratch"):
        load_study(params(base_model={"build_tiny": False}))


def test_the_comparison_needs_experiments_scored_in_its_language():
    with pytest.raises(StudyError, match=r"continued_pretraining_report.language: 'zh'"):
        load_study(params(continued_pretraining_report={"language": "zh", "experiments": ["x_qab", "cpt_qab"]}))


@pytest.mark.parametrize("stage, message", [
    ({"name": "a", "objective": "sft", "sources": ["copy_en"], "training": {}}, r"stages\[0\].sources: an sft stage"),
    ({"name": "a b", "objective": "sft", "sources": ["alpaca_en"], "training": {}}, r"stages\[0\].name"),
    ({"name": "a", "objective": "clm", "sources": ["alpaca_en"], "training": {}}, r"stages\[0\].objective"),
    ({"name": "a", "objective": "sft", "sources": ["alpaca_en"]}, r"stages\[0\]: needs exactly"),
])
def test_a_bad_stage_is_named_by_its_index(stage, message):
    with pytest.raises(StudyError, match=message):
        load_study(params(pretraining={"enabled": True, "training": {}, "stages": [stage]}))


def test_pca_layers_past_the_tiny_base_are_refused_before_the_run():
    with pytest.raises(StudyError, match=r"pca_layers: \[0, 4\] reach past the tiny base's 3 hidden-state layers"):
        load_study(params(base_model={"build_tiny": True, "config": {"num_hidden_layers": 2}},
                          representation_analysis={"languages": ["qab"], "models": ["x_qab"], "pca_layers": [0, 4]}))
