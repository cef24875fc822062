"""Experiments side by side on one language (Figure 7: continued pre-training against CoIT): every score
each one has there, as a table and as grouped bars."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

HEADLINE = {"qa": ("exact_match", "f1"), "translation": ("chrf", "bleu")}


def language_comparison(long: pd.DataFrame, experiments: Sequence[str], language: str) -> pd.DataFrame:
    """One row per experiment (in the given order), one column per ``task/unit/metric`` scored in
    ``language`` (QA in the language, translation from and into it)."""
    units = {language, f"en-{language}", f"{language}-en"}
    part = long[long["experiment"].isin(experiments) & long["language"].isin(units)
                & long.apply(lambda r: r["metric"] in HEADLINE.get(r["task"], ()), axis=1)]
    if part.empty:
        raise ValueError(f"no QA or translation score in {language!r} for {list(experiments)}: check that they "
                         "list it in eval_languages")
    table = part.assign(column=part["task"] + "/" + part["language"] + "/" + part["metric"]).pivot_table(
        index="experiment", columns="column", values="value", aggfunc="first")
    table = table.reindex([e for e in experiments if e in table.index])
    table.columns.name = None
    return table.reset_index()


def comparison_figure(table: pd.DataFrame, title: str):
    """Grouped bars: one group per score, one bar per experiment."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    scores = [c for c in table.columns if c != "experiment"]
    fig, ax = plt.subplots(figsize=(max(6, 1.3 * len(scores)), 3.6))
    width = 0.8 / max(len(table), 1)
    for k, (name, values) in enumerate(zip(table["experiment"], table[scores].to_numpy())):
        ax.bar([i + k * width for i in range(len(scores))], values, width, label=name)
    ax.set_xticks([i + width * (len(table) - 1) / 2 for i in range(len(scores))], scores, rotation=20, fontsize=8)
    ax.set_title(title)
    ax.legend(fontsize="small")
    fig.tight_layout()
    return fig
