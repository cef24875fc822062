"""mi_eval: the set built from aligned records, answered by two tiny models, consistency reported and
the declared pair judged (by the scripted local endpoint ``chat_server``)."""

from kedro.runner import SequentialRunner

from xllm_kedro.corpora import read_instructions
from xllm_kedro.pipelines.mi_eval import create_pipeline

from ...conftest import RAW
from ..conftest import memory_catalog, small_parameters

KEEP = ("mi_eval", "mi_eval_provenance", "m_all.mi_eval_answers", "mi_eval_consistency_table",
        "mi_eval_consistency_report", "mi_eval_judge_table", "mi_eval_judge", "mi_eval_judgements")
A_WINS = ["Score of the Assistant 1: 9\nScore of the Assistant 2: 3",   # m_all first
          "Score of the Assistant 1: 3\nScore of the Assistant 2: 9"]   # x_zh first: m_all is assistant 2
TIE = ["Evaluation evidence: alike.\nScore of the Assistant 1: 5\nScore of the Assistant 2: 5"] * 2


def _parameters(**mi_eval):
    params = small_parameters(["zh"], {"x_zh": {"sources": ["alpaca_en"], "eval_languages": ["zh"]},
                                       "m_all": {"sources": ["alpaca_en"], "eval_languages": ["zh"]}})
    params["mi_eval"] = {"size": 4, "languages": ["zh"], "seeds": {"dataset": "en.alpaca_raw", "offset": 0},
                         "task": {"models": ["x_zh", "m_all"], "generation": {"max_new_tokens": 8}},
                         "consistency": {"layer": -1, "examples": 2}, **mi_eval}
    return params


def _data(tiny_model_dir) -> dict:
    return {"en.alpaca_raw": read_instructions(RAW / "alpaca" / "en.json"),
            "zh.alpaca_raw": read_instructions(RAW / "alpaca" / "zh.json"),
            "x_zh.model": tiny_model_dir, "m_all.model": tiny_model_dir}


def test_build_answer_report_and_judge(use_parameters, tiny_model_dir, chat_server):
    endpoint, seen, replies = chat_server
    replies += A_WINS * 4 + TIE * 4
    params = use_parameters(_parameters(judge={"enabled": True, "model": "judge-model", "pairs": [
        {"a": "m_all", "b": "x_zh", "languages": ["zh", "en"]}]}))
    catalog = memory_catalog(params, keep=KEEP, llm_generator_credentials={},
                             llm_judge_credentials={"api_key": "k", "base_url": endpoint.base_url},
                             **_data(tiny_model_dir))
    SequentialRunner().run(create_pipeline(), catalog)

    rows = catalog["mi_eval"].load()
    assert [r["lang"] for r in rows] == ["en"] * 4 + ["zh"] * 4
    provenance = catalog["mi_eval_provenance"].load()
    assert provenance["filters"]["kept"] == 4 and provenance["translator"].startswith("aligned")
    answers = catalog["m_all.mi_eval_answers"].load()
    assert [(r["id"], r["lang"]) for r in answers] == [(r["id"], r["lang"]) for r in rows]
    assert {r["experiment"] for r in answers} == {"m_all"}

    table = catalog["mi_eval_consistency_table"].load()
    assert sorted(zip(table["model"], table["language"])) == [("m_all", "zh"), ("x_zh", "zh")]
    assert all(-1 <= v <= 1 for v in table["cosine"]) and set(table["n"]) == {4}
    assert "## m_all/zh" in catalog["mi_eval_consistency_report"].load()

    judged = catalog["mi_eval_judge_table"].load().set_index("language")
    assert (judged.loc["zh", "wins_a"], judged.loc["zh", "ties"], judged.loc["zh", "score_a"]) == (4, 0, 9.0)
    assert (judged.loc["en", "ties"], judged.loc["en", "wins_b"]) == (4, 0)
    assert len(seen) == 16  # 4 instructions x 2 languages x both orders
    assert catalog["mi_eval_judge"].load()["model"] == "judge-model"
    assert len(catalog["mi_eval_judgements"].load()) == 8


def test_a_ready_made_set_is_read_and_the_judge_is_off_by_default(use_parameters, tiny_model_dir):
    params = use_parameters(_parameters(build=False))
    pipeline = create_pipeline()
    assert "mi_eval" in pipeline.inputs() and not any("judge" in n.name for n in pipeline.nodes)
    ready = [{"id": f"q{i}", "lang": lang, "instruction": f"Say the number {i} ({lang}).", "input": ""}
             for lang in ("zh", "en") for i in range(3)]
    catalog = memory_catalog(params, keep=KEEP, mi_eval=ready, **_data(tiny_model_dir))
    SequentialRunner().run(pipeline, catalog)
    assert [r["id"] for r in catalog["m_all.mi_eval_answers"].load()] == ["q0", "q1", "q2"] * 2
