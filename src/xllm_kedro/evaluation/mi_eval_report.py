"""MI-Eval's reports: the consistency table with example pairs (Table 3) and the judge's win/tie/loss
table with its Figure-4-style chart."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from xllm_kedro.evaluation.report import markdown

CONSISTENCY_COLUMNS = ["model", "language", "n", "empty", "cosine", "cosine_shuffled", "chrf", "chrf_shuffled"]
WIN_COLUMNS = ["a", "b", "language", "n", "wins_a", "ties", "wins_b", "unparsed", "score_a", "score_b", "judge_model"]


def consistency_table(rows: Sequence[Mapping]) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=CONSISTENCY_COLUMNS).sort_values(["model", "language"], ignore_index=True)


def _cell(text: str, limit: int = 160) -> str:
    text = " ".join(str(text).split()).replace("|", "\\|")
    return (text[:limit] + "…") if len(text) > limit else text or "(empty)"


def consistency_markdown(table: pd.DataFrame, examples: Mapping[str, Sequence[Mapping]], layer: int) -> str:
    """The table, what its columns mean, then per model and language a few instructions with the English
    and the X response side by side (``examples``: "model/lang" -> rows with en_* and x_* fields)."""
    out = ["# MI-Eval response consistency (Table 3)\n",
           f"`cosine`: mean cosine of the model's mean-pooled states (layer {layer}) of its response to an "
           "instruction in X and to the same instruction in English; `chrf`: corpus chrF of the X responses "
           "against the English ones. `*_shuffled`: the same with the English response of another instruction "
           "(the baseline). Identical responses score 1 and 100.\n", markdown(table, digits=3)]
    for key, rows in examples.items():
        out.append(f"\n## {key}\n\n| instruction (en) | response (en) | instruction (X) | response (X) |\n|---|---|---|---|")
        out += [f"| {_cell(r['en_instruction'])} | {_cell(r['en_response'])} | {_cell(r['x_instruction'])} | "
                f"{_cell(r['x_response'])} |" for r in rows]
    return "\n".join(out) + "\n"


def win_table(rows: Sequence[Mapping]) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=WIN_COLUMNS)


def win_figure(table: pd.DataFrame, title: str = "MI-Eval, judged pairwise"):
    """Figure 4 (right) style: one horizontal bar per pair and language, split into a's wins, ties and
    b's wins as shares of the parsed verdicts; with no rows, the figure says why."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 0.6 * max(len(table), 2) + 1.6))
    if table.empty:
        ax.text(0.5, 0.5, "not judged: no endpoint answered (see the run log)", ha="center", va="center")
        ax.set_axis_off()
        return fig
    labels = [f"{r.a} vs {r.b} ({r.language})" for r in table.itertuples()]
    parsed = (table["wins_a"] + table["ties"] + table["wins_b"]).clip(lower=1)
    left = pd.Series(0.0, index=table.index)
    for column, name, colour in (("wins_a", "a wins", "#4c72b0"), ("ties", "tie", "#bbbbbb"), ("wins_b", "b wins", "#dd8452")):
        share = 100 * table[column] / parsed
        ax.barh(labels, share, left=left, label=name, color=colour)
        left += share
    ax.set_xlim(0, 100)
    ax.set_xlabel("% of judged instructions")
    ax.invert_yaxis()
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.25), ncol=3, fontsize="small", frameon=False)
    ax.set_title(title)
    fig.tight_layout()
    return fig
