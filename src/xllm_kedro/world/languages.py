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
from xllm_kedro.world.lexicon import ENGLISH_WORDS, FUNCTION_WORDS, cognate, invented_lexicon, to_greek

WORLD_LANGUAGES: list[Language] = [LANGUAGES[code] for code in ("qaa", "qab", "qac")]  # registered in spec
TARGETS = tuple(lang.code for lang in WORLD_LANGUAGES)


def _share(words: dict[str, str], share: float, rng: random.Random, always: tuple[str, ...] = ()) -> dict[str, str]:
    """``words`` with a ``share`` of the English words (and every word of ``always``) kept verbatim.

    A kept word is then the same token as in English (respelled cognates are unrelated tokens to a
    word-level tokenizer). A word whose own form is some other kept English word is kept too, so the
    lexicon stays invertible."""
    if share <= 0 and not always:
        return words
    kept = {w for w in ENGLISH_WORDS if w in always or rng.random() < share}
    while clash := {w for w in ENGLISH_WORDS if w not in kept and words[w] in kept}:
        kept |= clash
    return {w: (w if w in kept else f) for w, f in words.items()}


def build_grammars(seed: int, codes: list[str], *, near_shared: float = 0.0,
                   mid_shared: float = 0.0) -> dict[str, Grammar]:
    """English and the requested targets; invented lexicons depend on ``seed`` and the language code.

    ``near_shared`` / ``mid_shared``: share of English words that ``qaa`` / ``qab`` keep verbatim (0: none,
    the original world). With ``near_shared`` > 0, ``qaa`` also keeps every function word."""
    grammars = {"en": Grammar({w: w for w in ENGLISH_WORDS}, fronted_questions=True, english_verbs=True)}
    for code in codes:
        if code == "qaa":
            words = {w: cognate(w) for w in ENGLISH_WORDS} | {"the": "de", "a": "en", "does": "dut"}
            words = _share(words, near_shared, random.Random(f"{seed}:{code}:shared"),
                           FUNCTION_WORDS if near_shared > 0 else ())
            grammars[code] = Grammar(words, fronted_questions=True, verb_suffix="et")
        elif code == "qab":
            words = invented_lexicon(ENGLISH_WORDS, random.Random(f"{seed}:{code}"))
            words = _share(words, mid_shared, random.Random(f"{seed}:{code}:shared"))
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
