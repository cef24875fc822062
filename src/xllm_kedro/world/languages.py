"""The world's languages: English and three targets at clearly different distances from it.

Codes come from the ISO 639-2 private-use range qaa-qtz, so they never clash with a real language.

- ``qaa`` Nearese (near): English with systematic spelling changes of every word (cognates), verbs end in
  ``-et``; same word order, same (Latin) script.
- ``qab`` Midese (mid): an invented lexicon, subject-object-verb order, postpositions, adjective and
  article after the noun; Latin script.
- ``qac`` Farese (far): an invented lexicon, verb-subject-object order, adjective after the noun, written
  in Greek letters.
"""

from __future__ import annotations

import random

from xllm_kedro.spec.languages import LANGUAGES, Language
from xllm_kedro.world.grammar import Grammar
from xllm_kedro.world.lexicon import ENGLISH_WORDS, cognate, invented_lexicon, to_greek

WORLD_LANGUAGES: list[Language] = [LANGUAGES[code] for code in ("qaa", "qab", "qac")]  # registered in spec
TARGETS = tuple(lang.code for lang in WORLD_LANGUAGES)


def build_grammars(seed: int, codes: list[str]) -> dict[str, Grammar]:
    """English and the requested targets; invented lexicons depend on ``seed`` and the language code."""
    grammars = {"en": Grammar({w: w for w in ENGLISH_WORDS}, fronted_questions=True, english_verbs=True)}
    for code in codes:
        if code == "qaa":
            words = {w: cognate(w) for w in ENGLISH_WORDS} | {"the": "de", "a": "en", "does": "dut"}
            grammars[code] = Grammar(words, fronted_questions=True, verb_suffix="et")
        elif code == "qab":
            words = invented_lexicon(ENGLISH_WORDS, random.Random(f"{seed}:{code}"))
            grammars[code] = Grammar(words, clause_order="SOV", adjective_after=True, determiner_after=True,
                                     postpositions=True, verb_suffix="ma")
        elif code == "qac":
            latin = invented_lexicon(ENGLISH_WORDS, random.Random(f"{seed}:{code}"))
            grammars[code] = Grammar({w: to_greek(f) for w, f in latin.items()}, clause_order="VSO",
                                     adjective_after=True, verb_suffix="ει")
        else:
            raise ValueError(f"unknown world language {code!r}; known: {', '.join(TARGETS)}")
        forms = list(grammars[code].words.values())
        if len(set(forms)) != len(forms):
            raise AssertionError(f"{code}: two English words share a form")  # a lexicon must be invertible
    return grammars
