"""Nodes of evaluation: score each experiment's model on its declared tasks, then report."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import pandas as pd

from xllm_kedro.analysis.significance import significance_table
from xllm_kedro.evaluation.scorers.comet import comet_scores, comet_settings
from xllm_kedro.evaluation.comparison import comparison_figure, language_comparison
from xllm_kedro.evaluation.report import long_results, markdown, translation_figure, wide_results
from xllm_kedro.evaluation.job import evaluate_in_job
from xllm_kedro.evaluation.runner import llm_qa_judge, score_units, unit_requests
from xllm_kedro.evaluation.scorers.chat import endpoint_from_credentials
from xllm_kedro.spec.tasks import load_tasks
from xllm_kedro.pipelines._build import mlflow_metrics


def evaluate_model_node(model_dir: Path, evaluation: dict, tasks: dict, trust_remote_code: bool, launcher: dict,
                        llm_judge_credentials: dict, *data, experiment: str, units: list[tuple[str, str]],
                        sets: list[tuple[str, str]]) -> tuple[list[dict], dict]:
    """Greedy generation on every (task, language) unit of the experiment in an accelerate job (as
    training runs), scored here by the task's metrics in the MLflow child run ``eval/<experiment>``.

    Args:
        data: the evaluation sets, one per (task, language) of ``sets`` in order (a translation task
            also reads its English side).

    Returns:
        All predictions, and metrics keyed ``<task>.<lang or pair>.<metric>``.
    """
    declared = load_tasks(tasks)
    metrics_wanted = {m for name, _ in units for m in declared[name].metrics}
    scorers = evaluation.get("scorers") or {}
    judge = comet = None
    if "llm_judge" in metrics_wanted and (endpoint := endpoint_from_credentials(llm_judge_credentials,
                                                                                 scorers.get("llm_judge") or {})):
        judge = llm_qa_judge(endpoint, int(scorers["llm_judge"].get("max_questions") or 0))
    if "comet" in metrics_wanted and (settings := comet_settings(scorers.get("comet") or {})):
        comet = partial(comet_scores, settings)
    units, inputs, limit = [tuple(u) for u in units], dict(zip(map(tuple, sets), data)), evaluation.get("max_examples") or None
    score = partial(score_units, declared, units, inputs, limit=limit, spm_path=evaluation.get("spbleu_model"),
                    judge=judge, comet=comet)
    records, metrics = evaluate_in_job(experiment, unit_requests(declared, units, inputs, limit=limit), model_dir, score,
                                       launcher=launcher, batch_size=evaluation["batch_size"], seed=evaluation["seed"],
                                       trust_remote_code=trust_remote_code)
    return [{"experiment": experiment, **r} for r in records], metrics


def collect_results_node(evaluation: dict, tasks: dict, *metrics: dict, experiments: list[str]):
    """Every experiment's scores (``metrics`` in ``experiments`` order): a long table, the wide model x
    task/language table (CSV and markdown), the per-direction translation chart, and the numeric scores
    for MLflow."""
    long = long_results(dict(zip(experiments, metrics)))
    wide = wide_results(long)
    translation = [name for name, spec in tasks.items() if spec.get("kind") == "translation"]
    chart_metrics = (evaluation.get("report") or {}).get("chart_metrics") or ["bleu"]
    figure = translation_figure(long, translation, chart_metrics)
    flat = {f"{r.experiment}.{r.task}.{r.language}.{r.metric}": r.value for r in long.itertuples()
            if pd.notna(r.value)}
    return long, wide, markdown(wide), figure, mlflow_metrics(flat)


def compare_on_language_node(results: pd.DataFrame, experiments: list[str], language: str):
    """Figure 7: the listed experiments' scores in one language, as a table and as bars."""
    table = language_comparison(results, experiments, language)
    return table, comparison_figure(table, f"continued pre-training against CoIT ({language})")


def significance_node(significance: dict, tasks: dict, *predictions: list[dict], models: list[str],
                      comparisons: list[tuple[str, str]]) -> tuple[pd.DataFrame, dict]:
    """Each model against its declared baseline (``predictions`` in ``models`` order), paired bootstrap
    per task, language and metric; English QA rows are the retention of English."""
    table = significance_table(dict(zip(models, predictions)), comparisons, load_tasks(tasks),
                               level=float(significance["level"]), n_resamples=int(significance["n_resamples"]),
                               seed=int(significance["seed"]))
    summary = {f"significance.{r.model}.{r.task}.{r.language}.{r.metric}.p_value": r.p_value
               for r in table.itertuples()}
    return table, mlflow_metrics(summary)
