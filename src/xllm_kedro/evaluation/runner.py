"""Scoring one model on one declared task in one language: build the prompts, generate, score.

Metric keys are ``<task>.<lang>.<metric>`` for QA and ``<task>.<src>-<tgt>.<metric>`` for translation;
a metric's definition (normaliser, sacrebleu signature) is stored beside it as ``<metric>_signature``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from xllm_kedro.evaluation.sets import QAExample, qa_set, sentences
from xllm_kedro.evaluation.generation import generate
from xllm_kedro.evaluation.scorers.chat import ChatEndpoint
from xllm_kedro.evaluation.scorers.judge import judge_qa
from xllm_kedro.evaluation.metrics import qa_scores, translation_scores
from xllm_kedro.spec.tasks import Task

QAJudge = Callable[[Task, str, Sequence[QAExample], Sequence[str]], dict]
Comet = Callable[[Sequence[str], Sequence[str], Sequence[str]], dict]  # sources, hypotheses, references


def evaluate_qa(model, tokenizer, task: Task, lang: str, examples: Sequence[QAExample], *, batch_size: int,
                judge: QAJudge | None = None) -> tuple[list[dict], dict]:
    prompts = [task.qa_prompt(lang, e.context, e.question) for e in examples]
    preds = generate(model, tokenizer, prompts, max_new_tokens=task.generation.max_new_tokens, batch_size=batch_size,
                     stop=task.generation.stop, desc=f"{task.name}/{lang}")
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


def evaluate_translation(model, tokenizer, task: Task, src: str, tgt: str, sources: Sequence[str],
                         references: Sequence[str], *, batch_size: int, spm_path: str | None = None,
                         comet: Comet | None = None) -> tuple[list[dict], dict]:
    if len(sources) != len(references):
        raise ValueError(f"task {task.name} {src}-{tgt}: {len(sources)} sources but {len(references)} references")
    prompts = [task.translation_prompt(src, tgt, s) for s in sources]
    hyps = generate(model, tokenizer, prompts, max_new_tokens=task.generation.max_new_tokens, batch_size=batch_size,
                    stop=task.generation.stop, desc=f"{task.name}/{src}-{tgt}")
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


def evaluate_model(model, tokenizer, tasks: Mapping[str, Task], units: Sequence[tuple[str, str]],
                   data: Mapping[tuple[str, str], object], *, batch_size: int, limit: int | None = None,
                   spm_path: str | None = None, judge: QAJudge | None = None,
                   comet: Comet | None = None) -> tuple[list[dict], dict]:
    """Every (task, language) unit: ``data[(task, lang)]`` holds the loaded dataset (``(task, "en")``
    the English side of translation sets). ``limit`` keeps the first N items of each set."""
    records, metrics = [], {}
    for name, lang in units:
        task = tasks[name]
        where = f"{task.dataset(lang)} (task {name})"
        if task.kind == "qa":
            examples = qa_set(data[(name, lang)], where)[:limit]
            recs, scores = evaluate_qa(model, tokenizer, task, lang, examples, batch_size=batch_size, judge=judge)
            records += recs
            metrics.update(scores)
            continue
        text = {code: sentences(data[(name, code)], task.dataset(code), task.text_field)[:limit] for code in ("en", lang)}
        for src, tgt in task.pairs(lang):
            recs, scores = evaluate_translation(model, tokenizer, task, src, tgt, text[src], text[tgt],
                                                batch_size=batch_size, spm_path=spm_path, comet=comet)
            records += recs
            metrics.update(scores)
    return records, metrics
