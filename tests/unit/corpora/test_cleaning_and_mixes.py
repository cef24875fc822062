"""corpora: parallel pairs, cleaning rules and their counts, scripts, translation instructions, mixes
(errors on bad files are in tests/unit/test_bad_data.py)."""

import pytest

from xllm_kedro.corpora import (CleaningReport, CleaningRules, ParallelCorpus, build_mix, clean_instructions,
                                clean_pairs, script_share, translation_instructions)


def _write(path, lines):
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def test_parallel_corpus_streams_pairs(tmp_path):
    corpus = ParallelCorpus(_write(tmp_path / "a.en", ["one", "two"]), _write(tmp_path / "a.zh", ["一", "二"]))
    assert list(corpus) == [("one", "一"), ("two", "二")]


def test_cleaning_counts_each_rule():
    pairs = [
        ("Good morning.", "早上好。"),
        ("", "空"),                       # empty
        ("Hello there.", "Hello there."),  # same as source (and wrong script)
        ("Good morning.", "早上好。"),     # duplicate
        ("A long English sentence with many words in it.", "短"),  # length ratio
        ("Numbers only.", "12345 abc"),    # wrong script
    ]
    report = CleaningReport()
    kept = list(clean_pairs(pairs, "zh", CleaningRules(), report))
    assert kept == [("Good morning.", "早上好。")]
    assert report.as_dict() == {"kept": 1, "dropped_empty": 1, "dropped_too_long": 0, "dropped_length_ratio": 1,
                                "dropped_same_as_source": 1, "dropped_wrong_script": 1, "dropped_duplicate": 1}


def test_cleaning_normalises_to_nfc():
    report = CleaningReport()
    decomposed = "Vie\u0302\u0323t Nam"  # e + circumflex + dot below, decomposed
    [(_, tgt)] = list(clean_pairs([("Vietnam", decomposed)], "vi", CleaningRules(), report))
    assert tgt == "Việt Nam" and len(tgt) == 8


def test_script_share():
    assert script_share("Γεια σου κόσμε", "Greek") == 1.0
    assert script_share("नमस्ते abc", "Devanagari") == pytest.approx(4 / 7)


def test_translation_instructions_are_deterministic_and_en_to_x_by_default():
    pairs = [("cat", "猫"), ("dog", "狗")]
    a = list(translation_instructions(pairs, "zh", seed=3))
    assert a == list(translation_instructions(pairs, "zh", seed=3))
    assert [r["input"] for r in a] == ["cat", "dog"] and [r["output"] for r in a] == ["猫", "狗"]
    assert all("English" in r["instruction"] and "Chinese" in r["instruction"] for r in a)
    both = list(translation_instructions(pairs, "zh", direction="both", rotate=False))
    assert [(r["input"], r["output"]) for r in both] == [("cat", "猫"), ("猫", "cat"), ("dog", "狗"), ("狗", "dog")]


def test_mix_prefixes_are_nested_subsets():
    sources = {"a": [{"i": n} for n in range(10)], "b": [{"j": n} for n in range(3)]}
    small = build_mix(sources, ["b", "a:4"], seed=0)
    large = build_mix(sources, ["b", "a:8"], seed=0)
    assert len(small) == 7 and len(large) == 11
    assert all(r in large for r in small)


def test_mix_asking_for_more_than_available_names_the_source():
    with pytest.raises(ValueError, match="'a:5' asks for 5 records but a has only 2"):
        build_mix({"a": [{}, {}]}, ["a:5"], seed=0)


def test_clean_instructions_drops_empty_responses():
    kept, report = clean_instructions([{"instruction": "a", "input": "", "output": ""},
                                       {"instruction": "b", "input": " x ", "output": "y"}])
    assert kept == [{"instruction": "b", "input": "x", "output": "y"}]
    assert report == {"kept": 1, "dropped_empty": 1}
