"""The English lexicon of the synthetic world and the ways a target language derives its own.

English is a fixed list of real words (so files stay readable). Targets get either cognates (ordered
spelling rules applied to each English word: same roots, different surface) or invented words
(random consonant-vowel syllables, unique per language), optionally transliterated into another script.
"""

from __future__ import annotations

import random

NOUNS = tuple("""
dog cat bird horse cow fish mouse rabbit fox bear wolf goat sheep duck frog snake lion tiger monkey owl
ball book box cup bottle chair table bed door window lamp clock key coin ring hat coat shoe bag basket
apple bread cake egg milk cheese orange lemon carrot potato rice soup tea honey nut seed flower tree leaf
river lake hill stone rock road bridge tower house garden field forest village city market school church
castle farm kitchen boat ship train wagon wheel rope knife spoon plate candle mirror picture letter map
farmer teacher doctor baker king queen child girl boy sailor soldier painter singer student friend
""".split())
ADJECTIVES = tuple("""
big small old young red blue green yellow black white brown heavy light long short tall round square
soft hard warm cold wet dry clean dirty quiet loud fast slow happy sad rich poor bright dark sweet
sour fresh strong weak empty full new broken
""".split())
VERBS = tuple("""
see find take like carry hold push pull watch want paint wash cook open close hide keep touch follow
help visit call bring show buy sell build break fix draw
""".split())
PREPOSITIONS = tuple("in on under near behind beside above inside".split())
# Words of the instructions, questions and prompt labels (meta language).
FUNCTION_WORDS = tuple("""
the a what where does answer final question with following context reverse order of words give first last
word list continue pattern repeat sentence
""".split())

ENGLISH_WORDS = NOUNS + ADJECTIVES + VERBS + PREPOSITIONS + FUNCTION_WORDS

# Cognate rules, applied in order to every English word: the near language's systematic sound changes.
COGNATE_RULES = (("ch", "tj"), ("sh", "sj"), ("th", "d"), ("ph", "f"), ("qu", "kv"), ("w", "v"), ("c", "k"),
                 ("y", "j"), ("ee", "ie"), ("oo", "u"), ("ea", "e"), ("x", "ks"))

_ONSETS = "b d f g k l m n p r s t v z".split() + ["kr", "st", "pl", "dr"]
_VOWELS = "a e i o u".split() + ["ai", "ou"]
_CODAS = ["", "", "", "n", "r", "s", "l", "k"]

# One letter (or digraph) of the invented words' Latin spelling -> Greek letters (a non-Latin script).
GREEK = {"ai": "αι", "ou": "ου", "kr": "κρ", "st": "στ", "pl": "πλ", "dr": "δρ", "a": "α", "b": "β", "d": "δ",
         "e": "ε", "f": "φ", "g": "γ", "i": "ι", "k": "κ", "l": "λ", "m": "μ", "n": "ν", "o": "ο", "p": "π",
         "r": "ρ", "s": "σ", "t": "τ", "u": "υ", "v": "θ", "z": "ζ"}


def cognate(word: str) -> str:
    """The near language's form of an English word; never equal to it (a final vowel marks unchanged roots)."""
    out = word
    for old, new in COGNATE_RULES:
        out = out.replace(old, new)
    if out == word:
        out = word[:-1] + "a" if word.endswith("e") else word + "e"
    return out


def invented_lexicon(words: tuple[str, ...], rng: random.Random) -> dict[str, str]:
    """A unique invented word per English word, with roughly the English word's number of syllables."""
    used: set[str] = set()
    out = {}
    for word in words:
        syllables = max(1, min(3, round(len(word) / 3)))
        while True:
            parts = [rng.choice(_ONSETS) + rng.choice(_VOWELS) for _ in range(syllables)]
            parts[-1] += rng.choice(_CODAS)
            form = "".join(parts)
            if form not in used and form not in ENGLISH_WORDS:
                used.add(form)
                out[word] = form
                break
    return out


def to_greek(latin: str) -> str:
    """Transliterate an invented Latin-letter word into Greek letters, longest units first."""
    out, i = [], 0
    while i < len(latin):
        pair = latin[i:i + 2]
        if pair in GREEK:
            out.append(GREEK[pair])
            i += 2
        else:
            out.append(GREEK[latin[i]])
            i += 1
    text = "".join(out)
    return text[:-1] + "ς" if text.endswith("σ") else text
