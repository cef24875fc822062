"""MI-Eval and the pairwise judge against a real OpenAI-compatible server: ``transformers serve`` on
127.0.0.1 with tiny models (``local_openai_server`` in tests/conftest.py), reached through the
``openai`` client. The fixed-reply model's answer is designed in the fixture, so the counts below follow
from Wang et al.'s rules, not from this code."""

import pytest

from xllm_kedro.evaluation.instruction import judge_pairs
from xllm_kedro.evaluation.scorers.chat import ChatEndpoint
from xllm_kedro.pipelines.mi_eval.nodes import build_mi_eval_node
from xllm_kedro.spec.mi_eval import JudgePair, load_mi_eval

from ...conftest import SEED_INSTRUCTIONS

pytestmark = pytest.mark.slow


def _spec(tiny_model_dir, size: int, max_requests: int):
    return load_mi_eval({
        "size": size, "languages": ["zh"], "seeds": {"dataset": "en.alpaca_raw", "offset": 0},
        "self_instruct": {"enabled": True, "shown": 3, "per_request": 8, "max_requests": max_requests,
                          "max_tokens": 300, "temperature": 0.0, "timeout_s": 120, "retries": 0},
        "translation": {"method": "model", "model_dir": str(tiny_model_dir), "max_new_tokens": 8},
        "task": {"models": ["m_all"]},
    }, ["zh"], {"m_all": ("zh",)})


def _seed_records():
    return [{"instruction": s, "input": "", "output": ""} for s in SEED_INSTRUCTIONS]


def test_mi_eval_builds_from_self_instruct_with_each_filter_counted(local_openai_server, tiny_model_dir):
    credentials = {"base_url": local_openai_server.base_url, "api_key": "sk-local", "model": local_openai_server.fixed}
    rows, provenance, metrics = build_mi_eval_node(_seed_records(), credentials, spec=_spec(tiny_model_dir, 3, 5))
    # one request: the unnumbered first line and two later ones are kept; one line breaks each rule
    assert provenance["filters"] == {"offered": 9, "length": 1, "keyword": 1, "punctuation_start": 1,
                                     "non_english_start": 1, "program": 1, "similar": 1, "kept": 3, "requests": 1}
    english = [r for r in rows if r["lang"] == "en"]
    assert [r["instruction"] for r in english] == [
        "Describe the life cycle of a butterfly in simple terms.",
        "Suggest three names for a friendly robot in a story.", "Explain why the sky looks blue during the day."]
    assert [r["id"] for r in rows if r["lang"] == "zh"] == [r["id"] for r in english]
    assert provenance["generator"] == f"self-instruct: {local_openai_server.fixed} at {local_openai_server.base_url}"
    assert provenance["translator"] == f"model {tiny_model_dir}"
    assert metrics["mi_eval.filter.kept"]["value"] == 3.0


def test_too_few_new_instructions_stop_the_build_with_the_counts(local_openai_server, tiny_model_dir):
    credentials = {"base_url": local_openai_server.base_url, "api_key": "sk-local", "model": local_openai_server.fixed}
    # the second request gets the same reply: everything in it is now too close to the pool
    with pytest.raises(ValueError, match=r"parameters mi_eval.size: only 3 of 4 .*'similar': 5"):
        build_mi_eval_node(_seed_records(), credentials, spec=_spec(tiny_model_dir, 4, 2))


def _answers(model: str, n: int) -> list[dict]:
    return [{"id": f"mi{i:04d}", "lang": "en", "instruction": f"Name animal {i}.", "input": "",
             "response": f"{model} answer {i}"} for i in range(n)]


def test_the_judge_asks_both_orders_so_a_first_position_bias_ends_in_ties(local_openai_server):
    endpoint = ChatEndpoint(local_openai_server.base_url, "sk-local", local_openai_server.fixed, timeout_s=120,
                            retries=0, max_tokens=300)
    table, judgements = judge_pairs(endpoint, [JudgePair("m", "x", "en")],
                                    {"m": _answers("m", 3), "x": _answers("x", 3)})
    # the served judge gives the first assistant 8 and the second 6, whoever they are
    assert table == [{"a": "m", "b": "x", "language": "en", "n": 3, "score_a": 7.0, "score_b": 7.0, "wins_a": 0,
                      "ties": 3, "wins_b": 0, "unparsed": 0, "judge_model": local_openai_server.fixed}]
    assert all(j["reply_a_first"].endswith("Score of the Assistant 1: 8\nScore of the Assistant 2: 6")
               and j["reply_b_first"] == j["reply_a_first"] for j in judgements)


def test_malformed_judge_replies_are_counted_and_left_out(local_openai_server):
    endpoint = ChatEndpoint(local_openai_server.base_url, "sk-local", local_openai_server.untrained, timeout_s=120,
                            retries=0, max_tokens=20)
    table, judgements = judge_pairs(endpoint, [JudgePair("m", "x", "en")],
                                    {"m": _answers("m", 2), "x": _answers("x", 2)})
    assert (table[0]["unparsed"], table[0]["wins_a"] + table[0]["ties"] + table[0]["wins_b"]) == (2, 0)
    assert all(j["score_a"] is None and j["reply_a_first"] for j in judgements)
