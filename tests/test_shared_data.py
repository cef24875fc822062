"""The library on the real public data in ../shared/data (skipped, with the reason, when it is absent)."""

from __future__ import annotations

import json

import pytest

from xllm_kedro.corpora import CleaningReport, CleaningRules, ParallelCorpus, clean_instructions, clean_pairs
from xllm_kedro.corpora import read_instructions, translation_instructions
from xllm_kedro.evaluation.sets import squad_examples, text_lines
from xllm_kedro.evaluation.metrics import qa_scores, translation_scores

pytestmark = pytest.mark.shared_data
XQUAD_LANGS = ["en", "ar", "el", "hi", "tr", "vi", "zh"]


def test_xquad_flattens_to_1190_parallel_questions(shared_data):
    ids = None
    for lang in XQUAD_LANGS:
        doc = json.loads((shared_data / "xquad" / f"xquad.{lang}.json").read_text(encoding="utf-8"))
        examples = squad_examples(doc, where=lang)
        assert len(examples) == 1190
        ids = ids or [e.id for e in examples]
        assert [e.id for e in examples] == ids


@pytest.mark.parametrize("lang", XQUAD_LANGS)
def test_reference_answers_score_full_marks_under_both_normalisers(shared_data, lang):
    doc = json.loads((shared_data / "xquad" / f"xquad.{lang}.json").read_text(encoding="utf-8"))
    examples = squad_examples(doc, where=lang)
    refs = [list(e.answers) for e in examples]
    answers = [e.answers[0] for e in examples]
    for normalizer in ("mlqa", "squad"):
        scores = qa_scores(answers, refs, lang, normalizer=normalizer)
        assert scores["exact_match"] == 100.0 and scores["f1"] == 100.0 and scores["containment"] == 100.0
    # answering every question with its context contains the answer but is rarely an exact match
    context_scores = qa_scores([e.context for e in examples[:100]], refs[:100], lang)
    assert context_scores["containment"] == 100.0 and context_scores["exact_match"] < 5


def test_alpaca_subsets_read_and_clean(shared_data):
    counts = {}
    for name in ("alpaca_en.first3252.json", "alpaca_zh.first3252.mt.json", "alpaca_vi.cleaned5000.mt.json"):
        records = list(read_instructions(shared_data / "alpaca" / name))
        kept, report = clean_instructions(records)
        counts[name] = (len(records), report["dropped_empty"])
    assert counts["alpaca_en.first3252.json"] == (3252, 4)  # records 284, 1223, 1347 and 1736 have no output
    assert counts["alpaca_zh.first3252.mt.json"] == (3247, 4)  # SOURCES.md: 4 records have an empty output
    assert counts["alpaca_vi.cleaned5000.mt.json"][0] == 5000


@pytest.mark.parametrize("lang", ["ar", "el", "hi", "tr", "vi", "zh"])
def test_ntrex_pairs_survive_cleaning_in_their_script(shared_data, lang):
    corpus = ParallelCorpus(shared_data / "parallel" / "ntrex128" / "ntrex128.en",
                            shared_data / "parallel" / "ntrex128" / f"ntrex128.{lang}")
    report = CleaningReport()
    kept = list(clean_pairs(corpus, lang, CleaningRules(), report))
    assert len(kept) + sum(report.dropped.values()) == 1997
    assert len(kept) > 1900, report.as_dict()
    instructions = list(translation_instructions(kept[:5], lang, seed=0))
    assert [r["output"] for r in instructions] == [x for _, x in kept[:5]]


def test_cross_script_sentences_fail_the_script_check(shared_data):
    corpus = ParallelCorpus(shared_data / "parallel" / "ntrex128" / "ntrex128.en",
                            shared_data / "parallel" / "ntrex128" / "ntrex128.el")
    report = CleaningReport()
    assert list(clean_pairs(corpus, "hi", CleaningRules(), report)) == []  # Greek text is not Devanagari
    assert report.dropped["wrong_script"] > 1900


def test_flores_is_multiway_parallel_and_scores_itself_at_100(shared_data):
    lines = {lang: text_lines((shared_data / "flores" / f"flores101.devtest.{lang}").read_text(encoding="utf-8"))
             for lang in ("en", "zh", "hi")}
    assert {len(v) for v in lines.values()} == {1012}
    assert translation_scores(lines["zh"], lines["zh"], "zh")["bleu"] == pytest.approx(100.0)
    shifted = translation_scores(lines["hi"][1:] + lines["hi"][:1], lines["hi"], "hi")
    assert shifted["chrf"] < 30


def _xquad(shared_data, lang):
    doc = json.loads((shared_data / "xquad" / f"xquad.{lang}.json").read_text(encoding="utf-8"))
    return squad_examples(doc, where=lang)


@pytest.mark.parametrize("lang", XQUAD_LANGS)
@pytest.mark.parametrize("normalizer", ["mlqa", "squad"])
def test_xquad_scores_match_counts_of_exact_embedded_and_unrelated_answers(shared_data, lang, normalizer):
    examples = _xquad(shared_data, lang)
    refs = [list(e.answers) for e in examples]
    assert not any("☃" in r for rs in refs for r in rs)
    # thirds: the reference itself; the reference after a foreign token; a foreign token alone
    preds = [[r[0], f"☃ {r[0]}", "☃"][i % 3] for i, r in enumerate(refs)]
    n = len(preds)
    exact, embedded = len(range(0, n, 3)), len(range(1, n, 3))
    scores = qa_scores(preds, refs, lang, normalizer=normalizer)
    assert scores["exact_match"] == pytest.approx(100 * exact / n)
    assert scores["containment"] == pytest.approx(100 * (exact + embedded) / n)
    # an embedded answer shares all its tokens but one extra: 0 < F1 < 1 for each of them
    assert 100 * exact / n < scores["f1"] < 100 * (exact + embedded) / n


@pytest.mark.parametrize("lang", XQUAD_LANGS)
def test_unicode_quotes_separate_the_mlqa_and_squad_definitions(shared_data, lang):
    refs = [list(e.answers) for e in _xquad(shared_data, lang)[:200]]
    quoted = [f"«{r[0]}»" for r in refs]  # guillemets are Unicode punctuation, not ASCII
    assert qa_scores(quoted, refs, lang, normalizer="mlqa")["exact_match"] == 100.0
    assert qa_scores(quoted, refs, lang, normalizer="squad")["exact_match"] == 0.0


@pytest.mark.parametrize("lang", ["ar", "el", "hi", "tr", "vi", "zh"])
def test_flores_devtest_bleu_and_chrf_equal_sacrebleu_corpus_scores(shared_data, lang):
    import sacrebleu

    def read(code: str) -> list[str]:
        return text_lines((shared_data / "flores" / f"flores101.devtest.{code}").read_text(encoding="utf-8"))[:300]

    refs, english = read(lang), read("en")
    hyps = refs[:150] + english[150:]  # half right, half untranslated
    ours = translation_scores(hyps, refs, lang)
    tokenize = "zh" if lang == "zh" else "13a"
    assert ours["bleu"] == pytest.approx(sacrebleu.corpus_bleu(hyps, [refs], tokenize=tokenize).score)
    assert ours["chrf"] == pytest.approx(sacrebleu.corpus_chrf(hyps, [refs], char_order=6, word_order=0, beta=2).score)
    assert f"tok:{tokenize}" in ours["bleu_signature"] and "nrefs:1" in ours["bleu_signature"]
    assert translation_scores(refs, refs, lang)["bleu"] == pytest.approx(100.0)
