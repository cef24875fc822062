"""evaluation: every declared (task, language) unit of every experiment scored, and the results table."""

import json
import logging
from dataclasses import asdict

import mlflow
from kedro.runner import SequentialRunner

from xllm_kedro.evaluation.sets import squad_examples
from xllm_kedro.pipelines.evaluation import create_pipeline

from ...conftest import CPU_1PROC, RAW
from ..conftest import memory_catalog, small_parameters

OUTPUTS = ("x_zh.predictions", "x_zh.metrics", "m_all.metrics", "evaluation_results", "evaluation_table",
           "evaluation_table_md", "translation_chart", "evaluation_metrics")


def test_every_declared_task_runs_on_the_tiny_model(use_parameters, tiny_model_dir, chat_server, caplog, tmp_path,
                                                    mlflow_store):
    endpoint, seen, replies = chat_server
    replies += ["YES"] * 100
    params = small_parameters(["zh", "vi"], {
        "x_zh": {"sources": ["alpaca_en"], "eval_languages": ["zh", "vi"]},
        "m_all": {"sources": ["alpaca_en"], "eval_languages": ["zh"], "tasks": ["translation"]}})
    params["evaluation"] = {**params["evaluation"], "max_examples": 5}
    params["launcher"] = {"accelerate_config": str(CPU_1PROC), "workdir": str(tmp_path / "jobs"), "in_process": True}
    mlflow_store("evaluation_pipeline")
    params["evaluation"]["scorers"] = {**params["evaluation"]["scorers"],
                                       "llm_judge": {**params["evaluation"]["scorers"]["llm_judge"], "enabled": True}}
    use_parameters(params)
    data = {f"{lang}.qa_examples": [asdict(e) for e in squad_examples(json.loads((RAW / "qa" / f"{lang}.json").read_text()))]
            for lang in ("zh", "vi")}
    data.update({f"{lang}.flores_raw": (RAW / "multiway" / f"{lang}.txt").read_text(encoding="utf-8")
                 for lang in ("en", "zh", "vi")})
    catalog = memory_catalog(params, keep=OUTPUTS, llm_judge_credentials={"api_key": "k", "base_url": endpoint.base_url},
                             **{"x_zh.model": tiny_model_dir, "m_all.model": tiny_model_dir}, **data)
    with caplog.at_level(logging.INFO):
        SequentialRunner().run(create_pipeline(), catalog)
    assert "comet skipped" in caplog.text and "spbleu skipped" in caplog.text

    predictions = catalog["x_zh.predictions"].load()
    counts = {}
    for r in predictions:
        counts[(r["task"], r["lang"])] = counts.get((r["task"], r["lang"]), 0) + 1
    n_qa = {lang: min(5, len(data[f"{lang}.qa_examples"])) for lang in ("zh", "vi")}
    assert counts == {("qa", "zh"): n_qa["zh"], ("qa", "vi"): n_qa["vi"], ("translation", "en-zh"): 5,
                      ("translation", "zh-en"): 5, ("translation", "en-vi"): 5, ("translation", "vi-en"): 5}
    assert len(seen) == n_qa["zh"] + n_qa["vi"]  # one judge call per answer

    metrics = catalog["x_zh.metrics"].load()
    for unit in ("qa.zh", "qa.vi"):
        assert all(0 <= metrics[f"{unit}.{m}"] <= 100 for m in ("exact_match", "f1", "containment"))
        assert metrics[f"{unit}.llm_judge"] == 100.0 and metrics[f"{unit}.exact_match_signature"] == "normalizer:mlqa"
    for pair in ("en-zh", "zh-en", "en-vi", "vi-en"):
        assert 0 <= metrics[f"translation.{pair}.bleu"] <= 100 and 0 <= metrics[f"translation.{pair}.chrf"] <= 100
    assert "tok:zh" in metrics["translation.en-zh.bleu_signature"]
    assert "tok:13a" in metrics["translation.zh-en.bleu_signature"]
    assert not any(k.startswith("qa.") for k in catalog["m_all.metrics"].load())  # m_all asked for translation only

    table = catalog["evaluation_table"].load()
    assert set(table["model"]) == {"x_zh", "m_all"}
    assert {"qa/zh", "qa/vi", "translation/en-zh", "translation/zh-en"} <= set(table.columns)
    bleu = table[(table["model"] == "x_zh") & (table["metric"] == "bleu")].iloc[0]
    assert bleu["translation/en-zh"] == metrics["translation.en-zh.bleu"]
    assert catalog["evaluation_table_md"].load().startswith("| model | metric |")
    figure = catalog["translation_chart"].load()
    assert len(figure.axes) == 2 * 2  # (bleu, chrf) x (En->X, X->En)
    assert "x_zh.qa.zh.f1" in catalog["evaluation_metrics"].load()

    # generation ran as the job (its files in the job folder), and each child run holds its metrics
    job = tmp_path / "jobs" / "eval" / "x_zh"
    assert {"job.json", "requests.json", "outputs.json"} <= {p.name for p in job.iterdir()}
    runs = {r.info.run_name: r for r in mlflow.search_runs(experiment_names=["evaluation_pipeline"], output_format="list")}
    assert set(runs) == {"eval/x_zh", "eval/m_all"}
    assert runs["eval/x_zh"].data.metrics["translation.en-zh.bleu"] == metrics["translation.en-zh.bleu"]
    assert runs["eval/x_zh"].data.tags["in_process"] == "true"


def test_models_with_a_declared_baseline_are_tested_against_it(use_parameters):
    from ...conftest import parameters

    use_parameters(parameters("base"))
    [node] = create_pipeline().only_nodes("significance_node").nodes
    assert node.inputs[:2] == ["params:significance", "params:tasks"]
    assert set(node.inputs[2:]) == {f"{m}.predictions" for m in ("alpaca_en", "x_qaa", "x_qab", "x_qac", "m_all")}
    assert node.outputs == ["significance_table", "significance_metrics"]
