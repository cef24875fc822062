"""QA and translation metrics: the MLQA and SQuAD normalisations, per-language tokens, sacreBLEU signatures."""

import pytest

from xllm_kedro.evaluation.metrics import normalize_mlqa, normalize_squad, qa_scores, translation_scores


def test_squad_normalisation_strips_ascii_punctuation_and_english_articles():
    assert normalize_squad("The  Eiffel Tower!") == "eiffel tower"


def test_mlqa_normalisation_removes_unicode_punctuation_that_squad_keeps():
    assert normalize_mlqa("«Paris»", "en") == "paris"
    assert normalize_squad("«Paris»") == "«paris»"


def test_mlqa_chinese_is_scored_per_character():
    # prediction 4 chars, reference 3 chars, 3 in common: P = 3/4, R = 1, F1 = 6/7
    scores = qa_scores(["新英格兰"], [["英格兰"]], "zh")
    assert scores["f1"] == pytest.approx(100 * 6 / 7)
    assert scores["exact_match"] == 0.0
    assert scores["containment"] == 100.0


def test_mlqa_arabic_article_is_removed():
    assert normalize_mlqa("الكتاب", "ar") == "كتاب"


def test_mlqa_vietnamese_articles():
    assert normalize_mlqa("những cái bàn", "vi") == "bàn"


def test_greek_and_turkish_use_whitespace_tokens_without_articles():
    assert normalize_mlqa("Η Αθήνα.", "el") == "η αθήνα"
    assert qa_scores(["Ankara"], [["ankara"]], "tr")["exact_match"] == 100.0


def test_scores_take_the_best_reference_and_average_over_questions():
    scores = qa_scores(["the cat", "a dog barked"], [["cat", "feline"], ["the dog"]], "en", normalizer="squad")
    # q1: EM 1 (articles dropped); q2: "dog barked" vs "dog": P = 1/2, R = 1, F1 = 2/3
    assert scores["exact_match"] == 50.0
    assert scores["f1"] == pytest.approx(100 * (1 + 2 / 3) / 2)


def test_containment_is_the_papers_lower_case_substring_test():
    assert qa_scores(["It was New England Patriots."], [["new england patriots"]], "en")["containment"] == 100.0


def test_unknown_normalizer_and_language_are_rejected():
    with pytest.raises(ValueError, match="normalizer"):
        qa_scores(["a"], [["a"]], "en", normalizer="bleu")
    with pytest.raises(ValueError, match="'xx'"):
        qa_scores(["a"], [["a"]], "xx")


def test_translation_scores_are_corpus_level_with_signatures():
    hyps = ["the cat sat on the mat", "hello"]
    refs = ["the cat sat on the mat", "goodbye"]
    out = translation_scores(hyps, refs, "en")
    assert 0 < out["bleu"] < 100 and 0 < out["chrf"] < 100
    assert "tok:13a" in out["bleu_signature"] and "nc:6|nw:0" in out["chrf_signature"]  # chrF2
    assert translation_scores(refs, refs, "en")["bleu"] == pytest.approx(100.0)


def test_chinese_target_uses_the_zh_tokenizer():
    out = translation_scores(["今天天气很好。"], ["今天天气很好。"], "zh")
    assert "tok:zh" in out["bleu_signature"] and out["bleu"] == pytest.approx(100.0)


def test_spbleu_is_absent_without_its_sentencepiece_model(tmp_path, monkeypatch):
    monkeypatch.setenv("SACREBLEU", str(tmp_path))
    assert "spbleu" not in translation_scores(["a b"], ["a b"], "en")
