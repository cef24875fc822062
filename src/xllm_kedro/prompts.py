"""Prompt texts: the Stanford Alpaca template and translation instructions. The per-language QA
prompts of Appendix C are data: parameters ``tasks`` (see tasks.py)."""

from __future__ import annotations

from xllm_kedro.spec.languages import get_language

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


def alpaca_preambles() -> tuple[str, str]:
    """The text each Alpaca template puts before the instruction (with an input block, without): every
    training prompt of one template starts with it."""
    return tuple(t.split("{instruction}")[0] for t in (_ALPACA_WITH_INPUT, _ALPACA_NO_INPUT))  # type: ignore[return-value]


def alpaca_prompt(instruction: str, input: str = "") -> str:  # noqa: A002 - the Alpaca field name
    """The Stanford Alpaca prompt, with or without an input block, exactly as the paper's code base."""
    if input:
        return _ALPACA_WITH_INPUT.format(instruction=instruction, input=input)
    return _ALPACA_NO_INPUT.format(instruction=instruction)


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
