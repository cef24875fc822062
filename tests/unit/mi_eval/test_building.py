"""Building MI-Eval from seed records with aligned translations, and checking a ready-made set."""

import pytest

from xllm_kedro.mi_eval.building import build_mi_eval, multiway, translated_items
from xllm_kedro.spec.mi_eval import load_mi_eval

TEXTS = ["Give three tips for staying healthy.", "What are the three primary colors?", "Describe the structure of an atom.",
         "How can we reduce air pollution?", "Explain why the moon has phases.", "Name five animals of the desert."]
RECORDS = [{"instruction": t, "input": "" if i % 2 else f"note {i}", "output": "x"} for i, t in enumerate(TEXTS)]
NEAR = [{"instruction": r["instruction"].upper(), "input": r["input"].upper(), "output": "x"} for r in RECORDS]


def _spec(**over):
    return load_mi_eval({"size": 3, "languages": ["qaa"], "seeds": {"dataset": "en.alpaca_raw", "offset": 2},
                         "task": {"models": ["m"]}, **over}, ["qaa", "qab"], {"m": ("qaa", "qab")})


def test_seed_records_past_the_offset_in_every_language_by_id():
    rows, provenance = build_mi_eval(RECORDS, _spec(), aligned={"qaa": NEAR}, generator="g", translator="t")
    indices = provenance["seed_indices"]
    assert len(indices) == 3 and min(indices) >= 2 and len(set(indices)) == 3
    by_lang = multiway(rows, ["qaa"], "built")
    for en, x, i in zip(by_lang["en"], by_lang["qaa"], indices):
        assert en["id"] == x["id"] and en["instruction"] == RECORDS[i]["instruction"]
        assert (x["instruction"], x["input"]) == (NEAR[i]["instruction"], NEAR[i]["input"])
    assert provenance["filters"]["offered"] == provenance["filters"]["kept"] == 3
    assert provenance["languages"] == ["en", "qaa"] and len(provenance["sha256"]) == 64


def test_the_filters_leave_too_few_and_the_error_names_the_size():
    same = [{"instruction": "Tell me about the weather today.", "input": "", "output": ""}] * 10
    with pytest.raises(ValueError, match=r"parameters mi_eval.size: only 1 of 3 .*'similar': 7"):
        build_mi_eval(same, _spec(), aligned={"qaa": same})


def test_an_aligned_file_shorter_than_english_is_named():
    with pytest.raises(ValueError, match=r"qaa.alpaca_raw has 2 records"):
        build_mi_eval(RECORDS, _spec(), aligned={"qaa": NEAR[:2]})


def test_model_translation_keeps_empty_fields_empty():
    spec = _spec(translation={"method": "model", "model_dir": "/models/nllb"})
    asked = []

    def translate(lang, texts):  # the shape of corpora.machine_translation.translator's output
        asked.append((lang, list(texts)))
        return [f"[{lang}] {t}" for t in texts]

    out = translated_items([{"index": None, "instruction": "Say hi.", "input": ""},
                            {"index": None, "instruction": "Sum these.", "input": "1 2"}], "qaa", spec,
                           translate=translate)
    assert asked == [("qaa", ["Say hi.", "Sum these.", "1 2"])]
    assert out == [{"instruction": "[qaa] Say hi.", "input": ""}, {"instruction": "[qaa] Sum these.", "input": "[qaa] 1 2"}]


@pytest.mark.parametrize("rows, message", [
    ([{"id": "a", "lang": "en", "instruction": "x"}], "row 1 must have the fields"),
    ([{"id": "a", "lang": "en", "instruction": " ", "input": ""}], r"row 1 \(a, en\) has an empty instruction"),
    ([{"id": "a", "lang": "en", "instruction": "x", "input": ""}] * 2, "id 'a' appears twice"),
    ([{"id": "a", "lang": "en", "instruction": "x", "input": ""}], "needs at least 2 English rows"),
    ([{"id": i, "lang": "en", "instruction": "x", "input": ""} for i in "ab"]
     + [{"id": "a", "lang": "qaa", "instruction": "y", "input": ""}], r"language 'qaa' lacks 1 id\(s\) of English"),
])
def test_a_ready_made_set_is_checked_row_by_row(rows, message):
    with pytest.raises(ValueError, match=message):
        multiway(rows, ["qaa"], "data/05_model_input/mi_eval.json")
