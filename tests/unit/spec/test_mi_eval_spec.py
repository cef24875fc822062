"""parameters mi_eval: defaults, who answers in which language, and errors naming their key."""

import pytest

from xllm_kedro.spec.mi_eval import JudgePair, load_mi_eval

EVALS = {"alpaca_en": ("qaa", "qab"), "x_qaa": ("qaa",), "m_all": ("qaa", "qab")}


def test_each_model_answers_in_english_and_its_evaluation_languages_of_the_set():
    spec = load_mi_eval({"languages": ["qaa"], "task": {"models": ["alpaca_en", "x_qaa", "m_all"]},
                         "judge": {"pairs": [{"a": "m_all", "b": "x_qaa", "languages": ["qaa"]},
                                             {"a": "m_all", "b": "alpaca_en", "languages": ["en"]}]}},
                        ["qaa", "qab"], EVALS)
    assert spec.answer_languages == {"alpaca_en": ("en", "qaa"), "x_qaa": ("en", "qaa"), "m_all": ("en", "qaa")}
    assert spec.judge.pairs == (JudgePair("m_all", "x_qaa", "qaa"), JudgePair("m_all", "alpaca_en", "en"))
    assert not spec.judge.enabled and not spec.self_instruct.enabled and spec.translation.method == "aligned"
    assert load_mi_eval({"enabled": False}, ["qaa"], EVALS) is None and load_mi_eval(None, ["qaa"], EVALS) is None


@pytest.mark.parametrize("spec, message", [
    ({"sise": 3}, r"parameters mi_eval: unknown key\(s\) \['sise'\]"),
    ({"size": 1}, "parameters mi_eval.size must be an integer of at least 2"),
    ({"languages": ["zh"]}, r"parameters mi_eval.languages: 'zh' is not in parameters 'languages'"),
    ({"task": {"models": ["x_qab"]}}, r"parameters mi_eval.task.models: \['x_qab'\]"),
    ({"translation": {"method": "nllb"}}, "parameters mi_eval.translation.method must be one of"),
    ({"translation": {"method": "model"}}, "parameters mi_eval.translation.model_dir"),
    ({"self_instruct": {"enabled": True}}, "parameters mi_eval.translation.method: new self-instruct"),
    ({"self_instruct": {"shown": "three"}}, "parameters mi_eval.self_instruct.shown must be int"),
    ({"judge": {"pairs": [{"a": "m_all", "b": "x_qaa"}]}}, r"parameters mi_eval.judge.pairs\[0\] must have"),
    ({"judge": {"pairs": [{"a": "m_all", "b": "x_qaa", "languages": ["qab"]}]}},
     "parameters mi_eval.judge.pairs: x_qaa answers MI-Eval only in"),
])
def test_errors_name_the_key(spec, message):
    base = {"task": {"models": ["alpaca_en", "x_qaa", "m_all"]}}
    with pytest.raises(ValueError, match=message):
        load_mi_eval({**base, **spec}, ["qaa", "qab"], EVALS)
