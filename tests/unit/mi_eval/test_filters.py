"""Wang et al. (2022)'s instruction filters: ROUGE-L, length, keywords, the first character, programs."""

import pytest

from xllm_kedro.mi_eval.filters import InstructionPool, rouge_l, rouge_tokens, rule_broken
from xllm_kedro.mi_eval.self_instruct import parse_reply, prompt


def test_rouge_l_is_the_f_measure_of_the_longest_common_subsequence():
    a, b = rouge_tokens("The cat sat on the mat."), rouge_tokens("the cat lay on a mat")
    assert a == ["the", "cat", "sat", "on", "the", "mat"]
    # LCS "the cat on mat": 4 of 6 tokens on both sides
    assert rouge_l(a, b) == pytest.approx(4 / 6)
    assert rouge_l(a, a) == 1.0 and rouge_l(a, []) == 0.0 and rouge_l(["x"], ["y"]) == 0.0


@pytest.mark.parametrize("text, rule", [
    ("Summarise the text.", "length"),                 # 3 words: Wang et al. need more than 3
    (" ".join(["word"] * 151), "length"),
    ("Draw the outline of a house.", "keyword"),
    ("Describe the attached image in detail.", "keyword"),
    ("Explain how to go to the station.", "keyword"),
    ("- List three kinds of fruit.", "punctuation_start"),
    ("Écrivez un poème sur la mer.", "non_english_start"),
    ("Write a program that adds two numbers.", "program"),
    ("Explain why leaves change colour in autumn.", None),
    ("Write a mapping of colours to moods.", None),   # "map" only as a whole word
])
def test_each_rule(text, rule):
    assert rule_broken(text) == rule


def test_the_pool_drops_near_copies_of_the_seeds_and_of_what_it_kept():
    pool = InstructionPool(max_rouge_l=0.7)
    pool.add_reference(["Give three tips for staying healthy."])
    assert not pool.offer("Give three tips for staying healthy and happy.")   # 6 of 6 and 8 tokens: 0.857
    assert pool.offer("Name three rivers in Europe and their lengths.")
    assert not pool.offer("Name three rivers in Europe and their sources.")    # 7 of 8: 0.875
    assert pool.offer("Name two mountains in Asia.")                           # 2 of 5 and 8: 0.31
    assert not pool.offer("Plot the data.")
    assert pool.report() == {"offered": 5, "length": 1, "keyword": 0, "punctuation_start": 0, "non_english_start": 0,
                             "program": 0, "similar": 2, "kept": 2}


def test_a_reply_continues_the_numbered_list_after_the_examples():
    text = prompt(["First task here.", "Second task here.", "Third task here."], 8)
    assert text.endswith("1. First task here.\n2. Second task here.\n3. Third task here.\n4.")
    reply = "Name a colour you like.\n5. Explain rain.\n2. Second task here.\nsome chatter\n6) Count to ten."
    assert parse_reply(reply, 3) == ["Name a colour you like.", "Explain rain.", "Count to ten."]
