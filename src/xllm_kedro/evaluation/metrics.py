"""Answer and translation scores.

QA has three labelled definitions whose numbers are not comparable:
- ``normalizer="mlqa"``: the official MLQA script's normalisation (Unicode punctuation, per-language
  articles, one token per Chinese character). For el and tr, which that script lacks, the same scheme
  with whitespace tokens and no article removal.
- ``normalizer="squad"``: the official SQuAD v1.1 normalisation (ASCII punctuation, English articles).
- ``containment``: the paper code's test, the lower-cased reference inside the lower-cased prediction.
Translation scores are corpus-level sacrebleu BLEU and chrF2, each with its signature.
"""

from __future__ import annotations

import logging
import os
import re
import string
import sys
import unicodedata
from collections import Counter
from pathlib import Path

import sacrebleu
from sacrebleu.tokenizers.tokenizer_spm import TokenizerSPM
from sacrebleu.utils import SACREBLEU_DIR

from xllm_kedro.quiet import once

log = logging.getLogger(__name__)

_UNICODE_PUNCT = frozenset(
    chr(i) for i in range(sys.maxunicode + 1) if unicodedata.category(chr(i)).startswith("P")
) | frozenset(string.punctuation)
_ASCII_PUNCT = frozenset(string.punctuation)
_CJK = re.compile(r"[\u4e00-\u9fa5]")

_ARTICLES = {
    "en": re.compile(r"\b(a|an|the)\b"),
    "es": re.compile(r"\b(un|una|unos|unas|el|la|los|las)\b"),
    "de": re.compile(r"\b(ein|eine|einen|einem|eines|einer|der|die|das|den|dem|des)\b"),
    "vi": re.compile(r"\b(của|là|cái|chiếc|những)\b"),
    "ar": re.compile(r"ال"),  # the official pattern removes every occurrence of the article
}
MLQA_LANGS = ("en", "es", "de", "ar", "hi", "vi", "zh", "el", "tr",
              "qaa", "qab", "qac")  # the controlled world: whitespace tokens, no articles


def _char_segments(text: str) -> list[str]:
    """Whitespace tokens, with every Chinese character (and punctuation mark) a token of its own."""
    tokens, buf = [], ""
    for ch in text:
        if _CJK.match(ch) or ch in _UNICODE_PUNCT:
            tokens.extend(buf.split())
            buf = ""
            tokens.append(ch)
        else:
            buf += ch
    tokens.extend(buf.split())
    return tokens


def normalize_mlqa(text: str, lang: str) -> str:
    if lang not in MLQA_LANGS:
        raise ValueError(f"no MLQA normaliser for language {lang!r}; known: {', '.join(MLQA_LANGS)}")
    text = "".join(ch for ch in text.lower() if ch not in _UNICODE_PUNCT)
    if lang in _ARTICLES:
        text = _ARTICLES[lang].sub(" ", text)
    tokens = _char_segments(text) if lang == "zh" else text.split()
    return " ".join(t for t in tokens if t.strip())


def normalize_squad(text: str) -> str:
    text = "".join(ch for ch in text.lower() if ch not in _ASCII_PUNCT)
    return " ".join(_ARTICLES["en"].sub(" ", text).split())


def _f1(pred_tokens: list[str], ref_tokens: list[str]) -> float:
    same = sum((Counter(pred_tokens) & Counter(ref_tokens)).values())
    if same == 0:
        return 0.0
    precision, recall = same / len(pred_tokens), same / len(ref_tokens)
    return 2 * precision * recall / (precision + recall)


def qa_scores(predictions: list[str], references: list[list[str]], lang: str, normalizer: str = "mlqa") -> dict:
    """Exact match, F1 and containment on a 0-100 scale: maxed over references, averaged over examples."""
    if len(predictions) != len(references):
        raise ValueError(f"{len(predictions)} predictions but {len(references)} reference lists")
    if normalizer == "mlqa":
        norm = lambda s: normalize_mlqa(s, lang)  # noqa: E731
    elif normalizer == "squad":
        norm = normalize_squad
    else:
        raise ValueError(f"normalizer must be 'mlqa' or 'squad', got {normalizer!r}")
    em = f1 = contain = 0.0
    for pred, refs in zip(predictions, references):
        if not refs:
            raise ValueError("every question needs at least one reference answer")
        p = norm(pred)
        em += max(float(p == norm(r)) for r in refs)
        f1 += max(_f1(p.split(), norm(r).split()) for r in refs)
        contain += max(float(r.lower() in pred.lower()) for r in refs)
    n = max(len(predictions), 1)
    return {"exact_match": 100 * em / n, "f1": 100 * f1 / n, "containment": 100 * contain / n}


def _flores101_bleu(spm_path: str | None) -> sacrebleu.metrics.BLEU | None:
    """sacrebleu's spBLEU (``flores101`` tokenizer) on a local SentencePiece model (``spm_path``, else
    sacrebleu's cache under ``$SACREBLEU``), or None, logged, when the model or sentencepiece is missing:
    sacrebleu itself would download the model."""
    cache = Path(os.environ.get("SACREBLEU", SACREBLEU_DIR)) / "models" / "sacrebleu_tokenizer_spm.model"
    model = Path(spm_path) if spm_path else cache
    if not model.exists():
        once(log, logging.INFO,
             "spbleu skipped: no flores101 SentencePiece model at %s (parameter spm_path or $SACREBLEU)", model)
        return None
    try:
        import sentencepiece
    except ImportError:
        once(log, logging.INFO, "spbleu skipped: the sentencepiece package is not installed")
        return None
    bleu = sacrebleu.metrics.BLEU(tokenize="none")
    tokenizer = TokenizerSPM.__new__(TokenizerSPM)  # sacrebleu's own tokenizer, loaded from this path
    tokenizer.name, tokenizer.sp = "flores101", sentencepiece.SentencePieceProcessor(model_file=str(model))
    bleu.tokenizer, bleu.tokenizer_signature = tokenizer, tokenizer.signature()
    return bleu


def translation_scores(hypotheses: list[str], references: list[str], tgt_lang: str, *, spm_path: str | None = None) -> dict:
    """Corpus BLEU (``zh`` tokenizer for a Chinese target, ``13a`` otherwise) and chrF2, with signatures.

    spBLEU (``flores101`` tokenizer) is added only when its SentencePiece model is present locally.
    Every score is corpus-level.
    """
    if len(hypotheses) != len(references):
        raise ValueError(f"{len(hypotheses)} hypotheses but {len(references)} references")
    bleu = sacrebleu.metrics.BLEU(tokenize="zh" if tgt_lang == "zh" else "13a")
    chrf = sacrebleu.metrics.CHRF()
    out = {
        "bleu": bleu.corpus_score(hypotheses, [references]).score,
        "bleu_signature": str(bleu.get_signature()),
        "chrf": chrf.corpus_score(hypotheses, [references]).score,
        "chrf_signature": str(chrf.get_signature()),
    }
    if (spbleu := _flores101_bleu(spm_path)) is not None:
        out["spbleu"] = spbleu.corpus_score(hypotheses, [references]).score
        out["spbleu_signature"] = str(spbleu.get_signature())
    return out
