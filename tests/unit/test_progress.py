"""Progress bars: drawn on a terminal, nothing at all when stderr is piped (a log gets no '\\r'
fragments); data preparation's streams show one when given a name, and a run logs each node it starts
and which experiment of how many it is training or evaluating, and says a repeated notice once."""

from __future__ import annotations

import io
import logging
import sys

from kedro.pipeline import Node, Pipeline

from xllm_kedro.corpora import CountedStream, Stream
from xllm_kedro.hooks import ExperimentProgressHook, NodeProgressHook
from xllm_kedro.progress import on_terminal, progress
from xllm_kedro.quiet import once


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _counted(n: int, counts: dict):
    for i in range(n):
        counts["kept"] = counts.get("kept", 0) + 1
        yield {"i": i}


def test_a_bar_is_drawn_on_a_terminal_only(monkeypatch):
    monkeypatch.setattr(sys, "stderr", Terminal())
    assert on_terminal()
    assert list(progress(range(5), desc="encode", unit="batch")) == list(range(5))
    drawn = sys.stderr.getvalue()
    assert "encode" in drawn and "/5 " in drawn and "batch" in drawn and "\r" in drawn

    monkeypatch.setattr(sys, "stderr", io.StringIO())
    assert not on_terminal()
    assert list(progress(range(5), desc="encode", unit="batch")) == list(range(5))
    assert sys.stderr.getvalue() == ""


def test_one_process_of_several_shows_the_bar(monkeypatch):
    monkeypatch.setattr(sys, "stderr", Terminal())
    list(progress(range(3), desc="generate", unit="batch", show=False))
    assert sys.stderr.getvalue() == ""


def test_a_named_stream_counts_its_records_on_a_terminal(monkeypatch):
    monkeypatch.setattr(sys, "stderr", Terminal())
    stream = CountedStream(_counted, 7, desc="clean qaa", unit="pair")
    assert [r["i"] for r in stream] == list(range(7)) and stream.counts() == {"kept": 7}
    drawn = sys.stderr.getvalue()
    assert "clean qaa" in drawn and "pair" in drawn

    monkeypatch.setattr(sys, "stderr", Terminal())
    assert list(Stream(range, 3)) == [0, 1, 2]  # unnamed: no bar
    assert sys.stderr.getvalue() == ""


def _job(namespace: str, kind: str, output: str) -> Node:
    return Node(lambda: 0, None, output, name=kind, namespace=namespace)


def test_a_run_logs_which_experiment_of_how_many_it_starts(caplog):
    nodes = [_job(f"instruction_tuning.{e}", "train_model_node", f"{e}_model") for e in ("x_qaa", "x_qab", "m_all")]
    nodes += [_job("evaluation.x_qaa", "evaluate_model_node", "x_qaa_metrics"), _job(None, "collect", "table")]
    hook = ExperimentProgressHook()
    hook.before_pipeline_run({}, Pipeline(nodes), None)
    with caplog.at_level(logging.INFO, logger="xllm_kedro.hooks"):
        for node in nodes:
            hook.before_node_run(node)
    assert caplog.messages == ["x_qaa: training, experiment 1 of 3", "x_qab: training, experiment 2 of 3",
                               "m_all: training, experiment 3 of 3", "x_qaa: evaluation, experiment 1 of 1"]


def test_a_run_logs_one_line_per_node_and_says_a_repeated_notice_once_per_run(caplog):
    nodes = [_job("data_preparation.qaa", "build_mix_node", "qaa_mix"), _job("instruction_tuning.x_qaa",
             "train_model_node", "x_qaa_model"), _job(None, "collect", "table")]
    notices = logging.getLogger("xllm_kedro.evaluation.scorers.comet")
    hook = NodeProgressHook()
    with caplog.at_level(logging.INFO):
        for _ in range(2):  # two runs in one process (a notebook, a test session)
            hook.before_pipeline_run({}, Pipeline(nodes), None)
            for node in nodes:
                hook.before_node_run(node)
                once(notices, logging.INFO, "comet skipped: %s.enabled is false", "parameters x")
            hook.after_pipeline_run()
    run = ["Running node 1/3: data_preparation.qaa.build_mix_node", "comet skipped: parameters x.enabled is false",
           "Running node 2/3: instruction_tuning.x_qaa.train_model_node", "Running node 3/3: collect",
           "Run completed: 3 nodes in 0 s"]
    assert caplog.messages == run + run


def test_sacrebleus_tokenized_text_warning_comes_once_per_run(caplog):
    import sacrebleu

    from xllm_kedro.quiet import forget_notices, quiet

    quiet()
    hypotheses = [f"word {i} ." for i in range(120)]  # the world's text ends in " .", as tokenized text does
    with caplog.at_level(logging.WARNING, logger="sacrebleu"):
        for _ in range(3):  # three models scored in one run
            sacrebleu.corpus_bleu(hypotheses, [hypotheses])
        first_run = [r.getMessage() for r in caplog.records]
        forget_notices()  # the next run
        sacrebleu.corpus_bleu(hypotheses, [hypotheses])
    assert first_run and first_run[0].startswith("That's 100 lines that end in a tokenized period")
    assert len(first_run) == len(set(first_run))  # each of its lines once, not once per score
    assert [r.getMessage() for r in caplog.records] == first_run + first_run
