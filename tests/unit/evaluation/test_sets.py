"""Evaluation sets: hub rows read into the same QA examples and sentences as local files."""

from xllm_kedro.evaluation.sets import qa_set, sentences


def test_hub_rows_read_like_local_files():
    rows = [{"id": "q1", "context": "Paris is in France.", "question": "Where is Paris?",
             "answers": {"text": ["France", "in France"], "answer_start": [12, 9]}}]
    [example] = qa_set(rows, "zh.mlqa_raw")
    assert example.answers == ("France", "in France") and example.question == "Where is Paris?"
    assert sentences([{"id": 1, "sentence": "Hello."}, {"id": 2, "sentence": "Bye."}], "en.flores101", "sentence") == \
        ["Hello.", "Bye."]
    assert sentences("a\nb\n", "en.flores_raw") == ["a", "b"]
