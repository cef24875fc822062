"""Response consistency against the shuffled baseline, on cases whose answer is known."""

import pytest
import torch

from xllm_kedro.evaluation.consistency import consistency_scores, response_consistency
from xllm_kedro.evaluation.mi_eval_report import consistency_markdown, consistency_table, win_figure, win_table
from xllm_kedro.training.tiny_model import load_model

ANSWERS = ["the river runs to the sea", "a red fox sleeps under the old tree", "bread needs flour water and salt",
           "seven days make one week"]


def test_identical_responses_get_the_maximum_and_beat_the_baseline(tiny_model_dir):
    model, tokenizer = load_model(tiny_model_dir)
    out = response_consistency(model, tokenizer, ANSWERS, ANSWERS, layer=-1, seed=0)
    assert out["cosine"] == pytest.approx(1.0, abs=1e-5) and out["chrf"] == pytest.approx(100.0)
    assert out["cosine_shuffled"] < out["cosine"] and out["chrf_shuffled"] < 50
    assert (out["n"], out["empty"]) == (4, 0)


def test_unrelated_responses_score_no_better_than_shuffled_ones():
    # orthogonal states, paired so that no pair shares anything: both cosines are 0
    en = torch.eye(4)
    x = torch.eye(4)[[1, 2, 3, 0]]
    out = consistency_scores(en, x, ["a b", "c d", "e f", "g h"], ["i j", "k l", "m n", "o p"], seed=0)
    assert out["cosine"] == pytest.approx(0.0) and out["chrf"] == pytest.approx(0.0)


def test_fewer_than_two_responses_is_an_error():
    with pytest.raises(ValueError, match="at least 2 responses"):
        consistency_scores(torch.ones(1, 3), torch.ones(1, 3), ["a"], ["a"])


def test_reports_show_the_table_the_examples_and_the_shares():
    table = consistency_table([{"model": "m_all", "language": "qaa", "n": 4, "empty": 0, "cosine": 0.9,
                                "cosine_shuffled": 0.5, "chrf": 40.0, "chrf_shuffled": 10.0}])
    text = consistency_markdown(table, {"m_all/qaa": [{"en_instruction": "Say | hi", "en_response": "hi",
                                                       "x_instruction": "Sai hi", "x_response": ""}]}, layer=-1)
    assert "| m_all | qaa | 4 | 0 | 0.900 | 0.500 | 40.000 | 10.000 |" in text
    assert "| Say \\| hi | hi | Sai hi | (empty) |" in text and "layer -1" in text
    wins = win_table([{"a": "m", "b": "x", "language": "qaa", "n": 4, "wins_a": 1, "ties": 2, "wins_b": 1,
                       "unparsed": 0, "score_a": 6.0, "score_b": 6.0, "judge_model": "j"}])
    figure = win_figure(wins)
    bars = figure.axes[0].patches
    assert [round(b.get_width()) for b in bars] == [25, 50, 25]  # a wins, ties, b wins as shares
    assert not win_figure(win_table([])).axes[0].patches
