"""Sentence structures of the world and how each language puts them into words.

A clause is ``subject verb object [preposition place]``; every language renders the same structure with
its own lexicon and word order, so a sentence and its translations are exact (no aligner, no noise).
Rendering returns tagged chunks, so answer spans and their character offsets come out exact too.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from xllm_kedro.world.lexicon import ADJECTIVES, NOUNS, PREPOSITIONS, VERBS

CLAUSE_ORDERS = ("SVO", "SOV", "VSO")
QUESTION_KINDS = ("subject", "object", "place")


@dataclass(frozen=True)
class NounPhrase:
    determiner: str  # "the" or "a"
    adjective: str | None
    noun: str


@dataclass(frozen=True)
class Clause:
    subject: NounPhrase
    verb: str
    obj: NounPhrase
    place: tuple[str, NounPhrase] | None  # (preposition, noun phrase)

    def slot(self, kind: str) -> NounPhrase:
        """The noun phrase a question of ``kind`` asks for."""
        if kind == "place":
            assert self.place is not None
            return self.place[1]
        return self.subject if kind == "subject" else self.obj


def sample_noun_phrase(rng: random.Random) -> NounPhrase:
    adjective = rng.choice(ADJECTIVES) if rng.random() < 0.5 else None
    return NounPhrase(rng.choice(("the", "a")), adjective, rng.choice(NOUNS))


def sample_clause(rng: random.Random) -> Clause:
    subject, obj = sample_noun_phrase(rng), sample_noun_phrase(rng)
    while obj.noun == subject.noun:  # "the dog sees a dog" makes "what" questions ambiguous
        obj = sample_noun_phrase(rng)
    place = (rng.choice(PREPOSITIONS), sample_noun_phrase(rng)) if rng.random() < 0.6 else None
    return Clause(subject, rng.choice(VERBS), obj, place)


def sample_story_clause(rng: random.Random, cast: list[NounPhrase], places: list[NounPhrase]) -> Clause:
    """A clause about a story's few recurring noun phrases: text in which copying from context pays."""
    subject, obj = rng.sample(cast, 2)
    place = (rng.choice(PREPOSITIONS), rng.choice(places)) if rng.random() < 0.6 else None
    return Clause(subject, rng.choice(VERBS), obj, place)


def sample_cast(rng: random.Random, size: int) -> list[NounPhrase]:
    """``size`` noun phrases with distinct nouns."""
    cast: dict[str, NounPhrase] = {}
    while len(cast) < size:
        np = sample_noun_phrase(rng)
        cast.setdefault(np.noun, np)
    return list(cast.values())


@dataclass(frozen=True)
class Grammar:
    """A language's lexicon and word order. ``words`` maps English lemmas to this language's roots."""

    words: dict[str, str]
    clause_order: str = "SVO"
    adjective_after: bool = False
    determiner_after: bool = False
    postpositions: bool = False
    fronted_questions: bool = False  # English-style "what does X see ?"; otherwise the wh-word stays in place
    verb_suffix: str = ""  # the finite verb's ending (English's own -s/-es when ``english_verbs``)
    english_verbs: bool = False

    def word(self, lemma: str) -> str:
        return self.words[lemma]

    def finite(self, verb: str) -> str:
        root = self.word(verb)
        if self.english_verbs:
            if root.endswith("y") and root[-2:-1] not in "aeiou":
                return root[:-1] + "ies"
            return root + ("es" if root.endswith(("s", "sh", "ch", "x")) else "s")
        return root + self.verb_suffix

    def noun_phrase(self, np: NounPhrase) -> list[str]:
        det = self.word(np.determiner)
        if self.english_verbs and np.determiner == "a" and (np.adjective or np.noun)[0] in "aeiou":
            det = "an"
        core = [self.word(np.noun)]
        if np.adjective:
            core = core + [self.word(np.adjective)] if self.adjective_after else [self.word(np.adjective)] + core
        return core + [det] if self.determiner_after else [det] + core

    def chunks(self, clause: Clause, gap: str | None = None) -> list[tuple[str, list[str]]]:
        """(tag, words) in this language's order; tags S, V, O, P (place phrase) and A (the place noun
        phrase inside P). ``gap`` replaces a slot by its wh-word, in place."""
        what, where = self.word("what"), self.word("where")
        parts = {
            "S": [what] if gap == "subject" else self.noun_phrase(clause.subject),
            "V": [self.finite(clause.verb)],
            "O": [what] if gap == "object" else self.noun_phrase(clause.obj),
        }
        out = [(tag, parts[tag]) for tag in self.clause_order]
        if gap == "place":
            place = [("P", [where])]
        elif clause.place:
            prep, np = clause.place
            inner = [("A", self.noun_phrase(np))]
            place = inner + [("P", [self.word(prep)])] if self.postpositions else [("P", [self.word(prep)])] + inner
        else:
            place = []
        # the place phrase goes before a final verb (SOV), else at the end
        return out[:-1] + place + out[-1:] if self.clause_order.endswith("V") else out + place

    def sentence(self, clause: Clause) -> str:
        return " ".join(w for _, words in self.chunks(clause) for w in words) + " ."

    def answer(self, clause: Clause, kind: str) -> tuple[str, int]:
        """The words that answer a ``kind`` question about ``clause`` and their character offset in
        ``sentence(clause)``."""
        tag = {"subject": "S", "object": "O", "place": "A"}[kind]
        offset = 0
        for t, words in self.chunks(clause):
            text = " ".join(words)
            if t == tag:
                return text, offset
            offset += len(text) + 1
        raise ValueError(f"clause has no {kind} slot")

    def question(self, clause: Clause, kind: str) -> str:
        """A question whose answer is ``answer(clause, kind)``: English-style fronting with "does" and
        the bare verb where ``fronted_questions``, else the wh-word in the asked slot."""
        if kind == "place" and clause.place is None:
            raise ValueError("a place question needs a clause with a place phrase")
        if not self.fronted_questions or kind == "subject":
            return " ".join(w for _, words in self.chunks(clause, gap=kind) for w in words) + " ?"
        words = [self.word("where" if kind == "place" else "what"), self.word("does"),
                 *self.noun_phrase(clause.subject), self.word(clause.verb)]
        if kind == "place":
            words += self.noun_phrase(clause.obj)
        elif clause.place:
            words += [self.word(clause.place[0]), *self.noun_phrase(clause.place[1])]
        return " ".join(words) + " ?"

    def phrase(self, lemmas: str) -> str:
        """Meta text (instructions, prompt labels) word by word, in this language's words."""
        return " ".join(self.word(w) for w in lemmas.split())
