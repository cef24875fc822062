"""Evaluation tasks declared in parameters: the shipped declarations and their prompts (the errors that
name a key are in test_bad_parameters.py)."""

import copy

import pytest

from xllm_kedro.spec.tasks import load_tasks, task_units

from ...conftest import declared_tasks as declared


def test_default_tasks_are_xquad_style_qa_and_flores_both_ways():
    tasks = load_tasks(declared())
    assert tasks["qa"].kind == "qa" and tasks["qa"].dataset("zh") == "zh.qa_examples"
    assert set(tasks["qa"].prompts) == {"en", "ar", "el", "hi", "tr", "vi", "zh", "qaa", "qab", "qac"}  # + the world
    assert tasks["translation"].dataset("vi") == "vi.flores_raw"
    assert tasks["translation"].pairs("vi") == [("en", "vi"), ("vi", "en")]
    assert tasks["qa"].generation.max_new_tokens > 0 and "\n\n" in tasks["qa"].generation.stop


def test_paper_declares_mlqa_on_its_five_languages():
    tasks = load_tasks(declared("paper"))
    assert {"qa", "mlqa", "translation"} <= set(tasks)
    assert tasks["mlqa"].languages == ("en", "ar", "hi", "vi", "zh")
    assert task_units(tasks, ["mlqa"], ["el", "hi"], where="x") == [("mlqa", "hi")]


# Appendix C, one QA prompt per language: the instruction, then "<context label>: <Context>",
# "<question label>: <Question>" and the answer cue. The PDF extraction reverses the Arabic words and
# drops Devanagari conjuncts and vowel signs; these are the prompts as written (and as in the authors'
# released data scripts, which put the instruction in the Alpaca instruction and the labelled lines in
# its input block).
APPENDIX_C = {
    "en": ("Answer the final question with following context.", "Context", "Question", "Answer"),
    "ar": ("الرجاء الإجابة على الأسئلة بناءً على الفقرات التالية", "فقرة", "سؤال", "إجابة"),
    "el": ("Απαντήστε στις ερωτήσεις με βάση τις παρακάτω παραγράφους", "παράγραφος", "ερώτηση", "Απάντηση"),
    "hi": ("कृपया निम्नलिखित पैराग्राफ के अनुसार प्रश्नों के उत्तर दें", "अनुच्छेद", "सवाल", "उत्तर"),
    "tr": ("Lütfen soruları aşağıdaki paragraflara göre cevaplayınız", "paragraf", "soru", "Cevap"),
    "vi": ("Hãy trả lời các câu hỏi theo đoạn văn sau", "đoạn văn", "câu hỏi", "Trả lời"),
    "zh": ("请根据以下段落，回答问题", "段落", "问题", "答案"),
}


@pytest.mark.parametrize("env", ["base", "paper"])
@pytest.mark.parametrize("lang", sorted(APPENDIX_C))
def test_each_languages_qa_prompt_renders_appendix_c_in_the_alpaca_input_block(env, lang):
    instruction, context, question, answer = APPENDIX_C[lang]
    prompt = load_tasks(declared(env))["qa"].qa_prompt(lang, "<C>", "<Q>")
    assert prompt.startswith("Below is an instruction that describes a task, paired with an input")
    assert prompt.endswith(f"### Instruction:\n{instruction}\n\n### Input:\n{context}: <C>\n{question}: <Q>\n"
                           f"{answer}:\n\n### Response:")


@pytest.mark.parametrize("lang,first,last", [("ar", 0x0600, 0x06FF), ("hi", 0x0900, 0x097F)])
def test_arabic_and_hindi_prompts_are_in_their_script(lang, first, last):
    for text in load_tasks(declared())["qa"].prompts[lang].values():
        letters = [ch for ch in text if ch.isalpha()]
        assert letters and all(first <= ord(ch) <= last for ch in letters), text


def test_hindi_prompt_restores_the_words_the_pdf_extraction_broke():
    hi = load_tasks(declared())["qa"].prompts["hi"]
    assert hi["instruction"] == "कृपया निम्नलिखित पैराग्राफ के अनुसार प्रश्नों के उत्तर दें"
    assert (hi["context"], hi["question"], hi["answer"]) == ("अनुच्छेद", "सवाल", "उत्तर")


def test_adding_a_language_is_a_prompt_entry():
    spec = copy.deepcopy(declared())
    spec["qa"]["prompts"] = {"en": spec["qa"]["prompts"]["en"]}
    with pytest.raises(ValueError, match=r"tasks\.qa\.prompts\.vi is missing"):
        task_units(load_tasks(spec), ["qa"], ["vi"], where="parameters experiments.x_vi.tasks")
    spec["qa"]["prompts"]["vi"] = {"instruction": "Trả lời", "context": "a", "question": "b", "answer": "c"}
    assert task_units(load_tasks(spec), ["qa", "translation"], ["vi"], where="x") == [("qa", "vi"), ("translation", "vi")]
