"""Paired bootstrap resampling over test items (Koehn, 2004): is a system better than its baseline on
the same test set, or could the gap be resampling noise?

Each metric is reduced to per-item sufficient statistics whose sum gives the corpus score (sacrebleu's
own statistics for BLEU and chrF, so a resample is scored exactly as sacrebleu scores a corpus; the
per-item value for the QA scores, which are means). One resample draws the items with replacement,
the same draw for both systems, and scores both; with several units (languages), each unit is resampled
on its own and the mean over units compared.

The p-value is one-sided, for "the system is not better than the baseline": the share of resamples in
which its gain is negative, ties counted half, smoothed as (1 + count) / (1 + resamples). Two identical
systems get 0.5; a system better on every item gets 1 / (1 + resamples).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import sacrebleu

from xllm_kedro.evaluation.metrics import qa_scores
from xllm_kedro.spec.tasks import Task

ScoreFn = Callable[[np.ndarray], np.ndarray]  # summed statistics, one row per resample -> scores
QA_METRICS = ("exact_match", "f1", "containment")
TRANSLATION_METRICS = ("bleu", "chrf")


@dataclass(frozen=True)
class Unit:
    """One test set scored for a system and its baseline: per-item statistics of each, and the scorer."""

    system: np.ndarray  # (items, statistics)
    baseline: np.ndarray
    score: ScoreFn


def _sacrebleu(metric) -> ScoreFn:
    return lambda rows: np.array([metric._compute_score_from_stats([int(round(v)) for v in row]).score
                                  for row in np.atleast_2d(rows)])


def _mean(count: int) -> ScoreFn:
    return lambda rows: np.atleast_2d(rows)[:, 0] / count


def item_statistics(metric: str, predictions: Sequence[str], references: Sequence[Sequence[str]], lang: str,
                    normalizer: str = "mlqa") -> tuple[np.ndarray, ScoreFn]:
    """Per-item statistics of ``metric`` and the function that turns their sum into the corpus score.

    Translation metrics take one reference per item (``references[i][0]``); ``lang`` is the target (BLEU
    tokenises Chinese with its ``zh`` tokenizer, as the evaluation does) or the QA set's language.
    """
    if len(predictions) != len(references) or not predictions:
        raise ValueError(f"{metric}: need as many reference lists as predictions (and at least one), "
                         f"got {len(predictions)} and {len(references)}")
    if metric in TRANSLATION_METRICS:
        scorer = (sacrebleu.metrics.BLEU(tokenize="zh" if lang == "zh" else "13a") if metric == "bleu"
                  else sacrebleu.metrics.CHRF())
        stats = scorer._extract_corpus_statistics(list(predictions), [[r[0] for r in references]])
        return np.array(stats, dtype=float), _sacrebleu(scorer)
    if metric in QA_METRICS:
        values = [qa_scores([p], [list(r)], lang, normalizer)[metric] for p, r in zip(predictions, references)]
        return np.array(values, dtype=float)[:, None], _mean(len(values))
    raise ValueError(f"no per-item statistics for metric {metric!r}; known: {[*QA_METRICS, *TRANSLATION_METRICS]}")


def paired_bootstrap(units: Sequence[Unit], n_resamples: int = 1000, seed: int = 0) -> dict[str, float]:
    """The system's gain over the baseline (mean over units) and its one-sided bootstrap p-value."""
    if not units:
        raise ValueError("no units to compare")
    if n_resamples < 1:
        raise ValueError(f"n_resamples must be positive, got {n_resamples}")
    rng = np.random.default_rng(seed)
    observed, resampled = [], []
    for unit in units:
        n = len(unit.system)
        if unit.baseline.shape != unit.system.shape:
            raise ValueError(f"system and baseline must be scored on the same items, got {unit.system.shape} "
                             f"and {unit.baseline.shape}")
        observed.append(float(unit.score(unit.system.sum(axis=0))[0] - unit.score(unit.baseline.sum(axis=0))[0]))
        counts = rng.multinomial(n, np.full(n, 1.0 / n), size=n_resamples).astype(float)  # the same draw for both
        resampled.append(unit.score(counts @ unit.system) - unit.score(counts @ unit.baseline))
    gains = np.mean(resampled, axis=0)
    worse = np.sum(gains < 0) + 0.5 * np.sum(gains == 0)
    return {"gain": float(np.mean(observed)), "p_value": float((1 + worse) / (1 + n_resamples))}


def marker(p_value: float, level: float) -> str:
    """``*`` when the gain is significant at ``level`` (the paper's Table 4 uses 0.1)."""
    return "*" if np.isfinite(p_value) and p_value < level else ""


def _by_unit(records: Sequence[Mapping]) -> dict[tuple[str, str], dict[str, Mapping]]:
    out: dict[tuple[str, str], dict[str, Mapping]] = {}
    for r in records:
        out.setdefault((r["task"], r["lang"]), {})[str(r["id"])] = r
    return out


def significance_table(predictions: Mapping[str, Sequence[Mapping]], comparisons: Sequence[tuple[str, str]],
                       tasks: Mapping[str, Task], *, level: float, n_resamples: int, seed: int) -> pd.DataFrame:
    """Each (model, baseline) on every (task, language) both were scored on, per metric with per-item
    statistics: both scores, the gain, its paired-bootstrap p-value and the marker at ``level``.

    Args:
        predictions: model -> its prediction records (``task``, ``lang``, ``id``, ``prediction``,
            ``references``), as the evaluation writes them.
    """
    rows = []
    for model, baseline in comparisons:
        mine, theirs = _by_unit(predictions[model]), _by_unit(predictions[baseline])
        for task_name, lang in sorted(set(mine) & set(theirs)):
            task = tasks[task_name]
            ids = sorted(set(mine[(task_name, lang)]) & set(theirs[(task_name, lang)]),
                         key=lambda i: (len(i), i))
            target = lang.split("-")[-1]
            for metric in (m for m in task.metrics if m in (*QA_METRICS, *TRANSLATION_METRICS)):
                sides = [item_statistics(metric, [side[(task_name, lang)][i]["prediction"] for i in ids],
                                         [side[(task_name, lang)][i]["references"] for i in ids], target,
                                         task.normalizer)
                         for side in (mine, theirs)]
                result = paired_bootstrap([Unit(sides[0][0], sides[1][0], sides[0][1])], n_resamples, seed)
                score = float(sides[0][1](sides[0][0].sum(axis=0))[0])
                rows.append({"model": model, "baseline": baseline, "task": task_name, "language": lang,
                             "metric": metric, "items": len(ids), "score": score,
                             "baseline_score": score - result["gain"], "gain": result["gain"],
                             "p_value": result["p_value"], "significant": marker(result["p_value"], level)})
    return pd.DataFrame(rows, columns=["model", "baseline", "task", "language", "metric", "items", "score",
                                       "baseline_score", "gain", "p_value", "significant"])
