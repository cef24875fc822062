"""Language metadata the library needs: English names (for prompts) and the expected script."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Language:
    code: str
    name: str
    script: str  # Unicode script the target side is expected to be written in
    flores: str = ""  # FLORES-200 code: the language token of NLLB models and the config of facebook/flores


LANGUAGES: dict[str, Language] = {
    lang.code: lang
    for lang in (
        Language("en", "English", "Latin", "eng_Latn"),
        Language("ar", "Arabic", "Arabic", "arb_Arab"),
        Language("el", "Greek", "Greek", "ell_Grek"),
        Language("hi", "Hindi", "Devanagari", "hin_Deva"),
        Language("tr", "Turkish", "Latin", "tur_Latn"),
        Language("vi", "Vietnamese", "Latin", "vie_Latn"),
        Language("zh", "Chinese", "Han", "zho_Hans"),
        # The controlled world (xllm_kedro.world), ISO 639-2 private-use codes: near, mid and far from English.
        Language("qaa", "Nearese", "Latin"),
        Language("qab", "Midese", "Latin"),
        Language("qac", "Farese", "Greek"),
    )
}


def get_language(code: str, *, where: str = "languages") -> Language:
    """Look a language up, failing with the offending key and the known codes."""
    try:
        return LANGUAGES[code]
    except KeyError:
        known = ", ".join(sorted(LANGUAGES))
        raise ValueError(f"unknown language code {code!r} in {where}; known codes: {known}") from None


def check_languages(codes: list[str], where: str = "languages", *, english: bool = False) -> list[str]:
    """Validate a list of target-language codes (English is the pivot, never a target). ``english``
    admits it, for evaluation languages: English QA measures what tuning costs English (retention)."""
    if not codes:
        raise ValueError(f"{where} is empty: name at least one target language")
    for code in codes:
        get_language(code, where=where)
        if code == "en" and not english:
            raise ValueError(f"{where} lists 'en': English is the source language, not a target")
    if len(set(codes)) != len(codes):
        raise ValueError(f"{where} repeats a language: {codes}")
    return list(codes)
