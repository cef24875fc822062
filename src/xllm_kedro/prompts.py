"""Prompt texts: the Stanford Alpaca template, per-language QA prompts (paper, Appendix C) and
translation instructions."""

from __future__ import annotations

from .languages import get_language

_ALPACA_WITH_INPUT = (
    "Below is an instruction that describes a task, paired with an input that provides further context. "
    "Write a response that appropriately completes the request.\n\n"
    "### Instruction:\n{instruction}\n\n### Input:\n{input}\n\n### Response:"
)
_ALPACA_NO_INPUT = (
    "Below is an instruction that describes a task. "
    "Write a response that appropriately completes the request.\n\n"
    "### Instruction:\n{instruction}\n\n### Response:"
)


def alpaca_prompt(instruction: str, input: str = "") -> str:  # noqa: A002 - the Alpaca field name
    """The Stanford Alpaca prompt, with or without an input block, exactly as the paper's code base."""
    if input:
        return _ALPACA_WITH_INPUT.format(instruction=instruction, input=input)
    return _ALPACA_NO_INPUT.format(instruction=instruction)


# (instruction line, context label, question label, answer label). The Arabic and Hindi texts are
# written afresh: the PDF extraction of the paper scrambled them.
QA_PROMPTS: dict[str, tuple[str, str, str, str]] = {
    "en": ("Answer the final question with following context.", "Context", "Question", "Answer"),
    "ar": ("الرجاء الإجابة على الأسئلة بناءً على الفقرات التالية", "فقرة", "سؤال", "إجابة"),
    "el": ("Απαντήστε στις ερωτήσεις με βάση τις παρακάτω παραγράφους", "παράγραφος", "ερώτηση", "Απάντηση"),
    "hi": ("कृपया निम्नलिखित अनुच्छेदों के आधार पर प्रश्नों के उत्तर दें", "अनुच्छेद", "प्रश्न", "उत्तर"),
    "tr": ("Lütfen soruları aşağıdaki paragraflara göre cevaplayınız", "paragraf", "soru", "Cevap"),
    "vi": ("Hãy trả lời các câu hỏi theo đoạn văn sau", "đoạn văn", "câu hỏi", "Trả lời"),
    "zh": ("请根据以下段落，回答问题", "段落", "问题", "答案"),
}


def qa_instruction(context: str, question: str, lang: str) -> str:
    """The Appendix C question-answering prompt in the language of the test set."""
    get_language(lang, where="qa prompt language")
    head, ctx, q, a = QA_PROMPTS[lang]
    return f"{head}\n{ctx}: {context}\n{q}: {question}\n{a}:"


TRANSLATION_TEMPLATES: tuple[str, ...] = (
    "Translate the following sentences from {src} to {tgt}.",
    "Please translate this text from {src} into {tgt}.",
    "Render the following {src} text in {tgt}.",
    "What is the {tgt} translation of the following {src} text?",
    "Convert the sentences below from {src} to {tgt}.",
)


def translation_instruction(src: str, tgt: str, variant: int = 0) -> str:
    """A translation instruction naming both languages; variant 0 is the paper's (used at test)."""
    template = TRANSLATION_TEMPLATES[variant % len(TRANSLATION_TEMPLATES)]
    return template.format(src=get_language(src).name, tgt=get_language(tgt).name)
