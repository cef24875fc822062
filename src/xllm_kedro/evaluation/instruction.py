"""The ``instruction`` task: a model answers MI-Eval in each language it is scored on (Alpaca prompt,
greedy), and declared pairs of systems are compared by an LLM judge in both orders (Figure 4, right)."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

from xllm_kedro.evaluation.generation import generate
from xllm_kedro.evaluation.scorers.chat import ChatEndpoint, EndpointUnavailable
from xllm_kedro.evaluation.scorers.judge import PAIRWISE_PROMPT, pairwise_verdicts, tally
from xllm_kedro.prompts import alpaca_prompt
from xllm_kedro.spec.mi_eval import JudgePair
from xllm_kedro.spec.tasks import Generation

log = logging.getLogger(__name__)


def answer(model, tokenizer, items: Mapping[str, Sequence[Mapping]], languages: Sequence[str],
           generation: Generation, *, batch_size: int) -> list[dict]:
    """Rows {id, lang, instruction, input, response} for every item of each of ``languages``, generated
    in one call so that batches mix languages of similar length."""
    rows = [dict(item) for lang in languages for item in items[lang]]
    prompts = [alpaca_prompt(r["instruction"], r["input"]) for r in rows]
    responses = generate(model, tokenizer, prompts, max_new_tokens=generation.max_new_tokens,
                         batch_size=batch_size, stop=generation.stop, desc="mi_eval")
    return [{**r, "response": text} for r, text in zip(rows, responses)]


def by_language(rows: Sequence[Mapping]) -> dict[str, list[dict]]:
    """A model's answer rows by language, each in the set's id order."""
    out: dict[str, list[dict]] = {}
    for r in rows:
        out.setdefault(r["lang"], []).append(dict(r))
    return out


def judge_pairs(endpoint: ChatEndpoint, pairs: Sequence[JudgePair], answers: Mapping[str, Sequence[Mapping]], *,
                max_questions: int = 0) -> tuple[list[dict], list[dict]]:
    """Win/tie/loss of system a against b per pair and language, and every judged question with both
    replies. The question shown is the instruction in the language judged (and its input).
    EndpointUnavailable passes through, so nothing partial is returned."""
    table, judgements = [], []
    for pair in pairs:
        a, b = by_language(answers[pair.a])[pair.language], by_language(answers[pair.b])[pair.language]
        if [r["id"] for r in a] != [r["id"] for r in b]:
            raise ValueError(f"{pair.a} and {pair.b} answered different MI-Eval ids in {pair.language}")
        a, b = a[:max_questions or None], b[:max_questions or None]
        questions = [r["instruction"] + (f"\n{r['input']}" if r["input"] else "") for r in a]
        verdicts = pairwise_verdicts(endpoint, questions, [r["response"] for r in a], [r["response"] for r in b],
                                     desc=f"judge {pair.a} vs {pair.b} ({pair.language})")
        table.append({"a": pair.a, "b": pair.b, "language": pair.language, "n": len(verdicts), **tally(verdicts),
                      "judge_model": endpoint.model})
        judgements += [{"a": pair.a, "b": pair.b, "language": pair.language, "id": r["id"], **v}
                       for r, v in zip(a, verdicts)]
    return table, judgements


def judge_or_skip(endpoint: ChatEndpoint | None, pairs: Sequence[JudgePair], answers: Mapping[str, Sequence[Mapping]],
                  *, max_questions: int = 0) -> tuple[list[dict], list[dict], dict]:
    """``judge_pairs``, plus the judge's prompt, model and status; with no endpoint, or one that stops
    answering, nothing is judged (logged): no table rows rather than part of a table."""
    settings = {"prompt": PAIRWISE_PROMPT, "model": endpoint and endpoint.model,
                "base_url": endpoint and endpoint.base_url, "status": "judged"}
    if endpoint is None:
        return [], [], {**settings, "status": "skipped: no endpoint configured"}
    try:
        table, judgements = judge_pairs(endpoint, pairs, answers, max_questions=max_questions)
    except EndpointUnavailable as err:
        log.warning("MI-Eval judge skipped, no win/tie/loss table is written: %s", err)
        return [], [], {**settings, "status": f"skipped: {err}"}
    return table, judgements, settings
