"""Readers for evaluation data: SQuAD-format QA (XQuAD, MLQA) and line-aligned translation sets (FLORES),
from local files or from Hugging Face dataset rows (conf/paper)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class QAExample:
    id: str
    context: str
    question: str
    answers: tuple[str, ...]


def squad_examples(doc, where: str = "SQuAD file") -> list[QAExample]:
    """Flatten a SQuAD v1.1 JSON document, or rows in the Hugging Face SQuAD schema (``answers.text``
    a list); a missing key raises ValueError naming the record."""
    if not isinstance(doc, Mapping):
        return _squad_rows(doc, where)
    if "data" not in doc:
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


def _squad_rows(rows: Iterable, where: str) -> list[QAExample]:
    out = []
    for i, row in enumerate(rows):
        try:
            answers = tuple(row["answers"]["text"])
            out.append(QAExample(str(row["id"]), row["context"], row["question"], answers))
        except (KeyError, TypeError) as err:
            raise ValueError(f"{where}: row {i}: not a SQuAD-schema row ({err!r})") from None
        if not answers:
            raise ValueError(f"{where}: row {i}: no reference answer")
    return out


def qa_set(data, where: str) -> list[QAExample]:
    """QA examples from prepared records (``{lang}.qa_examples``), a SQuAD document or SQuAD-schema rows."""
    if isinstance(data, list) and all(isinstance(r, Mapping) and isinstance(r.get("answers"), list | tuple) for r in data):
        try:
            return [QAExample(r["id"], r["context"], r["question"], tuple(r["answers"])) for r in data]
        except KeyError as err:
            raise ValueError(f"{where}: a record lacks {err.args[0]!r}") from None
    return squad_examples(data, where)


def sentences(data, where: str, field: str | None = None) -> list[str]:
    """Sentences of a one-per-line text, or the ``field`` column of dataset rows (FLORES on the hub)."""
    if isinstance(data, str):
        return text_lines(data)
    if field is None:
        raise ValueError(f"{where}: rows need a text_field naming the sentence column")
    try:
        return [str(row[field]) for row in data]
    except (KeyError, TypeError):
        raise ValueError(f"{where}: rows have no {field!r} column") from None


def text_lines(text: str) -> list[str]:
    """Sentences of a one-sentence-per-line file, without the final newline's empty entry."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines
