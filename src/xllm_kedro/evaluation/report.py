"""Evaluation reports: one long table of every score, the wide model x task/language table of the
paper's Tables 2 and 6, and the per-direction translation bars of its Figures 2 and 9."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

LONG_COLUMNS = ["experiment", "task", "language", "metric", "value", "definition"]


def long_results(metrics_by_model: Mapping[str, Mapping[str, object]]) -> pd.DataFrame:
    """Rows (experiment, task, language, metric, value, definition) from ``<task>.<language>.<metric>`` keys;
    the definition is the metric's ``_signature`` entry (normaliser, sacrebleu signature) when it has one."""
    rows = []
    for model, metrics in metrics_by_model.items():
        for key, value in metrics.items():
            if isinstance(value, str):
                continue
            task, language, metric = key.split(".", 2)
            rows.append({"experiment": model, "task": task, "language": language, "metric": metric, "value": float(value),
                         "definition": metrics.get(f"{key}_signature", "")})
    return pd.DataFrame(rows, columns=LONG_COLUMNS)


def wide_results(long: pd.DataFrame) -> pd.DataFrame:
    """One row per (model, metric), one column per task/language, as the paper's result tables."""
    if long.empty:
        return pd.DataFrame(columns=["model", "metric"])
    frame = long.rename(columns={"experiment": "model"}).assign(column=long["task"] + "/" + long["language"])
    wide = frame.pivot_table(index=["model", "metric"], columns="column", values="value", aggfunc="first")
    wide = wide.reindex(columns=sorted(wide.columns)).reset_index()
    wide.columns.name = None
    return wide


def markdown(wide: pd.DataFrame, digits: int = 2) -> str:
    """A GitHub-flavoured markdown table; empty cells where a task does not report the metric."""
    def cell(v) -> str:
        return "" if isinstance(v, float) and pd.isna(v) else (f"{v:.{digits}f}" if isinstance(v, float) else str(v))

    header = list(wide.columns)
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in wide.itertuples(index=False)]
    return "\n".join(lines) + "\n"


def translation_figure(long: pd.DataFrame, tasks: Sequence[str], metrics: Sequence[str]):
    """Bars per direction (En->X left, X->En right), one group per language, one bar per model, one row
    per metric that was computed."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    data = long[long["task"].isin(tasks) & long["metric"].isin(metrics)].rename(columns={"experiment": "model"})
    shown = [m for m in metrics if m in set(data["metric"])] or list(metrics[:1])
    fig, axes = plt.subplots(len(shown), 2, figsize=(12, 3.2 * len(shown)), squeeze=False)
    models = sorted(set(data["model"]))
    for r, metric in enumerate(shown):
        for c, (title, to_x) in enumerate((("En→X", True), ("X→En", False))):
            ax = axes[r][c]
            part = data[(data["metric"] == metric) & (data["language"].str.startswith("en-") == to_x)]
            langs = sorted({pair.split("-")[1 if to_x else 0] for pair in part["language"]})
            width = 0.8 / max(len(models), 1)
            for k, model in enumerate(models):
                values = []
                for lang in langs:
                    pair = f"en-{lang}" if to_x else f"{lang}-en"
                    hit = part[(part["model"] == model) & (part["language"] == pair)]["value"]
                    values.append(float(hit.mean()) if len(hit) else float("nan"))  # no bar: not scored
                ax.bar([i + k * width for i in range(len(langs))], values, width, label=model)
            ax.set_xticks([i + width * (len(models) - 1) / 2 for i in range(len(langs))], langs)
            ax.set_title(f"{title}: {metric}")
            ax.set_ylabel(metric)
    if models:
        axes[0][1].legend(fontsize="small", loc="upper right")
    fig.tight_layout()
    return fig
