"""prompts.py: the Alpaca template and the translation instructions."""

from xllm_kedro.prompts import alpaca_prompt, translation_instruction


def test_alpaca_prompt_without_input_is_the_stanford_template():
    assert alpaca_prompt("Name a colour.") == (
        "Below is an instruction that describes a task. Write a response that appropriately completes the request."
        "\n\n### Instruction:\nName a colour.\n\n### Response:"
    )


def test_alpaca_prompt_with_input_adds_the_input_block():
    assert alpaca_prompt("Add.", "1 and 2") == (
        "Below is an instruction that describes a task, paired with an input that provides further context. "
        "Write a response that appropriately completes the request.\n\n"
        "### Instruction:\nAdd.\n\n### Input:\n1 and 2\n\n### Response:"
    )


def test_translation_instruction_names_both_languages_and_variant_zero_is_the_papers():
    assert translation_instruction("en", "zh") == "Translate the following sentences from English to Chinese."
    assert "Greek" in translation_instruction("el", "en", 3) and "English" in translation_instruction("el", "en", 3)
