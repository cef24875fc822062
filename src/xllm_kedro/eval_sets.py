"""Readers for evaluation data: SQuAD-format QA (XQuAD, MLQA) and line-aligned translation sets (FLORES)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class QAExample:
    id: str
    context: str
    question: str
    answers: tuple[str, ...]


def squad_examples(doc: dict, where: str = "SQuAD file") -> list[QAExample]:
    """Flatten a SQuAD v1.1 JSON document; a missing key raises ValueError naming the record."""
    if not isinstance(doc, dict) or "data" not in doc:
        raise ValueError(f"{where}: not a SQuAD document (no top-level 'data')")
    out = []
    for a, article in enumerate(doc["data"]):
        for p, para in enumerate(article.get("paragraphs", [])):
            for q, qa in enumerate(para.get("qas", [])):
                loc = f"{where}: data[{a}].paragraphs[{p}].qas[{q}]"
                try:
                    answers = tuple(ans["text"] for ans in qa["answers"])
                    out.append(QAExample(qa["id"], para["context"], qa["question"], answers))
                except KeyError as err:
                    raise ValueError(f"{loc}: missing key {err.args[0]!r}") from None
                if not answers:
                    raise ValueError(f"{loc}: no reference answer")
    return out


def text_lines(text: str) -> list[str]:
    """Sentences of a one-sentence-per-line file, without the final newline's empty entry."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines
