"""data_preparation: raw Alpaca, parallel text and QA files -> cleaned sources and one mix per experiment."""

import json

import pandas as pd
from kedro.pipeline import Pipeline
from kedro.runner import SequentialRunner

from xllm_kedro.corpora import ParallelCorpus, read_instructions
from xllm_kedro.pipelines.budgeted import create_pipeline as budgeted_pipeline
from xllm_kedro.pipelines.data_preparation import create_pipeline

from ...conftest import RAW, sample_parameters
from ..conftest import memory_catalog, small_parameters


def test_data_preparation_builds_every_mix_from_the_sample_data(use_parameters):
    params = use_parameters(sample_parameters())
    raw = {f"{lang}.alpaca_raw": list(read_instructions(RAW / "alpaca" / f"{lang}.json")) for lang in ("en", "zh", "vi")}
    raw.update({f"{lang}.parallel_raw": ParallelCorpus(RAW / "parallel" / f"en-{lang}.en", RAW / "parallel" / f"en-{lang}.{lang}")
                for lang in ("zh", "vi")})
    raw.update({f"{lang}.qa_raw": json.loads((RAW / "qa" / f"{lang}.json").read_text(encoding="utf-8"))
                for lang in ("zh", "vi")})
    allocation = pd.DataFrame([
        {"budget": 40, "strategy": "uniform_integer", "X_zh": 20, "X_vi": 20},
        {"budget": 40, "strategy": "optimised_integer", "X_zh": 31, "X_vi": 9},
    ])
    catalog = memory_catalog(params, allocation_table=allocation, **raw)
    budgeted_mixes = [n for n in budgeted_pipeline().nodes if n.name.endswith(".build_mix_node")]
    pipeline = create_pipeline() + Pipeline(budgeted_mixes)
    SequentialRunner().run(pipeline, catalog)

    stats = catalog["data_statistics"].load().set_index("language")
    # 42 raw pairs: one exact duplicate and one pair whose target equals its source
    assert stats.loc["zh", "parallel_kept"] == 40
    assert stats.loc["zh", "parallel_dropped_duplicate"] == 1 and stats.loc["zh", "parallel_dropped_same_as_source"] == 1
    x_zh = catalog["x_zh.train_mix"].load()
    assert len(x_zh) == 12 + 12 + 40
    sweep = [catalog[f"sweep_zh_{n}.train_mix"].load() for n in (10, 20, 40)]
    assert [len(m) for m in sweep] == [34, 44, 64]
    translations = [{r["output"] for r in m if r["input"] and "Chinese" in r["instruction"]} for m in sweep]
    assert translations[0] < translations[1] < translations[2]  # nested subsets
    m_all = catalog["m_all.train_mix"].load()
    assert len(m_all) == 12 * 3 + 40 * 2

    def translations(mix, lang):
        return sum(1 for r in mix if r["input"] and lang in r["instruction"])

    optimised = catalog["budget_optimised.train_mix"].load()
    assert (translations(optimised, "Chinese"), translations(optimised, "Vietnamese")) == (31, 9)
    uniform = catalog["budget_uniform.train_mix"].load()
    assert (translations(uniform, "Chinese"), translations(uniform, "Vietnamese")) == (20, 20)
    assert len(catalog["zh.qa_examples"].load()) == 4


def test_direction_ablation_builds_x_to_en_instructions_only_when_asked(use_parameters):
    params = small_parameters(["zh"], {"ablation_zh_x_en": {"sources": ["alpaca_en", "translation_zh_en"],
                                                            "eval_languages": ["zh"]}})
    use_parameters(params)
    pipeline = create_pipeline()
    assert "zh.reverse_translation_instructions" in pipeline.all_outputs()
    raw = {"en.alpaca_raw": list(read_instructions(RAW / "alpaca" / "en.json")),
           "zh.alpaca_raw": list(read_instructions(RAW / "alpaca" / "zh.json")),
           "zh.parallel_raw": ParallelCorpus(RAW / "parallel" / "en-zh.en", RAW / "parallel" / "en-zh.zh"),
           "zh.qa_raw": json.loads((RAW / "qa" / "zh.json").read_text(encoding="utf-8"))}
    catalog = memory_catalog(params, **raw)
    SequentialRunner().run(pipeline, catalog)
    mix = catalog["ablation_zh_x_en.train_mix"].load()
    reverse = [r for r in mix if not r["input"].isascii()]  # Chinese in, English out
    assert len(reverse) == 40 and all(r["output"].isascii() and "English" in r["instruction"] for r in reverse)

    params["experiments"] = {"x_zh": {"sources": ["alpaca_en", "alpaca_zh", "translation_en_zh"], "eval_languages": ["zh"]}}
    use_parameters(params)
    assert "zh.reverse_translation_instructions" not in create_pipeline().all_outputs()


def test_statistics_table_counts_per_corpus_with_wikimatrix_skips_and_margin_drops(use_parameters, tmp_path):
    from xllm_kedro.corpora import InstructionFile, WikiMatrixCorpus

    params = small_parameters(["zh"], {"x_zh": {"sources": ["alpaca_en", "alpaca_zh", "translation_en_zh"],
                                                "eval_languages": ["zh"]}})
    params["data_preparation"]["reading"] = {"skip_bad_lines": True, "min_margin": 1.04}
    params["data_preparation"]["parallel_corpora"] = {"default": ["wikimatrix", "parallel"]}
    use_parameters(params)
    en = (RAW / "parallel" / "en-zh.en").read_text(encoding="utf-8").splitlines()
    zh = (RAW / "parallel" / "en-zh.zh").read_text(encoding="utf-8").splitlines()
    tsv = tmp_path / "wm.tsv"  # 5 new pairs, 2 under the margin, 2 malformed lines, 3 repeating the Moses file
    rows = [f"1.10\tWikiMatrix line {i}.\t维基第{i}行。" for i in range(5)] + ["1.00\tLow one.\t低一。", "1.03\tLow two.\t低二。"]
    rows += ["1.2\tonly two columns", "n/a\ta\tb"] + [f"1.2\t{en[i]}\t{zh[i]}" for i in range(3)]
    tsv.write_text("\n".join(rows) + "\n", encoding="utf-8")
    raw = {"en.alpaca_raw": InstructionFile(RAW / "alpaca" / "en.json"),  # lazy readers, as the catalog loads them
           "zh.alpaca_raw": InstructionFile(RAW / "alpaca" / "zh.json"),
           "zh.wikimatrix_raw": WikiMatrixCorpus(tsv),
           "zh.parallel_raw": ParallelCorpus(RAW / "parallel" / "en-zh.en", RAW / "parallel" / "en-zh.zh"),
           "zh.qa_raw": json.loads((RAW / "qa" / "zh.json").read_text(encoding="utf-8"))}
    catalog = memory_catalog(params, **raw)
    SequentialRunner().run(create_pipeline(), catalog)
    row = catalog["data_statistics"].load().set_index("language").loc["zh"]
    assert row["parallel_corpora"] == "wikimatrix+parallel" and row["min_margin"] == 1.04
    assert (row["wikimatrix.read"], row["wikimatrix.skipped_bad_lines"], row["wikimatrix.dropped_below_margin"]) == (10, 2, 2)
    assert row["wikimatrix.kept"] == 8
    # the Moses file: 42 lines, one duplicate and one copy within it (see above), 3 already seen in WikiMatrix
    assert (row["parallel.read"], row["parallel.kept"], row["parallel.dropped_duplicate"]) == (42, 37, 4)
    assert row["parallel_kept"] == 8 + 37 and row["parallel_skipped_bad_lines"] == 2
    assert len(catalog["x_zh.train_mix"].load()) == 12 + 12 + 45
    assert catalog["data_statistics_metrics"].load()["data.zh.parallel_kept"]["value"] == 45


def test_alpaca_translation_with_a_local_causal_model(use_parameters, tiny_model_dir):
    params = small_parameters(["zh"], {"x_zh": {"sources": ["alpaca_en", "alpaca_zh"], "eval_languages": ["zh"]}})
    params["data_preparation"]["alpaca_translation"] = {
        "enabled": True, "model_dir": str(tiny_model_dir), "languages": ["zh"], "max_records": 3,
        "batch_size": 4, "max_new_tokens": 6}
    use_parameters(params)
    pipeline = create_pipeline()
    assert "zh.alpaca_raw" not in pipeline.inputs() and "zh.alpaca_translated" in pipeline.all_outputs()
    english = list(read_instructions(RAW / "alpaca" / "en.json"))
    raw = {"en.alpaca_raw": english, "zh.parallel_raw": ParallelCorpus(RAW / "parallel" / "en-zh.en", RAW / "parallel" / "en-zh.zh"),
           "zh.qa_raw": json.loads((RAW / "qa" / "zh.json").read_text(encoding="utf-8"))}
    catalog = memory_catalog(params, keep=("zh.alpaca_translated",), **raw)
    SequentialRunner().run(pipeline, catalog)
    translated = list(catalog["zh.alpaca_translated"].load())
    assert len(translated) == 3 and all(set(r) == {"instruction", "input", "output"} for r in translated)
    for src, out in zip(english[:3], translated):
        for key in ("instruction", "input", "output"):  # empty fields stay empty; the others are translated
            assert isinstance(out[key], str) and (src[key] != "" or out[key] == ""), key
    stats = catalog["data_statistics"].load().set_index("language")
    assert stats.loc["zh", "alpaca_kept"] + stats.loc["zh", "alpaca_dropped_empty"] == 3
