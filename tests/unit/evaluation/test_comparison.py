"""Figure 7's table: each experiment's headline scores in one language, in the order asked for."""

from __future__ import annotations

import pandas as pd
import pytest

from xllm_kedro.evaluation.comparison import comparison_figure, language_comparison
from xllm_kedro.evaluation.report import long_results


def test_one_row_per_experiment_in_order_with_its_scores_in_the_language():
    long = long_results({
        "x_qab": {"qa.qab.exact_match": 40.0, "qa.qab.f1": 50.0, "translation.en-qab.chrf": 60.0,
                  "translation.en-qab.spbleu": 1.0, "qa.qaa.exact_match": 99.0},
        "cpt_qab": {"qa.qab.exact_match": 20.0, "translation.en-qab.chrf": 30.0},
    })
    table = language_comparison(long, ["cpt_qab", "x_qab", "absent"], "qab")
    assert list(table["experiment"]) == ["cpt_qab", "x_qab"]
    assert list(table.columns) == ["experiment", "qa/qab/exact_match", "qa/qab/f1", "translation/en-qab/chrf"]
    assert table.set_index("experiment").loc["x_qab", "translation/en-qab/chrf"] == 60.0
    assert pd.isna(table.set_index("experiment").loc["cpt_qab", "qa/qab/f1"])
    assert len(comparison_figure(table, "t").axes[0].patches) == 2 * 3


def test_no_score_in_the_language_is_an_error_naming_it():
    long = long_results({"x_qab": {"qa.qab.exact_match": 40.0}})
    with pytest.raises(ValueError, match="no QA or translation score in 'qac'"):
        language_comparison(long, ["x_qab"], "qac")
