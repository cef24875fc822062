"""Checkable tasks, sampled once as language-free items and rendered in every language.

Rendering the same item in each language is what makes Alpaca-X "the same instructions" as Alpaca-en
and the QA sets parallel (same ids). Families: extractive QA over a short context (the evaluation's own
prompt layout), reverse a word list, first / last word of a list, continue a pattern, repeat a sentence.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from xllm_kedro.world.grammar import QUESTION_KINDS, Clause, Grammar
from xllm_kedro.world.lexicon import NOUNS

FAMILIES = ("qa", "reverse", "first", "last", "pattern", "repeat")
WEIGHTS = (4, 1, 1, 1, 1, 1)  # QA dominates: it is the task the evaluation scores
INSTRUCTIONS = {
    "reverse": "reverse the order of the words",
    "first": "give the first word of the list",
    "last": "give the last word of the list",
    "pattern": "continue the pattern",
    "repeat": "repeat the sentence",
}
QA_LABELS = {"instruction": "answer the final question with following context", "context": "context",
             "question": "question", "answer": "answer"}


def qa_labels(grammar: Grammar) -> dict[str, str]:
    """The QA prompt labels in this language, shaped as parameters ``tasks.qa.prompts.<lang>``."""
    out = {key: grammar.phrase(lemmas) for key, lemmas in QA_LABELS.items()}
    out = {key: text[:1].upper() + text[1:] for key, text in out.items()}
    out["instruction"] += "."
    return out


@dataclass(frozen=True)
class QAItem:
    """A question about one clause of a context; the answer is a span of the context in every language."""

    context: tuple[Clause, ...]
    target: int
    kind: str

    def render(self, grammar: Grammar) -> tuple[str, str, str, int]:
        """(context, question, answer, answer_start) in ``grammar``'s language."""
        sentences = [grammar.sentence(c) for c in self.context]
        clause = self.context[self.target]
        answer, offset = grammar.answer(clause, self.kind)
        start = sum(len(s) + 1 for s in sentences[:self.target]) + offset
        return " ".join(sentences), grammar.question(clause, self.kind), answer, start

    def well_posed(self, grammars: dict[str, Grammar]) -> bool:
        """The answer occurs exactly once in the context in every language."""
        for g in grammars.values():
            context, _, answer, _ = self.render(g)
            if context.count(answer) != 1:
                return False
        return True


def sample_qa(rng: random.Random, clauses, n_sentences: int, grammars: dict[str, Grammar]) -> QAItem:
    """``clauses``: a callable giving a fresh clause (it enforces the held-out split)."""
    while True:
        context = tuple(clauses() for _ in range(n_sentences))
        target = rng.randrange(n_sentences)
        kinds = [k for k in QUESTION_KINDS if k != "place" or context[target].place]
        item = QAItem(context, target, rng.choice(kinds))
        if item.well_posed(grammars):
            return item


def qa_record(item: QAItem, grammar: Grammar) -> dict:
    """An Alpaca record laid out exactly as the evaluation's QA prompt (spec.tasks.Task.qa_prompt)."""
    labels = qa_labels(grammar)
    context, question, answer, _ = item.render(grammar)
    text = f"{labels['context']}: {context}\n{labels['question']}: {question}\n{labels['answer']}:"
    return {"instruction": labels["instruction"], "input": text, "output": answer}


@dataclass(frozen=True)
class ListItem:
    """A word-list or sentence task: ``nouns`` for list families, ``clause`` for repeat."""

    family: str
    nouns: tuple[str, ...] = ()
    clause: Clause | None = None

    def render(self, grammar: Grammar) -> dict:
        words = [grammar.word(n) for n in self.nouns]
        if self.family == "reverse":
            source, answer = " ".join(words), " ".join(reversed(words))
        elif self.family in ("first", "last"):
            source, answer = " ".join(words), words[0 if self.family == "first" else -1]
        elif self.family == "pattern":
            source, answer = " ".join(words[:-1]), words[-1]
        else:
            assert self.clause is not None
            source = answer = grammar.sentence(self.clause)
        return {"instruction": grammar.phrase(INSTRUCTIONS[self.family]) + " .", "input": source, "output": answer}


def sample_list_item(rng: random.Random, family: str, clauses) -> ListItem:
    if family == "repeat":
        return ListItem(family, clause=clauses())
    if family == "pattern":
        period = rng.choice((2, 3))
        unit = rng.sample(NOUNS, period)
        length = rng.randint(2 * period + 1, 3 * period + 1)
        return ListItem(family, tuple(unit[i % period] for i in range(length)))
    return ListItem(family, tuple(rng.sample(NOUNS, rng.randint(3, 6))))


def sample_alpaca_items(rng: random.Random, n: int, clauses, n_sentences: int, grammars: dict[str, Grammar]) -> list:
    families = rng.choices(FAMILIES, weights=WEIGHTS, k=n)
    return [sample_qa(rng, clauses, n_sentences, grammars) if f == "qa" else sample_list_item(rng, f, clauses)
            for f in families]


def alpaca_record(item, grammar: Grammar) -> dict:
    return qa_record(item, grammar) if isinstance(item, QAItem) else item.render(grammar)


def squad_json(items: list[QAItem], grammar: Grammar, *, per_article: int = 10) -> dict:
    """SQuAD v1.1 layout: one paragraph per item, ``per_article`` paragraphs per article; ids q00000..."""
    data = []
    for a in range(0, len(items), per_article):
        paragraphs = []
        for i, item in enumerate(items[a:a + per_article], start=a):
            context, question, answer, start = item.render(grammar)
            paragraphs.append({"context": context, "qas": [
                {"id": f"q{i:05d}", "question": question, "answers": [{"text": answer, "answer_start": start}]}]})
        data.append({"title": f"world_{a // per_article:04d}", "paragraphs": paragraphs})
    return {"version": "1.1", "data": data}
