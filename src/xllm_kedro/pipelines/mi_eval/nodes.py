"""Nodes of mi_eval: build the set, have each model answer it, report consistency, judge pairs."""

from __future__ import annotations

from pathlib import Path

import torch

from xllm_kedro.corpora.machine_translation import translator
from xllm_kedro.evaluation.consistency import model_consistency
from xllm_kedro.evaluation.instruction import answer, by_language, judge_or_skip
from xllm_kedro.evaluation.mi_eval_report import consistency_markdown, consistency_table, win_figure, win_table
from xllm_kedro.evaluation.scorers.chat import endpoint_from_credentials
from xllm_kedro.mi_eval.building import build_mi_eval, multiway
from xllm_kedro.pipelines._build import mlflow_metrics
from xllm_kedro.spec.mi_eval import MIEvalSpec
from xllm_kedro.training.tiny_model import load_model


def _settings(part) -> dict:
    return {"enabled": part.enabled, "model": part.model, "timeout_s": part.timeout_s, "retries": part.retries,
            "max_tokens": part.max_tokens}


def build_mi_eval_node(seed_records, llm_generator_credentials: dict, *aligned, spec: MIEvalSpec):
    """MI-Eval from the seed records (and, with self-instruct, an endpoint), translated.

    Args:
        aligned: each target language's raw Alpaca (translation method ``aligned``), in spec order.

    Returns:
        The set's rows, its provenance (generator, translator, filter counts) and the counts for MLflow.
    """
    endpoint = endpoint_from_credentials(llm_generator_credentials, _settings(spec.self_instruct), role="llm_generator",
                                         where="parameters mi_eval.self_instruct")
    t = spec.translation
    rows, provenance = build_mi_eval(
        list(seed_records), spec, aligned={lang: list(r) for lang, r in zip(spec.languages, aligned)},
        ask=endpoint and (lambda p: endpoint.ask(p, temperature=spec.self_instruct.temperature)),
        translate=lambda lang, texts: translator(Path(t.model_dir), lang, t.batch_size, t.max_new_tokens,
                                                 t.target_tokens.get(lang))(texts),
        generator=(f"self-instruct: {endpoint.model} at {endpoint.base_url}" if endpoint else
                   f"seed records of {spec.seed_source} from index {spec.seed_offset}, filtered"),
        translator=("aligned: record i of each {lang}.alpaca_raw" if t.method == "aligned" else f"model {t.model_dir}"))
    return rows, provenance, mlflow_metrics({f"mi_eval.filter.{k}": v for k, v in provenance["filters"].items()})


def answer_mi_eval_node(model_dir: Path, mi_eval: list, evaluation: dict, trust_remote_code: bool, *,
                        spec: MIEvalSpec, experiment: str) -> tuple[list[dict], dict]:
    """The model's answers in English and its languages, and their consistency with the English ones.

    Returns:
        Answer rows, and {"rows": consistency per language, "examples": side-by-side pairs per language}.
    """
    torch.manual_seed(evaluation["seed"])
    items = multiway(mi_eval, spec.languages, "mi_eval (catalog)")
    model, tokenizer = load_model(model_dir, trust_remote_code=trust_remote_code)
    rows = answer(model, tokenizer, items, spec.answer_languages[experiment], spec.generation,
                  batch_size=evaluation["batch_size"])
    scores, examples = model_consistency(model, tokenizer, by_language(rows), experiment, layer=spec.layer,
                                         seed=evaluation["seed"], examples=spec.examples)
    return [{"experiment": experiment, **r} for r in rows], {"rows": scores, "examples": examples}


def report_consistency_node(*consistency: dict, layer: int):
    """Table 3 as numbers: the table, the markdown report with example pairs, and the scores for MLflow."""
    table = consistency_table([r for c in consistency for r in c["rows"]])
    examples = {k: v for c in consistency for k, v in c["examples"].items()}
    flat = {f"mi_eval.{r.model}.{r.language}.{m}": getattr(r, m) for r in table.itertuples()
            for m in ("cosine", "cosine_shuffled", "chrf", "chrf_shuffled")}
    return table, consistency_markdown(table, examples, layer), mlflow_metrics(flat)


def judge_mi_eval_node(llm_judge_credentials: dict, *answers: list, models: list[str], spec: MIEvalSpec):
    """Each declared pair judged in both orders; skipped with a log line, and no table rows, when no
    endpoint is configured or it stops answering.

    Returns:
        Every judged question, the win/tie/loss table, its chart, and the judge's prompt, model and status.
    """
    endpoint = endpoint_from_credentials(llm_judge_credentials, _settings(spec.judge), where="parameters mi_eval.judge")
    table, judgements, settings = judge_or_skip(endpoint, spec.judge.pairs, dict(zip(models, answers)),
                                                max_questions=spec.judge.max_questions)
    frame = win_table(table)
    return judgements, frame, win_figure(frame), settings
