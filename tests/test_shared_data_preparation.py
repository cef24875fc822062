"""data_preparation on the real data in ../shared/data: every reader, every cleaning rule (against an
independent per-character reference), every mix kind. NTREX-128 stands in for WikiMatrix / News
Commentary; the Alpaca en/zh/vi subsets are D_G."""

from __future__ import annotations

import gzip
import json
import unicodedata
from itertools import islice

import pandas as pd
import pytest
import yaml

from xllm_kedro.corpora import (CleaningReport, CleaningRules, InstructionFile, ParallelCorpus, ReadReport,
                                WikiMatrixCorpus, clean_pairs)
from xllm_kedro.spec.experiments import load_experiments, source_dataset
from xllm_kedro.pipelines.data_preparation.nodes import (build_budgeted_mix_node, build_mix_node,
                                                         build_translation_instructions_node, clean_parallel_node,
                                                         prepare_alpaca_node)

from .conftest import NO_SHARED_DATA, PROJECT_ROOT, SHARED

pytestmark = pytest.mark.shared_data
LANGS = ["ar", "el", "hi", "tr", "vi", "zh"]
ALPACA = {"en": "alpaca_en.first3252.json", "zh": "alpaca_zh.first3252.mt.json", "vi": "alpaca_vi.cleaned5000.mt.json"}
PREFIX = {"Latin": "LATIN", "Arabic": "ARABIC", "Greek": "GREEK", "Devanagari": "DEVANAGARI", "Han": "CJK"}
SCRIPT = {"ar": "Arabic", "el": "Greek", "hi": "Devanagari", "tr": "Latin", "vi": "Latin", "zh": "Han"}
CLEANING = {"max_chars": 1000, "max_length_ratio": 3.0, "min_script_share": 0.5, "deduplicate": True}
READING = {"skip_bad_lines": False, "min_margin": 1.04}


def ntrex(shared, lang):
    return (shared / "parallel" / "ntrex128" / f"ntrex128.{lang}").read_text(encoding="utf-8").split("\n")[:-1]


@pytest.mark.parametrize("lang", ["en", "zh", "vi"])
def test_alpaca_reader_streams_every_record_of_the_json_list_and_of_jsonl(shared_data, tmp_path, lang):
    path = shared_data / "alpaca" / ALPACA[lang]
    expected = json.loads(path.read_text(encoding="utf-8"))
    assert list(InstructionFile(path)) == [{k: r.get(k, "") for k in ("instruction", "input", "output")} for r in expected]
    jsonl = tmp_path / "a.jsonl"
    jsonl.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in expected[:300]), encoding="utf-8")
    assert list(InstructionFile(jsonl)) == list(islice(InstructionFile(path), 300))


@pytest.mark.parametrize("lang", LANGS)
def test_moses_reader_pairs_every_ntrex_line(shared_data, lang):
    base = shared_data / "parallel" / "ntrex128"
    report = ReadReport()
    pairs = list(ParallelCorpus(base / "ntrex128.en", base / f"ntrex128.{lang}").read(report))
    assert pairs == list(zip(ntrex(shared_data, "en"), ntrex(shared_data, lang)))
    assert report.read == (base / "ntrex128.en").read_bytes().count(b"\n") == 1997


@pytest.mark.parametrize("gz, order", [(False, "en-x"), (True, "x-en")])
def test_wikimatrix_reader_on_ntrex_lines_with_margins(shared_data, tmp_path, gz, order):
    en, el = ntrex(shared_data, "en"), ntrex(shared_data, "el")
    margins = [1.0 + (i % 9) / 100 for i in range(len(en))]  # 1.00 .. 1.08
    cols = zip(en, el) if order == "en-x" else zip(el, en)
    text = "".join(f"{m:.2f}\t{a}\t{b}\n" for m, (a, b) in zip(margins, cols)).encode("utf-8")
    path = tmp_path / ("WikiMatrix.el-en.tsv" + (".gz" if gz else ""))
    path.write_bytes(gzip.compress(text) if gz else text)
    report = ReadReport()
    pairs = list(WikiMatrixCorpus(path, order=order, min_margin=1.04).read(report))
    assert pairs == [(a, b) for m, a, b in zip(margins, en, el) if round(m, 2) >= 1.04]
    assert report.dropped_below_margin == sum(round(m, 2) < 1.04 for m in margins) and report.read == 1997


def reference_clean(pairs, lang, max_chars=1000, max_ratio=3.0, min_share=0.5):
    """The rules written plainly, one pair at a time, per-character names for the script."""
    counts = dict.fromkeys(["empty", "too_long", "length_ratio", "same_as_source", "wrong_script", "duplicate"], 0)
    kept, seen = [], set()

    def weighted(t):
        return sum(3 if "\u4e00" <= c <= "\u9fff" else 1 for c in t)

    for s, t in pairs:
        s, t = unicodedata.normalize("NFC", s.strip()), unicodedata.normalize("NFC", t.strip())
        letters = [c for c in t if c.isalpha()]
        share = sum(unicodedata.name(c, "").startswith(PREFIX[SCRIPT[lang]]) for c in letters) / max(len(letters), 1)
        if not s or not t:
            counts["empty"] += 1
        elif max(len(s), len(t)) > max_chars:
            counts["too_long"] += 1
        elif max(weighted(s), weighted(t)) / min(weighted(s), weighted(t)) > max_ratio:
            counts["length_ratio"] += 1
        elif s == t:
            counts["same_as_source"] += 1
        elif share < min_share:
            counts["wrong_script"] += 1
        elif (s, t) in seen:
            counts["duplicate"] += 1
        else:
            seen.add((s, t))
            kept.append((s, t))
    return kept, counts


@pytest.mark.parametrize("lang", ["zh", "hi", "vi"])
def test_every_cleaning_rule_counts_what_an_independent_reference_counts(shared_data, lang):
    en, x, el = ntrex(shared_data, "en"), ntrex(shared_data, lang), ntrex(shared_data, "el")
    pairs = list(zip(en, x))[:600]
    pairs += [("", x[700]), (en[701], "  ")]                                # empty
    pairs += [(en[702] * 12, x[702] * 12)]                                  # too long
    pairs += [(en[703], x[703][:4]), (en[704][:3], x[704] * 3)]             # length ratio
    pairs += [(x[705], x[705]), (en[706], en[706])]                         # same as source
    pairs += [(en[707], el[707]), (en[708], en[709])]                       # wrong script (vi: Greek only)
    pairs += pairs[:40] + [(" " + en[10] + " ", x[10] + "\n")]              # duplicates, also after stripping
    pairs += [(en[710], unicodedata.normalize("NFD", x[710]))] * 2          # decomposed: NFC then duplicate
    kept_ref, counts_ref = reference_clean(pairs, lang)
    report = CleaningReport()
    kept = list(clean_pairs(pairs, lang, CleaningRules(), report))
    assert kept == kept_ref
    assert report.as_dict() == {"kept": len(kept_ref), **{f"dropped_{k}": v for k, v in counts_ref.items()}}
    assert all(counts_ref[k] > 0 for k in counts_ref if not (lang == "vi" and k == "wrong_script"))


@pytest.fixture(scope="module")
def sources(tmp_path_factory):
    """Instruction sources as the pipeline's nodes build them from the shared data (small slices)."""
    if SHARED is None:
        pytest.skip(NO_SHARED_DATA)
    out = {}
    for lang, name in ALPACA.items():
        stream, _ = prepare_alpaca_node(InstructionFile(SHARED / "alpaca" / name), READING)
        out[f"alpaca_{lang}"] = list(islice(stream, 60))
    for lang in ("zh", "vi"):
        base = SHARED / "parallel" / "ntrex128"
        pairs, _ = clean_parallel_node(CLEANING, READING, lang, ntrex=ParallelCorpus(base / "ntrex128.en", base / f"ntrex128.{lang}"))
        clean = list(islice(pairs, 200))
        for direction, name in (("en-x", f"translation_en_{lang}"), ("x-en", f"translation_{lang}_en")):
            out[name] = list(build_translation_instructions_node(clean, {"direction": "en-x", "seed": 0}, lang, direction))
    return out


def composition(mix, sources):
    """How many records of the mix come from each source (records are told apart by content)."""
    index = {json.dumps(r, sort_keys=True): name for name, recs in sources.items() for r in recs}
    counts = {}
    for r in mix:
        name = index[json.dumps(r, sort_keys=True)]
        counts[name] = counts.get(name, 0) + 1
    return counts


def test_coit_muit_and_the_paper_ablations(sources):
    paper = yaml.safe_load((PROJECT_ROOT / "conf" / "paper" / "parameters.yml").read_text())
    paper["languages"] = ["zh", "vi"]
    paper["experiments"] = {k: v for k, v in paper["experiments"].items()
                            if k in ("x_zh", "x_vi") or k.startswith("ablation_zh")}
    paper["experiments"]["m_zh_vi"] = {"sources": ["alpaca_en", "alpaca_zh", "alpaca_vi", "translation_en_zh", "translation_en_vi"]}
    paper["sweep"], paper["allocation"] = {}, {}  # mixes only: no laws, so no budgeted runs
    exps = {e.name: e for e in load_experiments(paper)}
    assert {"ablation_zh_general", "ablation_zh_x_en", "ablation_zh_en_x_only", "ablation_zh_both"} <= set(exps)
    for name, exp in exps.items():
        inputs = {s: sources[s] for s in exp.source_names()}
        mix = build_mix_node({"seed": 0}, list(exp.sources), **inputs)
        assert composition(mix, sources) == {s: len(sources[s]) for s in exp.source_names()}, name
        assert mix == build_mix_node({"seed": 0}, list(exp.sources), **inputs)  # deterministic
        assert all(source_dataset(s).split(".")[0] in ("en", "zh", "vi") for s in exp.source_names())


def test_sweep_mixes_are_nested_and_budgeted_mixes_follow_the_allocation_table(sources):
    params = {"languages": ["zh", "vi"], "sweep": {"languages": ["zh", "vi"], "translation_sizes": [25, 50, 100]},
              "allocation": {"experiments": {"budget": 120, "strategies": ["uniform", "optimised"]}}}
    exps = load_experiments(params)
    for lang in ("zh", "vi"):
        mixes = [build_mix_node({"seed": 0}, list(e.sources), **{s: sources[s] for s in e.source_names()})
                 for e in exps if e.sweep and e.sweep.language == lang]
        translated = [{r["output"] for r in m if r in sources[f"translation_en_{lang}"]} for m in mixes]
        assert [len(t) for t in translated] == [25, 50, 100] and translated[0] < translated[1] < translated[2]
    table = pd.DataFrame([{"budget": 120, "strategy": "uniform_integer", "X_zh": 60, "X_vi": 60},
                          {"budget": 120, "strategy": "optimised_integer", "X_zh": 97, "X_vi": 23}])
    budgeted = [e for e in exps if e.budgeted]
    assert sorted(e.split.strategy for e in budgeted) == ["optimised", "uniform"]
    for exp in budgeted:
        mix = build_budgeted_mix_node(table, {"seed": 0}, list(exp.sources), exp.split.strategy, exp.split.budget,
                                      **{s: sources[s] for s in exp.source_names()})
        row = table[table["strategy"] == f"{exp.split.strategy}_integer"].iloc[0]
        assert composition(mix, sources) == {"alpaca_en": 60, "translation_en_zh": row["X_zh"], "translation_en_vi": row["X_vi"]}
