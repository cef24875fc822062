"""The paired bootstrap: 0.5 for identical systems, tiny for one better on every item, and scores
resampled exactly as sacrebleu scores a corpus."""

import numpy as np
import pytest
import sacrebleu

from xllm_kedro.analysis.significance import Unit, item_statistics, marker, paired_bootstrap

REFS = [[f"the cat number {i} sat on the mat near house {i % 7}"] for i in range(60)]
GOOD = [r[0] for r in REFS]
BAD = [f"a dog {i} stood" for i in range(60)]


def _unit(metric, system, baseline, lang="qaa"):
    stats, score = item_statistics(metric, system, REFS, lang)
    base, _ = item_statistics(metric, baseline, REFS, lang)
    return Unit(stats, base, score)


@pytest.mark.parametrize("metric", ["chrf", "bleu", "exact_match", "f1"])
def test_identical_systems_get_a_p_value_near_one_half(metric):
    mixed = [g if i % 2 else b for i, (g, b) in enumerate(zip(GOOD, BAD))]
    result = paired_bootstrap([_unit(metric, mixed, list(mixed))], n_resamples=500)
    assert result["gain"] == 0.0 and result["p_value"] == pytest.approx(0.5, abs=0.01)


@pytest.mark.parametrize("metric", ["chrf", "bleu", "exact_match", "f1"])
def test_a_system_better_on_every_item_is_significant(metric):
    result = paired_bootstrap([_unit(metric, GOOD, BAD)], n_resamples=500)
    assert result["gain"] > 0 and result["p_value"] < 0.01
    assert paired_bootstrap([_unit(metric, BAD, GOOD)], n_resamples=500)["p_value"] > 0.99


def test_summed_statistics_give_sacrebleu_corpus_scores():
    stats, score = item_statistics("chrf", BAD[:30] + GOOD[30:], REFS, "qaa")
    expected = sacrebleu.metrics.CHRF().corpus_score(BAD[:30] + GOOD[30:], [[r[0] for r in REFS]]).score
    assert score(stats.sum(axis=0))[0] == pytest.approx(expected, abs=1e-9)
    stats, score = item_statistics("bleu", BAD[:30] + GOOD[30:], REFS, "qaa")
    expected = sacrebleu.metrics.BLEU().corpus_score(BAD[:30] + GOOD[30:], [[r[0] for r in REFS]]).score
    assert score(stats.sum(axis=0))[0] == pytest.approx(expected, abs=1e-9)


def test_a_small_noisy_gain_is_not_significant_and_units_are_averaged():
    rng = np.random.default_rng(0)
    system = [GOOD[i] if rng.random() < 0.52 else BAD[i] for i in range(60)]
    baseline = [GOOD[i] if rng.random() < 0.48 else BAD[i] for i in range(60)]
    result = paired_bootstrap([_unit("exact_match", system, baseline)], n_resamples=1000)
    assert 0.05 < result["p_value"] < 0.95
    two = paired_bootstrap([_unit("exact_match", GOOD, BAD), _unit("exact_match", BAD, GOOD)], n_resamples=200)
    assert two["gain"] == 0.0


def test_marker_and_bad_input():
    assert marker(0.05, 0.1) == "*" and marker(0.2, 0.1) == "" and marker(float("nan"), 0.1) == ""
    with pytest.raises(ValueError, match="per-item statistics"):
        item_statistics("comet", GOOD, REFS, "qaa")
    with pytest.raises(ValueError, match="same items"):
        stats, score = item_statistics("f1", GOOD, REFS, "qaa")
        paired_bootstrap([Unit(stats, stats[:10], score)])


def test_the_significance_table_tests_each_model_against_its_baseline_on_shared_units():
    from xllm_kedro.analysis.significance import significance_table
    from xllm_kedro.spec.tasks import load_tasks

    from ...conftest import declared_tasks

    tasks = load_tasks(declared_tasks())

    def records(good_qa: bool, good_mt: bool):
        qa = [{"task": "qa", "lang": "en", "id": f"q{i}", "prediction": "Paris" if good_qa else "Rome",
               "references": ["Paris"]} for i in range(40)]
        mt = [{"task": "translation", "lang": "en-qaa", "id": str(i), "prediction": GOOD[i] if good_mt else BAD[i],
               "references": REFS[i]} for i in range(60)]
        return qa + mt

    predictions = {"x_qaa": records(True, True), "alpaca_en": records(True, False),
                   "m_all": records(False, True)[:40]}  # m_all: English QA only
    table = significance_table(predictions, [("x_qaa", "alpaca_en"), ("m_all", "alpaca_en")], tasks,
                               level=0.1, n_resamples=300, seed=0)
    rows = table.set_index(["model", "task", "language", "metric"])
    assert set(rows.loc["x_qaa"].index) == {("qa", "en", m) for m in ("exact_match", "f1", "containment")} | {
        ("translation", "en-qaa", m) for m in ("bleu", "chrf")}
    # English retained (same answers): no gain, p 0.5; translation better on every sentence: marked
    assert rows.loc[("x_qaa", "qa", "en", "exact_match"), "p_value"] == pytest.approx(0.5, abs=0.01)
    assert rows.loc[("x_qaa", "translation", "en-qaa", "chrf"), "significant"] == "*"
    # English lost: a gain of -100 exact match, p near 1
    lost = rows.loc[("m_all", "qa", "en", "exact_match")]
    assert lost["gain"] == -100.0 and lost["baseline_score"] == 100.0 and lost["p_value"] > 0.99
