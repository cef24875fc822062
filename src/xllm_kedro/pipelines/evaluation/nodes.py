"""Nodes of evaluation: score each experiment's model on its declared tasks."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import torch

from ...eval_sets import QAExample, text_lines
from ...evaluate import evaluate_qa, evaluate_translation
from ...modelling import load_model
from .._nodes import mlflow_metrics


def evaluate_model_node(model_dir: Path, evaluation: dict, experiment: str, tasks: list[str], languages: list[str],
                        **eval_data) -> tuple[list[dict], dict]:
    """Generate greedily on every (task, language) of the experiment and score the outputs.

    Args:
        eval_data: ``qa__<lang>`` QA examples and ``flores__<lang>`` sentence files (en included).

    Returns:
        All predictions, and metrics keyed ``<task>.<lang>.<metric>``.
    """
    torch.manual_seed(evaluation["seed"])
    model, tokenizer = load_model(model_dir)
    gen = {k: evaluation["generation"][k] for k in ("max_new_tokens", "batch_size", "stop")}
    limit = evaluation.get("max_examples") or None
    records, metrics = [], {}
    for lang in languages:
        if "qa" in tasks:
            examples = [QAExample(**e) for e in eval_data[f"qa__{lang}"]][:limit]
            recs, scores = evaluate_qa(model, tokenizer, examples, lang, normalizer=evaluation["qa_normalizer"], **gen)
            records += recs
            metrics.update({f"qa.{lang}.{k}": v for k, v in scores.items()})
        if "translation" in tasks:
            sources = text_lines(eval_data["flores__en"])[:limit]
            refs = text_lines(eval_data[f"flores__{lang}"])[:limit]
            recs, scores = evaluate_translation(model, tokenizer, sources, refs, "en", lang, **gen)
            records += recs
            metrics.update({f"translation.en-{lang}.{k}": v for k, v in scores.items()})
    return [{"experiment": experiment, **r} for r in records], metrics


def collect_results_node(**metrics_by_experiment: dict) -> tuple[pd.DataFrame, dict]:
    """One long table of every experiment's scores, and the numeric ones for MLflow."""
    rows = [
        {"experiment": exp, "task": key.split(".")[0], "language": key.split(".")[1],
         "metric": key.split(".", 2)[2], "value": value}
        for exp, metrics in metrics_by_experiment.items()
        for key, value in metrics.items()
        if not isinstance(value, str)
    ]
    table = pd.DataFrame(rows, columns=["experiment", "task", "language", "metric", "value"])
    flat = {f"{r['experiment']}.{r['task']}.{r['language']}.{r['metric']}": r["value"] for r in rows}
    return table, mlflow_metrics(flat)
