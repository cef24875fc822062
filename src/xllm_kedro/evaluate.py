"""Scoring one model on the declared tasks: build the prompts, generate, score."""

from __future__ import annotations

from collections.abc import Sequence

from .eval_sets import QAExample
from .generation import generate
from .metrics import qa_scores, translation_scores
from .prompts import alpaca_prompt, qa_instruction, translation_instruction


def evaluate_qa(model, tokenizer, examples: Sequence[QAExample], lang: str, *, max_new_tokens: int,
                batch_size: int, stop: Sequence[str], normalizer: str = "mlqa") -> tuple[list[dict], dict]:
    prompts = [alpaca_prompt(qa_instruction(e.context, e.question, lang)) for e in examples]
    preds = generate(model, tokenizer, prompts, max_new_tokens=max_new_tokens, batch_size=batch_size, stop=stop,
                     desc=f"qa/{lang}")
    scores = qa_scores(preds, [list(e.answers) for e in examples], lang, normalizer=normalizer)
    records = [{"task": "qa", "lang": lang, "id": e.id, "prediction": p, "references": list(e.answers)}
               for e, p in zip(examples, preds)]
    return records, scores


def evaluate_translation(model, tokenizer, sources: Sequence[str], references: Sequence[str], src: str, tgt: str, *,
                         max_new_tokens: int, batch_size: int, stop: Sequence[str]) -> tuple[list[dict], dict]:
    if len(sources) != len(references):
        raise ValueError(f"translation set {src}-{tgt}: {len(sources)} sources but {len(references)} references")
    instruction = translation_instruction(src, tgt)
    prompts = [alpaca_prompt(instruction, s) for s in sources]
    hyps = generate(model, tokenizer, prompts, max_new_tokens=max_new_tokens, batch_size=batch_size, stop=stop,
                    desc=f"translation/{src}-{tgt}")
    scores = translation_scores(list(hyps), list(references), tgt)
    records = [{"task": "translation", "lang": f"{src}-{tgt}", "id": str(i), "prediction": h, "references": [r]}
               for i, (h, r) in enumerate(zip(hyps, references))]
    return records, scores
