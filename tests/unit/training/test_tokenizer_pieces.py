"""Tokenizer training cuts long whitespace-free runs, so one huge line cannot make it superlinear."""

from __future__ import annotations

import random
import re

from xllm_kedro.training.tiny_model import MAX_PIECE_CHARS, capped_pieces, train_tokenizer


def test_no_piece_is_longer_than_the_cap_and_words_are_untouched():
    rng = random.Random(0)
    line = "".join(rng.choice("abcdefgh") for _ in range(10_000))
    [capped] = capped_pieces([line])
    assert max(len(run) for run in re.findall(r"\S+", capped)) == MAX_PIECE_CHARS
    assert capped.replace(" ", "") == line
    assert list(capped_pieces(["a normal sentence, with words."])) == ["a normal sentence, with words."]


def test_a_tokenizer_trains_on_a_long_line_without_whitespace():
    rng = random.Random(1)
    line = "".join(rng.choice("abcdefghij") for _ in range(200_000))
    tokenizer = train_tokenizer([line, "some ordinary text"], vocab_size=400)
    assert tokenizer.decode(tokenizer(line[:500])["input_ids"]) == line[:500]
