import pytest

from xllm_kedro.prompts import QA_PROMPTS, alpaca_prompt, qa_instruction, translation_instruction


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


def test_qa_prompt_uses_the_target_language_labels():
    text = qa_instruction("北京是首都。", "首都是哪里？", "zh")
    assert text == "请根据以下段落，回答问题\n段落: 北京是首都。\n问题: 首都是哪里？\n答案:"


@pytest.mark.parametrize("lang,script_start,script_end", [("ar", 0x0600, 0x06FF), ("hi", 0x0900, 0x097F)])
def test_arabic_and_hindi_prompts_are_in_their_script(lang, script_start, script_end):
    for part in QA_PROMPTS[lang]:
        letters = [ch for ch in part if ch.isalpha()]
        assert letters and all(script_start <= ord(ch) <= script_end for ch in letters), part


def test_translation_instruction_names_both_languages_and_variant_zero_is_the_papers():
    assert translation_instruction("en", "zh") == "Translate the following sentences from English to Chinese."
    assert "Greek" in translation_instruction("el", "en", 3) and "English" in translation_instruction("el", "en", 3)


def test_unknown_language_is_named():
    with pytest.raises(ValueError, match="'xx'"):
        qa_instruction("c", "q", "xx")
