"""An LLM judge over an OpenAI-compatible chat endpoint (``chat.py``, the ``openai`` client).

Two uses from the paper (Appendix D): QA correctness, a YES/NO verdict per answer, and MI-Eval
pairwise comparison, 1-10 per assistant, asked in both orders and averaged to cancel position bias.
The endpoint and key come from the caller (the Kedro layer reads them from conf/local/credentials.yml).
A QA judge that cannot be reached is skipped with a log line (no score rather than a partial one);
the pairwise comparison lets ``EndpointUnavailable`` through, so its caller writes no partial table.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from statistics import mean

from xllm_kedro.evaluation.scorers.chat import ChatEndpoint, EndpointUnavailable
from xllm_kedro.progress import progress

log = logging.getLogger(__name__)

QA_PROMPT = (  # Appendix D, "Evaluating Answer Quality with ChatGPT"
    "You will be given a context followed by question. You will then be given one potential answer to the "
    "question. Your task is to tell if the answer is correct. Please make sure you read and understand these "
    "instructions carefully. Please keep this document open while reviewing, and refer to it as needed.\n\n"
    "Evaluation Criteria: Correctness (YES or NO): Is the answer correct? YES means the answer provides an "
    "accurate and valid response that aligns with the facts, logic, and requirements of the question. The "
    "answer should be in the same language as the context. NO means otherwise.\n"
    "Context: {context}\nAnswer: {answer}\n\nEvaluation Form (YES or NO):"
)
PAIRWISE_PROMPT = (  # Appendix D, "Comparing Response Quality with ChatGPT", after the question and answers
    "[Question]\n{question}\n\n[Assistant 1]\n{first}\n[End of Assistant 1]\n\n[Assistant 2]\n{second}\n"
    "[End of Assistant 2]\n\n"
    "We would like to request your feedback on the performance of two AI assistants in response to the user "
    "question displayed above. Please rate the helpfulness, relevance, accuracy, level of details of their "
    "responses.\n\nEach assistant receives an overall score on a scale of 1 to 10, where a higher score "
    "indicates better overall performance. Please first provide a comprehensive explanation of your evaluation, "
    "avoiding any potential bias and ensuring that the order in which the responses were presented does not "
    "affect your judgment. Then, output two lines indicating the scores for Assistant 1 and 2, respectively.\n\n"
    "Output with the following format:\nEvaluation evidence: <Explanation>\nScore of the Assistant 1: <Score>\n"
    "Score of the Assistant 2: <Score>"
)
_VERDICT = re.compile(r"\b(YES|NO)\b", re.IGNORECASE)
_ECHO = re.compile(r"\bYES\s+or\s+NO\b", re.IGNORECASE)
_SCORE = re.compile(r"Score of the Assistant ([12])\s*:\s*(\d+(?:\.\d+)?)", re.IGNORECASE)


def verdict(reply: str) -> bool | None:
    """The first YES or NO of a reply (an echoed "YES or NO" aside); None when it has neither."""
    match = _VERDICT.search(_ECHO.sub(" ", reply))
    return None if match is None else match.group(1).upper() == "YES"


def judge_qa(endpoint: ChatEndpoint, contexts: Sequence[str], answers: Sequence[str]) -> dict:
    """Share of answers judged correct (0-100) over the parsed verdicts, with counts; ``{}`` (logged)
    when the endpoint stops answering."""
    try:
        verdicts = [verdict(endpoint.ask(QA_PROMPT.format(context=c, answer=a)))
                    for c, a in progress(zip(contexts, answers), desc="judge qa", unit="answer", total=len(answers))]
    except EndpointUnavailable as err:
        log.warning("llm_judge skipped, no QA judge score is written: %s", err)
        return {}
    parsed = [v for v in verdicts if v is not None]
    return {"llm_judge": 100 * sum(parsed) / len(parsed) if parsed else float("nan"),
            "llm_judge_n": len(parsed), "llm_judge_unparsed": len(verdicts) - len(parsed)}


def scores(reply: str) -> tuple[float, float] | None:
    """(Assistant 1, Assistant 2) scores of a pairwise reply, or None unless both are there and in 1-10."""
    found = {int(k): float(v) for k, v in _SCORE.findall(reply)}
    if set(found) != {1, 2} or not all(1 <= v <= 10 for v in found.values()):
        return None
    return found[1], found[2]


def pairwise_verdicts(endpoint: ChatEndpoint, questions: Sequence[str], answers_a: Sequence[str],
                      answers_b: Sequence[str], desc: str = "judge") -> list[dict]:
    """MI-Eval, per question: asked with A first and with B first; each system's score is the mean of
    its two (None when a reply has no parsable scores). The raw replies are kept for the record."""
    out = []
    for q, a, b in progress(zip(questions, answers_a, answers_b, strict=True), desc=desc, unit="question",
                            total=len(questions)):
        forward = endpoint.ask(PAIRWISE_PROMPT.format(question=q, first=a, second=b))
        backward = endpoint.ask(PAIRWISE_PROMPT.format(question=q, first=b, second=a))
        f, r = scores(forward), scores(backward)
        both = f is not None and r is not None
        out.append({"reply_a_first": forward, "reply_b_first": backward,
                    "score_a": (f[0] + r[1]) / 2 if both else None, "score_b": (f[1] + r[0]) / 2 if both else None})
    return out


def tally(verdicts: Sequence[dict]) -> dict:
    """Mean scores of A and B, A's wins, ties and losses, and how many questions had an unparsable reply
    (left out)."""
    parsed = [(v["score_a"], v["score_b"]) for v in verdicts if v["score_a"] is not None]
    return {
        "score_a": mean(a for a, _ in parsed) if parsed else float("nan"),
        "score_b": mean(b for _, b in parsed) if parsed else float("nan"),
        "wins_a": sum(a > b for a, b in parsed), "ties": sum(a == b for a, b in parsed),
        "wins_b": sum(a < b for a, b in parsed), "unparsed": len(verdicts) - len(parsed),
    }


def compare_pairwise(endpoint: ChatEndpoint, questions: Sequence[str], answers_a: Sequence[str],
                     answers_b: Sequence[str]) -> dict:
    """``tally`` of ``pairwise_verdicts``."""
    return tally(pairwise_verdicts(endpoint, questions, answers_a, answers_b))
