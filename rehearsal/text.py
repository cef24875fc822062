"""Seeded synthetic sentences in each paper language's script, so the cleaning rules (script share,
length ratio) treat replica pairs as they treat real ones. The words mean nothing."""

from __future__ import annotations

import random

ALPHABETS = {
    "en": "abcdefghijklmnopqrstuvwxyz",
    "ar": "".join(map(chr, range(0x0627, 0x063B))),
    "el": "αβγδεζηθικλμνξοπρστυφχψω",
    "hi": "".join(map(chr, range(0x0915, 0x0939))),
    "tr": "abcçdefgğhıijklmnoöprsştuüvyz",
    "vi": "abcdđeêghiklmnoôơpqrstuưvxyàảãáạ",
    "zh": "".join(map(chr, range(0x4E00, 0x4E60))),
}


class Words:
    """A seeded vocabulary per language and sentences drawn from it (Chinese words are one or two Han)."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.vocab = {lang: [self._word(lang) for _ in range(300)] for lang in ALPHABETS}

    def _word(self, lang: str) -> str:
        size = self.rng.randint(1, 2) if lang == "zh" else self.rng.randint(2, 7)
        return "".join(self.rng.choice(ALPHABETS[lang]) for _ in range(size))

    def sentence(self, lang: str, n: int | None = None) -> str:
        words = self.rng.choices(self.vocab[lang], k=n or self.rng.randint(5, 11))
        glue = "" if lang == "zh" else " "
        return glue.join(words).capitalize() + ("。" if lang == "zh" else ".")

    def parallel(self, lang: str) -> tuple[str, str]:
        n = self.rng.randint(5, 11)
        return self.sentence("en", n), self.sentence(lang, n)
