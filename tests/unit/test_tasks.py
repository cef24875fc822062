"""Evaluation tasks declared in parameters: the shipped declarations, prompts, and errors naming keys."""

import copy

import pytest
import yaml

from xllm_kedro.spec.experiments import load_experiments
from xllm_kedro.spec.tasks import load_tasks, task_units

from ..conftest import PROJECT_ROOT


def declared(env: str = "base") -> dict:
    name = "parameters_evaluation.yml" if env == "base" else "parameters.yml"
    return yaml.safe_load((PROJECT_ROOT / "conf" / env / name).read_text(encoding="utf-8"))["tasks"]


def test_default_tasks_are_xquad_style_qa_and_flores_both_ways():
    tasks = load_tasks(declared())
    assert tasks["qa"].kind == "qa" and tasks["qa"].dataset("zh") == "zh.qa_examples"
    assert set(tasks["qa"].prompts) == {"en", "ar", "el", "hi", "tr", "vi", "zh"}
    assert tasks["translation"].dataset("vi") == "vi.flores_raw"
    assert tasks["translation"].pairs("vi") == [("en", "vi"), ("vi", "en")]
    assert tasks["qa"].generation.max_new_tokens > 0 and "\n\n" in tasks["qa"].generation.stop


def test_paper_declares_mlqa_on_its_five_languages():
    tasks = load_tasks(declared("paper"))
    assert {"qa", "mlqa", "translation"} <= set(tasks)
    assert tasks["mlqa"].languages == ("en", "ar", "hi", "vi", "zh")
    assert task_units(tasks, ["mlqa"], ["el", "hi"], where="x") == [("mlqa", "hi")]


def test_qa_prompt_has_the_appendix_c_layout_in_the_test_language():
    prompt = load_tasks(declared())["qa"].qa_prompt("zh", "北京是首都。", "首都是哪里？")
    assert "### Instruction:\n请根据以下段落，回答问题\n段落: 北京是首都。\n问题: 首都是哪里？\n答案:\n\n### Response:" in prompt


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


@pytest.mark.badinput
@pytest.mark.parametrize("change,key", [
    (lambda t: t["qa"].update(kind="ranking"), "tasks.qa.kind"),
    (lambda t: t["qa"].update(metrics=["bleu"]), "tasks.qa.metrics"),
    (lambda t: t["qa"]["generation"].update(max_new_tokens=0), "tasks.qa.generation.max_new_tokens"),
    (lambda t: t["qa"]["generation"].update(greedy=False), "tasks.qa.generation.greedy"),
    (lambda t: t["qa"]["prompts"]["zh"].pop("answer"), "tasks.qa.prompts.zh"),
    (lambda t: t["translation"].update(instruction="Translate."), "tasks.translation.instruction"),
    (lambda t: t["translation"].update(directions=["en-x", "sideways"]), "tasks.translation.directions"),
    (lambda t: t["translation"].update(data="flores_raw"), "tasks.translation.data"),
    (lambda t: t["translation"].update(split="devtest"), "tasks.translation"),
])
def test_bad_declarations_name_the_key(change, key):
    spec = copy.deepcopy(declared())
    change(spec)
    with pytest.raises(ValueError, match=key.replace(".", r"\.")):
        load_tasks(spec)


@pytest.mark.badinput
def test_an_experiment_naming_an_undeclared_task_is_named():
    params = {"languages": ["zh"], "tasks": declared(),
              "experiments": {"x_zh": {"sources": ["alpaca_en"], "eval_languages": ["zh"], "tasks": ["xquad"]}}}
    with pytest.raises(ValueError, match=r"experiments\.x_zh\.tasks: unknown task\(s\) \['xquad'\]"):
        load_experiments(params)


def test_paper_catalog_reads_the_three_sets_from_the_hub():
    catalog = yaml.safe_load((PROJECT_ROOT / "conf" / "paper" / "catalog.yml").read_text(encoding="utf-8"))
    tasks = load_tasks(declared("paper"))
    assert tasks["qa"].dataset("zh") == "zh.qa_examples"  # prepared from {lang}.qa_raw by data_preparation
    for name in ("{lang}.qa_raw", tasks["mlqa"].data, tasks["translation"].dataset("el")):
        assert catalog[name]["type"] == "huggingface.HFDataset", name
    assert catalog["{lang}.qa_raw"]["dataset_name"] == "google/xquad"
    assert catalog["{lang}.mlqa_raw"]["dataset_name"] == "facebook/mlqa"
    assert catalog["el.flores101"]["dataset_name"] == "gsarti/flores_101"
    assert catalog["el.flores101"]["dataset_kwargs"]["split"] == "devtest"


def test_hub_rows_read_like_local_files():
    from xllm_kedro.evaluation.sets import qa_set, sentences

    rows = [{"id": "q1", "context": "Paris is in France.", "question": "Where is Paris?",
             "answers": {"text": ["France", "in France"], "answer_start": [12, 9]}}]
    [example] = qa_set(rows, "zh.mlqa_raw")
    assert example.answers == ("France", "in France") and example.question == "Where is Paris?"
    assert sentences([{"id": 1, "sentence": "Hello."}, {"id": 2, "sentence": "Bye."}], "en.flores101", "sentence") == \
        ["Hello.", "Bye."]
    assert sentences("a\nb\n", "en.flores_raw") == ["a", "b"]


@pytest.mark.badinput
def test_malformed_hub_rows_name_the_dataset_and_row():
    from xllm_kedro.evaluation.sets import qa_set, sentences

    with pytest.raises(ValueError, match=r"zh\.mlqa_raw.*row 1"):
        qa_set([{"id": "a", "context": "c", "question": "q", "answers": {"text": ["x"]}}, {"id": "b"}], "zh.mlqa_raw")
    with pytest.raises(ValueError, match=r"en\.flores101: rows have no 'text' column"):
        sentences([{"sentence": "x"}], "en.flores101", "text")
