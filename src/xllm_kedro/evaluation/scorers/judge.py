"""An LLM judge over an OpenAI-compatible chat endpoint (standard library HTTP, no client package).

Two uses from the paper (Appendix D): QA correctness, a YES/NO verdict per answer, and MI-Eval
pairwise comparison, 1-10 per assistant, asked in both orders and averaged to cancel position bias.
The endpoint and key come from the caller (the Kedro layer reads them from conf/local/credentials.yml).
"""

from __future__ import annotations

import json
import logging
import re
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from statistics import mean

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


@dataclass(frozen=True)
class ChatEndpoint:
    base_url: str  # e.g. https://api.openai.com/v1
    api_key: str
    model: str
    timeout_s: float = 60.0
    retries: int = 2

    def ask(self, prompt: str) -> str:
        """One user message, temperature 0; the reply's text. Retries on 429 and 5xx, then raises."""
        body = json.dumps({"model": self.model, "temperature": 0,
                           "messages": [{"role": "user", "content": prompt}]}).encode()
        url = self.base_url.rstrip("/") + "/chat/completions"
        request = urllib.request.Request(url, data=body, method="POST", headers={
            "Content-Type": "application/json", "Authorization": f"Bearer {self.api_key}"})
        for attempt in range(self.retries + 1):
            try:
                with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                    return json.loads(response.read())["choices"][0]["message"]["content"]
            except urllib.error.HTTPError as err:
                if err.code not in (429, 500, 502, 503, 504) or attempt == self.retries:
                    raise RuntimeError(f"LLM judge at {url} answered HTTP {err.code}") from None
                time.sleep(2**attempt)
        raise AssertionError("unreachable")


def endpoint_from_credentials(credentials: Mapping | None, settings: Mapping) -> ChatEndpoint | None:
    """The judge's endpoint, or None (logged) when it is off or conf/local/credentials.yml lacks ``llm_judge``."""
    if not settings.get("enabled"):
        log.info("llm_judge skipped: parameters evaluation.scorers.llm_judge.enabled is false")
        return None
    credentials = credentials or {}
    missing = [k for k in ("api_key", "base_url") if not credentials.get(k)]
    if missing:
        log.warning("llm_judge skipped: conf/local/credentials.yml has no llm_judge.%s", " / llm_judge.".join(missing))
        return None
    return ChatEndpoint(credentials["base_url"], credentials["api_key"], settings["model"],
                        float(settings.get("timeout_s", 60)))


def verdict(reply: str) -> bool | None:
    """The first YES or NO of a reply (an echoed "YES or NO" aside); None when it has neither."""
    match = _VERDICT.search(_ECHO.sub(" ", reply))
    return None if match is None else match.group(1).upper() == "YES"


def judge_qa(endpoint: ChatEndpoint, contexts: Sequence[str], answers: Sequence[str]) -> dict:
    """Share of answers judged correct (0-100) over the parsed verdicts, with counts."""
    verdicts = [verdict(endpoint.ask(QA_PROMPT.format(context=c, answer=a))) for c, a in zip(contexts, answers)]
    parsed = [v for v in verdicts if v is not None]
    return {"llm_judge": 100 * sum(parsed) / len(parsed) if parsed else float("nan"),
            "llm_judge_n": len(parsed), "llm_judge_unparsed": len(verdicts) - len(parsed)}


def scores(reply: str) -> tuple[float, float] | None:
    """(Assistant 1, Assistant 2) scores of a pairwise reply, or None unless both are there and in 1-10."""
    found = {int(k): float(v) for k, v in _SCORE.findall(reply)}
    if set(found) != {1, 2} or not all(1 <= v <= 10 for v in found.values()):
        return None
    return found[1], found[2]


def compare_pairwise(endpoint: ChatEndpoint, questions: Sequence[str], answers_a: Sequence[str],
                     answers_b: Sequence[str]) -> dict:
    """MI-Eval: each question asked with A first and with B first; a system's score is the mean of its two.

    Returns the mean scores of A and B, A's wins, ties and losses, and how many questions had an
    unparsable reply (left out).
    """
    per_question = []
    for q, a, b in zip(questions, answers_a, answers_b):
        forward = scores(endpoint.ask(PAIRWISE_PROMPT.format(question=q, first=a, second=b)))
        backward = scores(endpoint.ask(PAIRWISE_PROMPT.format(question=q, first=b, second=a)))
        if forward and backward:
            per_question.append(((forward[0] + backward[1]) / 2, (forward[1] + backward[0]) / 2))
    return {
        "score_a": mean(a for a, _ in per_question) if per_question else float("nan"),
        "score_b": mean(b for _, b in per_question) if per_question else float("nan"),
        "wins_a": sum(a > b for a, b in per_question), "ties": sum(a == b for a, b in per_question),
        "wins_b": sum(a < b for a, b in per_question), "unparsed": len(questions) - len(per_question),
    }
