"""Response consistency (Table 3, made measurable): does a model answer an instruction in X as it
answers the same instruction in English?

Two scores per (model, language), each against a shuffled-pairs baseline (the X response of one
instruction against the English response of another, a seeded derangement):
- ``cosine``: mean cosine of the model's own mean-pooled hidden states of the two responses (one
  layer), which needs no translator and works across scripts;
- ``chrf``: corpus chrF of the X responses against the English ones (surface overlap, meaningful for
  languages sharing words with English).
Identical responses score the maximum on both (1 and 100).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch
from sacrebleu.metrics import CHRF

from xllm_kedro.analysis.representations import derangement, mean_parallel_cosine, pooled_hidden_states


def consistency_scores(en: torch.Tensor, x: torch.Tensor, en_text: Sequence[str], x_text: Sequence[str], *,
                       seed: int = 0) -> dict:
    """Scores of row i of ``x`` against row i of ``en`` (states and texts), and their shuffled baselines."""
    n = len(en_text)
    if n < 2 or len(x_text) != n or en.shape != x.shape or en.shape[0] != n:
        raise ValueError(f"consistency needs two equal sets of at least 2 responses, got {len(en_text)} and {len(x_text)}")
    perm = derangement(n, seed)
    shuffled_refs = [en_text[int(j)] for j in perm]
    chrf = CHRF()
    return {
        "n": n, "empty": sum(not t.strip() for t in x_text),
        "cosine": mean_parallel_cosine(x, en), "cosine_shuffled": mean_parallel_cosine(x, en[perm]),
        "chrf": chrf.corpus_score(list(x_text), [list(en_text)]).score,
        "chrf_shuffled": chrf.corpus_score(list(x_text), [shuffled_refs]).score,
    }


def response_consistency(model, tokenizer, en_text: Sequence[str], x_text: Sequence[str], *, layer: int = -1,
                         seed: int = 0, batch_size: int = 16) -> dict:
    """``consistency_scores`` with the states of ``layer`` of ``model`` itself."""
    states = pooled_hidden_states(model, tokenizer, [*en_text, *x_text], batch_size=batch_size, desc="consistency")[layer]
    return consistency_scores(states[:len(en_text)], states[len(en_text):], en_text, x_text, seed=seed)


def model_consistency(model, tokenizer, answers: Mapping[str, Sequence[Mapping]], name: str, *, layer: int = -1,
                      seed: int = 0, examples: int = 3) -> tuple[list[dict], dict[str, list[dict]]]:
    """Every non-English language of ``answers`` (language -> answer rows in the set's id order) against
    English: one score row per language, and the first ``examples`` pairs side by side per language."""
    rows, shown = [], {}
    en = answers["en"]
    for lang, x in answers.items():
        if lang == "en":
            continue
        scores = response_consistency(model, tokenizer, [r["response"] for r in en], [r["response"] for r in x],
                                      layer=layer, seed=seed)
        rows.append({"model": name, "language": lang, **scores})
        shown[f"{name}/{lang}"] = [{"en_instruction": e["instruction"], "en_response": e["response"],
                                    "x_instruction": o["instruction"], "x_response": o["response"]}
                                   for e, o in zip(en[:examples], x[:examples])]
    return rows, shown
