"""The chat endpoint's error paths over real sockets on 127.0.0.1: a refused connection, a server that
accepts and never answers, and an answer outside the chat-completions schema. Each ends in one
EndpointUnavailable naming the URL; the MI-Eval judge then skips its whole table with a log line."""

import json
import logging
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from xllm_kedro.evaluation.scorers.chat import ChatEndpoint, EndpointUnavailable
from xllm_kedro.evaluation.scorers.judge import judge_qa
from xllm_kedro.pipelines.mi_eval.nodes import judge_mi_eval_node
from xllm_kedro.spec.mi_eval import load_mi_eval


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def silent_server():
    """A TCP port that accepts connections (the kernel's backlog) and never answers."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(16)
        yield f"http://127.0.0.1:{s.getsockname()[1]}/v1"


@pytest.fixture
def off_schema_server():
    """Answers every POST with HTTP 200 and JSON that has no ``choices``."""
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers["Content-Length"]))
            body = json.dumps({"error": "model is loading"}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/v1"
    server.shutdown()
    server.server_close()


def test_a_refused_connection_is_named_after_the_retries():
    url = f"http://127.0.0.1:{_closed_port()}/v1"
    with pytest.raises(EndpointUnavailable, match=rf"chat endpoint {url} \(model m\) cannot be reached \(1 retries\)"):
        ChatEndpoint(url, "k", "m", timeout_s=2, retries=1).ask("hello")


def test_a_server_that_never_answers_times_out(silent_server):
    with pytest.raises(EndpointUnavailable, match=r"gave no answer within 0.5 s \(0 retries\)"):
        ChatEndpoint(silent_server, "k", "m", timeout_s=0.5, retries=0).ask("hello")


def test_an_answer_outside_the_schema_is_named(off_schema_server):
    with pytest.raises(EndpointUnavailable, match="without choices"):
        ChatEndpoint(off_schema_server, "k", "m", timeout_s=5, retries=0).ask("hello")


def test_the_qa_judge_is_skipped_with_a_log_line_when_unreachable(caplog):
    endpoint = ChatEndpoint(f"http://127.0.0.1:{_closed_port()}/v1", "k", "m", timeout_s=1, retries=0)
    with caplog.at_level(logging.WARNING):
        assert judge_qa(endpoint, ["c"], ["a"]) == {}
    assert "llm_judge skipped, no QA judge score is written" in caplog.text


def test_the_mi_eval_judge_writes_no_table_rows_when_its_endpoint_never_answers(silent_server, caplog):
    spec = load_mi_eval({"task": {"models": ["m", "x"]},
                         "judge": {"enabled": True, "timeout_s": 0.5, "retries": 0,
                                   "pairs": [{"a": "m", "b": "x", "languages": ["en"]}]}}, ["qaa"], {"m": (), "x": ()})
    answers = [{"id": f"mi{i}", "lang": "en", "instruction": "Say hi.", "input": "", "response": "hi"} for i in range(2)]
    with caplog.at_level(logging.WARNING):
        judgements, table, figure, settings = judge_mi_eval_node(
            {"base_url": silent_server, "api_key": "k", "model": "judge"}, answers, answers, models=["m", "x"], spec=spec)
    assert judgements == [] and table.empty and list(table.columns)[:3] == ["a", "b", "language"]
    assert settings["status"].startswith("skipped: chat endpoint") and settings["model"] == "judge"
    assert "Score of the Assistant 1" in settings["prompt"]  # the prompt is stored beside the (absent) scores
    assert "MI-Eval judge skipped, no win/tie/loss table is written" in caplog.text
