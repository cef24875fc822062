"""Optional scorers: the LLM judge against a local HTTP test server (``chat_server`` in tests/conftest.py),
and COMET's skip path and command."""

import ast
import logging

import pytest

from xllm_kedro.evaluation.scorers.comet import WORKER, comet_command, comet_settings
from xllm_kedro.evaluation.scorers.chat import endpoint_from_credentials
from xllm_kedro.evaluation.scorers.judge import compare_pairwise, judge_qa, scores, verdict


def test_qa_judge_counts_yes_answers_and_sends_the_key_as_bearer(chat_server):
    endpoint, seen, replies = chat_server
    replies += ["YES", "Evaluation Form (YES or NO): NO", "yes, it is right", "I cannot tell"]
    out = judge_qa(endpoint, ["c1", "c2", "c3", "c4"], ["a1", "a2", "a3", "a4"])
    assert out == {"llm_judge": pytest.approx(100 * 2 / 3), "llm_judge_n": 3, "llm_judge_unparsed": 1}
    assert {s["path"] for s in seen} == {"/v1/chat/completions"}
    assert {s["auth"] for s in seen} == {"Bearer sk-test"}
    first = seen[0]["body"]
    assert first["model"] == "judge-model" and first["temperature"] == 0
    content = first["messages"][0]["content"]
    assert "Context: c1\nAnswer: a1" in content and content.endswith("Evaluation Form (YES or NO):")


def test_pairwise_asks_both_orders_and_averages(chat_server):
    endpoint, seen, replies = chat_server
    # question 1: A first gets 8 vs 6, B first gets 7 vs 9 (A is assistant 2) -> A (8+9)/2, B (6+7)/2
    # question 2: 5 vs 5 both ways -> a tie; question 3: unparsable second reply -> left out
    replies += ["Evaluation evidence: ...\nScore of the Assistant 1: 8\nScore of the Assistant 2: 6",
                "Score of the Assistant 1: 7\nScore of the Assistant 2: 9",
                "Score of the Assistant 1: 5\nScore of the Assistant 2: 5",
                "Score of the Assistant 1: 5\nScore of the Assistant 2: 5",
                "Score of the Assistant 1: 3\nScore of the Assistant 2: 4", "no scores here"]
    out = compare_pairwise(endpoint, ["q1", "q2", "q3"], ["A1", "A2", "A3"], ["B1", "B2", "B3"])
    assert out == {"score_a": pytest.approx((8.5 + 5) / 2), "score_b": pytest.approx((6.5 + 5) / 2),
                   "wins_a": 1, "ties": 1, "wins_b": 0, "unparsed": 1}
    first, second = (s["body"]["messages"][0]["content"] for s in seen[:2])
    assert first.index("A1") < first.index("B1") and second.index("B1") < second.index("A1")


def test_reply_parsers():
    assert verdict("NO.") is False and verdict("Correctness: YES") is True and verdict("maybe") is None
    assert scores("Score of the Assistant 1: 7.5\nScore of the Assistant 2: 10") == (7.5, 10.0)
    assert scores("Score of the Assistant 1: 11\nScore of the Assistant 2: 3") is None


def test_missing_credentials_or_switch_skip_the_judge_with_a_log_line(caplog):
    settings = {"enabled": True, "model": "m"}
    with caplog.at_level(logging.INFO, logger="xllm_kedro.evaluation.scorers.chat"):
        assert endpoint_from_credentials({}, settings) is None
        assert endpoint_from_credentials({"api_key": "k", "base_url": "u"}, {"enabled": False}) is None
    assert "llm_judge.api_key / llm_judge.base_url" in caplog.text and "conf/local/credentials.yml" in caplog.text
    assert "enabled is false" in caplog.text
    assert endpoint_from_credentials({"api_key": "k", "base_url": "http://h/v1"}, settings).model == "m"


def test_comet_is_skipped_when_off_or_its_environment_is_missing(tmp_path, caplog):
    with caplog.at_level(logging.INFO, logger="xllm_kedro.evaluation.scorers.comet"):
        assert comet_settings({"enabled": False}) is None
        assert comet_settings({"enabled": True, "python": str(tmp_path / "nope"), "checkpoint": "x"}) is None
    assert "comet skipped" in caplog.text and "nope" in caplog.text
    python, ckpt = tmp_path / "python", tmp_path / "model.ckpt"
    python.touch()
    ckpt.touch()
    settings = {"enabled": True, "python": str(python), "checkpoint": str(ckpt)}
    assert comet_settings(settings) == settings


def test_comet_command_runs_the_worker_in_the_other_environment(tmp_path):
    cmd = comet_command("/envs/comet/bin/python", "/ckpt/model.ckpt", tmp_path / "in.jsonl", tmp_path / "out.json",
                        batch_size=8, gpus=1)
    assert cmd[:2] == ["/envs/comet/bin/python", str(WORKER)] and WORKER.exists()
    flags = dict(zip(cmd[2::2], cmd[3::2]))
    assert flags == {"--checkpoint": "/ckpt/model.ckpt", "--input": str(tmp_path / "in.jsonl"),
                     "--output": str(tmp_path / "out.json"), "--batch-size": "8", "--gpus": "1"}
    imported = {a.name.split(".")[0] for node in ast.walk(ast.parse(WORKER.read_text())) if isinstance(node, ast.Import)
                for a in node.names}
    imported |= {n.module.split(".")[0] for n in ast.walk(ast.parse(WORKER.read_text())) if isinstance(n, ast.ImportFrom)}
    assert imported == {"argparse", "json", "os", "comet"}  # it runs where this package is not installed
