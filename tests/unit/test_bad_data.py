"""Bad data, as the library, the catalog's datasets and the pipelines' nodes meet it: each fault is named
(file and line, dataset and row, or record) and no output file, temporary or final, is left behind; with
``skip_bad_lines`` the bad lines are counted instead.

The other levels of bad input: tests/unit/spec/test_bad_parameters.py (parameters) and
tests/test_bad_input.py (runs).
"""

from __future__ import annotations

import gzip
import json
import re

import numpy as np
import pandas as pd
import pytest
from kedro.io import DatasetError

from xllm_kedro.analysis.allocation import solve_allocation
from xllm_kedro.analysis.scaling import ScalingLaw
from xllm_kedro.datasets import HFModelDataset, InstructionDataset, JsonLinesDataset, ParallelCorpusDataset
from xllm_kedro.evaluation.sets import qa_set, sentences, squad_examples
from xllm_kedro.files import write_jsonl
from xllm_kedro.pipelines.data_preparation.nodes import (build_translation_instructions_node, clean_parallel_node,
                                                         prepare_alpaca_node)
from xllm_kedro.pipelines.scaling_analysis.nodes import fit_laws_node

pytestmark = pytest.mark.badinput
CLEANING = {"max_chars": 1000, "max_length_ratio": 3.0, "min_script_share": 0.5, "deduplicate": True}
STRICT = {"skip_bad_lines": False, "min_margin": 1.04}


def leftovers(directory) -> list[str]:
    return sorted(str(p.relative_to(directory)) for p in directory.rglob("*"))


def save_fails(tmp_path, stream, match):
    """Saving ``stream`` raises ``match``; the output folder stays empty (no partial, no temporary file)."""
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(Exception, match=match):
        JsonLinesDataset(str(out / "data.jsonl")).save(stream)
    assert list(out.iterdir()) == []


def alpaca(tmp_path, name, text: str | bytes):
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return InstructionDataset(str(path)).load()


def moses(tmp_path, en: bytes, zh: bytes):
    (tmp_path / "c.en").write_bytes(en)
    (tmp_path / "c.zh").write_bytes(zh)
    return ParallelCorpusDataset(str(tmp_path / "c.en"), str(tmp_path / "c.zh")).load()


def wikimatrix(tmp_path, text: bytes, gz: bool = False):
    path = tmp_path / ("w.tsv.gz" if gz else "w.tsv")
    path.write_bytes(gzip.compress(text) if gz else text)
    return ParallelCorpusDataset(filepath=str(path), format="wikimatrix").load()


# --- instruction files ----------------------------------------------------------------------------------

def test_malformed_jsonl_line_names_file_and_line(tmp_path):
    records = alpaca(tmp_path, "a.jsonl", '{"instruction": "a", "output": "b"}\n{"instruction": "c", "output": \n')
    stream, _ = prepare_alpaca_node(records, STRICT)
    save_fails(tmp_path, stream, r"a\.jsonl:2: malformed JSON line")


def test_malformed_json_list_names_file_and_line(tmp_path):
    records = alpaca(tmp_path, "a.json", '[\n {"instruction": "a", "output": "b"},\n {"instruction": "c" "output": "d"}\n]')
    save_fails(tmp_path, prepare_alpaca_node(records, STRICT)[0], r"a\.json:3: malformed JSON")


@pytest.mark.parametrize("record, match", [
    ({"instruction": "c"}, r"missing key\(s\) \['output'\]"),
    ({"instruction": "c", "outptu": "d"}, r"missing key\(s\) \['output'\] \(record has unexpected key\(s\) \['outptu'\]"),
    ({"instruction": "c", "output": 3}, r"key 'output' must be a string"),
])
def test_missing_misnamed_or_mistyped_fields_are_named(tmp_path, record, match):
    records = alpaca(tmp_path, "a.json", json.dumps([{"instruction": "a", "output": "b"}, record], indent=1))
    save_fails(tmp_path, prepare_alpaca_node(records, STRICT)[0], r"a\.json:6: record 1: " + match)


def test_instruction_dataset_checks_records_as_they_stream(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"instruction": "i", "output": "o"}\n\n{"instruction": 3, "output": "o"}\n', encoding="utf-8")
    records = InstructionDataset(str(path)).load()  # a lazy reader: records are checked as they stream
    with pytest.raises(ValueError, match=r"bad.jsonl:3: key 'instruction' must be a string"):
        list(records)


def test_a_jsonl_line_that_is_not_an_object_names_file_and_line(tmp_path):
    path = tmp_path / "mix.jsonl"
    path.write_text('{"a": 1}\n\n{"a": 2}\n[1, 2]\n')
    with pytest.raises(Exception, match=re.escape(f"{path}:4: expected a JSON object, got list")):
        list(JsonLinesDataset(str(path)).load())


def test_a_failing_record_stream_leaves_neither_file_nor_temporary(tmp_path):
    def records():
        yield {"a": 1}
        raise RuntimeError("source broke after one record")

    with pytest.raises(RuntimeError, match="source broke"):
        write_jsonl(tmp_path / "out" / "mix.jsonl", records())
    assert leftovers(tmp_path) == ["out"]


# --- parallel corpora -------------------------------------------------------------------------------------

def test_misaligned_parallel_files_give_both_line_counts(tmp_path):
    corpus = moses(tmp_path, b"a\nb\nc\n", "甲\n".encode())
    stream, _ = clean_parallel_node(CLEANING, STRICT, "zh", moses=corpus)
    save_fails(tmp_path, stream, r"c\.en has 3 lines, .*c\.zh has 1")


def test_parallel_dataset_names_a_missing_file(tmp_path):
    (tmp_path / "a.en").write_text("x\n")
    with pytest.raises(DatasetError, match="a.zh"):
        ParallelCorpusDataset(str(tmp_path / "a.en"), str(tmp_path / "a.zh")).load()


@pytest.mark.parametrize("text, match", [
    (b"1.1\ta\tb\n1.2\tno target\n", r"w\.tsv:2: expected 3 tab-separated columns .* got 2"),
    (b"1.1\ta\tb\nhigh\tc\td\n", r"w\.tsv:2: margin score 'high' is not a number"),
])
def test_malformed_tsv_lines_name_file_and_line(tmp_path, text, match):
    stream, _ = clean_parallel_node(CLEANING, STRICT, "zh", wikimatrix=wikimatrix(tmp_path, text))
    save_fails(tmp_path, stream, match)


@pytest.mark.parametrize("kind", ["jsonl", "json", "moses", "tsv.gz"])
def test_bytes_that_are_not_utf8_name_file_and_line(tmp_path, kind):
    bad = b"\xc3\x28"
    if kind in ("jsonl", "json"):
        body = (b'{"instruction": "a", "output": "b"}\n{"instruction": "' + bad + b'", "output": "d"}\n')
        if kind == "json":
            body = b"[\n" + body.replace(b"}\n{", b"},\n{") + b"]\n"
        stream = prepare_alpaca_node(alpaca(tmp_path, f"a.{kind}", body), STRICT)[0]
        where = rf"a\.{kind}:{3 if kind == 'json' else 2}"
    elif kind == "moses":
        stream = clean_parallel_node(CLEANING, STRICT, "zh", moses=moses(tmp_path, b"a\nb\n", "甲\n".encode() + bad + b"\n"))[0]
        where = r"c\.zh:2"
    else:
        stream = clean_parallel_node(CLEANING, STRICT, "zh", wikimatrix=wikimatrix(tmp_path, b"1.1\ta\tb\n1.2\tc\t" + bad + b"\n", gz=True))[0]
        where = r"w\.tsv\.gz:2"
    save_fails(tmp_path, stream, where + r": bytes that are not UTF-8")


@pytest.mark.parametrize("kind", ["json", "jsonl", "moses", "tsv", "tsv.gz"])
def test_empty_files_are_named_when_loaded(tmp_path, kind):
    with pytest.raises(DatasetError, match="empty file"):
        if kind in ("json", "jsonl"):
            alpaca(tmp_path, f"a.{kind}", b" \n")
        elif kind == "moses":
            moses(tmp_path, b"a\n", b"")
        else:
            wikimatrix(tmp_path, b"", gz=kind == "tsv.gz")


def test_unknown_language_codes_given_to_nodes_are_named(tmp_path):
    corpus = moses(tmp_path, b"a\n", b"b\n")
    with pytest.raises(ValueError, match="unknown language code 'xx' in cleaning target language"):
        list(clean_parallel_node(CLEANING, STRICT, "xx", moses=corpus)[0])
    with pytest.raises(ValueError, match="unknown language code 'xx'"):
        list(build_translation_instructions_node([{"en": "a", "x": "b"}], {"direction": "en-x", "seed": 0}, "xx"))


def test_skip_bad_lines_counts_instead_of_stopping(tmp_path):
    tsv = b"1.2\tGood morning.\t\xe6\x97\xa9\xe4\xb8\x8a\xe5\xa5\xbd\n1.1\tbroken\n1.0\tLow.\t\xe4\xbd\x8e\nNaN?\tx\ty\n" \
          b"1.3\tBad bytes.\t\xff\n1.5\tThank you.\t\xe8\xb0\xa2\xe8\xb0\xa2\n"
    skip = {"skip_bad_lines": True, "min_margin": 1.04}
    stream, report = clean_parallel_node(CLEANING, skip, "zh", wikimatrix=wikimatrix(tmp_path, tsv))
    JsonLinesDataset(str(tmp_path / "out.jsonl")).save(stream)
    assert [json.loads(line)["en"] for line in (tmp_path / "out.jsonl").read_text().splitlines()] == \
        ["Good morning.", "Thank you."]
    assert (report["skipped_bad_lines"], report["dropped_below_margin"], report["read"], report["kept"]) == (3, 1, 3, 2)
    records = alpaca(tmp_path, "a.jsonl", b'{"instruction": "a", "output": "b"}\n{oops\n{"instruction": "c"}\n\xff\n')
    stream, report = prepare_alpaca_node(records, skip)
    assert [r["instruction"] for r in stream] == ["a"] and dict(report) == {
        "read": 1, "skipped_bad_lines": 3, "kept": 1, "dropped_empty": 0}


# --- models ----------------------------------------------------------------------------------------------

def test_model_directory_without_config_is_refused_on_load_and_save(tmp_path):
    (tmp_path / "not_a_model").mkdir()
    (tmp_path / "not_a_model" / "weights.bin").write_bytes(b"\0")
    with pytest.raises(DatasetError, match=r"not_a_model is not a Hugging Face model directory \(missing \['config.json'\]\)"):
        HFModelDataset(str(tmp_path / "not_a_model")).load()
    with pytest.raises(DatasetError, match=r"cannot save .*not_a_model: not a model directory \(no config.json\)"):
        HFModelDataset(str(tmp_path / "models" / "x")).save(tmp_path / "not_a_model")
    assert leftovers(tmp_path / "models") == []
    assert (tmp_path / "not_a_model" / "weights.bin").exists()  # the source is left as it was


# --- evaluation sets ---------------------------------------------------------------------------------------

def test_qa_record_without_answers_names_its_position():
    doc = {"data": [{"paragraphs": [{"context": "c", "qas": [{"id": "1", "question": "q", "answers": []}]}]}]}
    with pytest.raises(ValueError, match=re.escape("xquad.zh.json: data[0].paragraphs[0].qas[0]: no reference answer")):
        squad_examples(doc, where="xquad.zh.json")
    doc["data"][0]["paragraphs"][0]["qas"][0] = {"id": "1", "answers": [{"text": "a"}]}
    with pytest.raises(ValueError, match=r"qas\[0\]: missing key 'question'"):
        squad_examples(doc, where="xquad.zh.json")


def test_malformed_hub_rows_name_the_dataset_and_row():
    with pytest.raises(ValueError, match=r"zh\.mlqa_raw.*row 1"):
        qa_set([{"id": "a", "context": "c", "question": "q", "answers": {"text": ["x"]}}, {"id": "b"}], "zh.mlqa_raw")
    with pytest.raises(ValueError, match=r"en\.flores101: rows have no 'text' column"):
        sentences([{"sentence": "x"}], "en.flores101", "text")


# --- scaling and allocation --------------------------------------------------------------------------------

def test_user_scaling_points_without_a_score_column_are_named():
    points = pd.DataFrame({"language": ["zh"] * 3, "size": [1, 2, 3], "chrf": [1.0, 2.0, 3.0]})
    with pytest.raises(ValueError, match=r"scaling points lack column\(s\) \['score'\]"):
        fit_laws_node(points, {"zh": 0.5}, {"fit": {}})


def test_scaling_law_outside_its_domain_names_the_parameter():
    with pytest.raises(ValueError, match=r"zh: beta must lie in \(-1, 0\), got 0.2"):
        ScalingLaw(50.0, 0.2, 0.5).check("zh")


def test_budget_beyond_the_available_data_is_refused():
    laws = {"zh": ScalingLaw(80.0, -0.3, 0.5), "vi": ScalingLaw(60.0, -0.2, 0.7)}
    with pytest.raises(ValueError, match=r"budget 500.0 exceeds the data available \(sum of caps 300.0\)"):
        solve_allocation(laws, 500.0, {"zh": 100.0, "vi": 200.0})
    with pytest.raises(ValueError, match=r"cap of 'vi' must be a non-negative number"):
        solve_allocation(laws, 50.0, {"zh": 100.0, "vi": float(np.nan)})
