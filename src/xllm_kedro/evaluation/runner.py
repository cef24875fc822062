"""Scoring a model on declared tasks: each unit's prompts (a request), their generation, their scores.

Metric keys are ``<task>.<lang>.<metric>`` for QA and ``<task>.<src>-<tgt>.<metric>`` for translation;
a metric's definition (normaliser, sacrebleu signature) is stored beside it as ``<metric>_signature``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from xllm_kedro.evaluation.sets import QAExample, qa_set, sentences
from xllm_kedro.evaluation.generation import generate
from xllm_kedro.evaluation.scorers.chat import ChatEndpoint
from xllm_kedro.evaluation.scorers.judge import judge_qa
from xllm_kedro.evaluation.metrics import qa_scores, translation_scores
from xllm_kedro.spec.tasks import Task

QAJudge = Callable[[Task, str, Sequence[QAExample], Sequence[str]], dict]
Comet = Callable[[Sequence[str], Sequence[str], Sequence[str]], dict]  # sources, hypotheses, references


@dataclass(frozen=True)
class Request:
    """The prompts of one unit (a QA set in one language, or one translation direction) and how to
    generate them; ``key`` names the unit in a job's output."""

    key: str
    prompts: list[str]
    max_new_tokens: int
    stop: list[str]


def generate_requests(model, tokenizer, requests: Sequence[Request], *, batch_size: int,
                      on_batch: Callable[[], None] | None = None) -> dict[str, list[str]]:
    """Every request's continuations, keyed by request. Requests that generate alike are pooled, so
    batches group prompts by length across units, not only within one."""
    pools: dict[tuple[int, tuple[str, ...]], list[Request]] = {}
    for r in requests:
        pools.setdefault((r.max_new_tokens, tuple(r.stop)), []).append(r)
    outputs: dict[str, list[str]] = {}
    for (max_new_tokens, stop), pool in pools.items():
        texts = generate(model, tokenizer, [p for r in pool for p in r.prompts], max_new_tokens=max_new_tokens,
                         batch_size=batch_size, stop=stop, desc=f"generate x{len(pool)} units", on_batch=on_batch)
        for r in pool:
            outputs[r.key], texts = texts[:len(r.prompts)], texts[len(r.prompts):]
    return outputs


def score_qa(task: Task, lang: str, examples: Sequence[QAExample], preds: Sequence[str], *,
             judge: QAJudge | None = None) -> tuple[list[dict], dict]:
    preds = list(preds)
    refs = [list(e.answers) for e in examples]
    scores = qa_scores(preds, refs, lang, normalizer=task.normalizer)
    definitions = {"exact_match": f"normalizer:{task.normalizer}", "f1": f"normalizer:{task.normalizer}",
                   "containment": "lowercased reference in lowercased prediction"}
    metrics = {f"{task.name}.{lang}.{m}": scores[m] for m in task.metrics if m in scores}
    metrics.update({f"{task.name}.{lang}.{m}_signature": definitions[m] for m in task.metrics if m in scores})
    if judge is not None and "llm_judge" in task.metrics:
        metrics.update({f"{task.name}.{lang}.{k}": v for k, v in judge(task, lang, examples, preds).items()})
    records = [{"task": task.name, "lang": lang, "id": e.id, "prediction": p, "references": r}
               for e, p, r in zip(examples, preds, refs)]
    return records, metrics


def score_translation(task: Task, src: str, tgt: str, sources: Sequence[str], references: Sequence[str],
                      hyps: Sequence[str], *, spm_path: str | None = None,
                      comet: Comet | None = None) -> tuple[list[dict], dict]:
    hyps = list(hyps)
    scores = translation_scores(hyps, list(references), tgt, spm_path=spm_path)
    if comet is not None and "comet" in task.metrics:
        scores.update(comet(list(sources), hyps, list(references)))
    pair = f"{src}-{tgt}"
    metrics = {f"{task.name}.{pair}.{k}": v for k, v in scores.items() if k.removesuffix("_signature") in task.metrics}
    records = [{"task": task.name, "lang": pair, "id": str(i), "source": s, "prediction": h, "references": [r]}
               for i, (s, h, r) in enumerate(zip(sources, hyps, references))]
    return records, metrics


def llm_qa_judge(endpoint: ChatEndpoint, max_questions: int = 0) -> QAJudge:
    """The paper's YES/NO judge on the first ``max_questions`` answers (0: all), shown the labelled
    context and question of the task's prompt."""
    def judge(task: Task, lang: str, examples: Sequence[QAExample], predictions: Sequence[str]) -> dict:
        labels = task.labels(lang)
        n = max_questions or len(examples)
        shown = [f"{e.context}\n{labels['question']}: {e.question}" for e in examples[:n]]
        return judge_qa(endpoint, shown, list(predictions[:n]))
    return judge


def _units(tasks: Mapping[str, Task], units: Sequence[tuple[str, str]], data: Mapping[tuple[str, str], object],
           limit: int | None):
    """(key, task, what the unit scores on, its prompts) for every unit, translation directions apart."""
    for name, lang in units:
        task = tasks[name]
        if task.kind == "qa":
            examples = qa_set(data[(name, lang)], f"{task.dataset(lang)} (task {name})")[:limit]
            yield f"{name}/{lang}", task, (lang, examples), [task.qa_prompt(lang, e.context, e.question) for e in examples]
            continue
        text = {code: sentences(data[(name, code)], task.dataset(code), task.text_field)[:limit] for code in ("en", lang)}
        for src, tgt in task.pairs(lang):
            if len(text[src]) != len(text[tgt]):
                raise ValueError(f"task {name} {src}-{tgt}: {len(text[src])} sources but {len(text[tgt])} references")
            yield (f"{name}/{src}-{tgt}", task, (src, tgt, text[src], text[tgt]),
                   [task.translation_prompt(src, tgt, x) for x in text[src]])


def unit_requests(tasks: Mapping[str, Task], units: Sequence[tuple[str, str]],
                  data: Mapping[tuple[str, str], object], *, limit: int | None = None) -> list[Request]:
    """What to generate for every unit: the prompts a job receives."""
    return [Request(key, prompts, task.generation.max_new_tokens, list(task.generation.stop))
            for key, task, _, prompts in _units(tasks, units, data, limit)]


def score_units(tasks: Mapping[str, Task], units: Sequence[tuple[str, str]], data: Mapping[tuple[str, str], object],
                outputs: Mapping[str, Sequence[str]], *, limit: int | None = None, spm_path: str | None = None,
                judge: QAJudge | None = None, comet: Comet | None = None) -> tuple[list[dict], dict]:
    """Every unit scored on its generated ``outputs`` (keyed as ``unit_requests`` keys them)."""
    records, metrics = [], {}
    for key, task, unit, prompts in _units(tasks, units, data, limit):
        if len(outputs.get(key, ())) != len(prompts):
            raise ValueError(f"generation output for {key}: {len(outputs.get(key, ()))} texts for {len(prompts)} prompts")
        if task.kind == "qa":
            recs, scores = score_qa(task, *unit, outputs[key], judge=judge)
        else:
            recs, scores = score_translation(task, *unit, outputs[key], spm_path=spm_path, comet=comet)
        records += recs
        metrics.update(scores)
    return records, metrics


def evaluate_model(model, tokenizer, tasks: Mapping[str, Task], units: Sequence[tuple[str, str]],
                   data: Mapping[tuple[str, str], object], *, batch_size: int, limit: int | None = None,
                   spm_path: str | None = None, judge: QAJudge | None = None,
                   comet: Comet | None = None) -> tuple[list[dict], dict]:
    """Every (task, language) unit generated here and scored: ``data[(task, lang)]`` holds the loaded
    dataset (``(task, "en")`` the English side of translation sets). ``limit`` keeps the first N items of
    each set. The evaluation pipeline generates the same requests in an accelerate job instead
    (evaluation/job.py)."""
    requests = unit_requests(tasks, units, data, limit=limit)
    outputs = generate_requests(model, tokenizer, requests, batch_size=batch_size)
    return score_units(tasks, units, data, outputs, limit=limit, spm_path=spm_path, judge=judge, comet=comet)
