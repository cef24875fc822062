"""Alpaca-X by machine translation: a many-to-many model (NLLB's FLORES-200 language tokens) is told the
target language; a model without language tokens is left alone; a missing target token is an error."""

import pytest

from xllm_kedro.corpora.machine_translation import forced_target
from xllm_kedro.training.tiny_model import train_tokenizer

TEXTS = ["a small text to train on", "another small text"] * 5


def test_an_nllb_style_tokenizer_gets_english_source_and_the_target_forced():
    tokenizer = train_tokenizer(TEXTS, vocab_size=300)
    tokenizer.add_special_tokens({"additional_special_tokens": ["eng_Latn", "ell_Grek", "zho_Hans"]})
    forced = forced_target(tokenizer, "el")
    assert forced == {"forced_bos_token_id": tokenizer.convert_tokens_to_ids("ell_Grek")}
    assert tokenizer.src_lang == "eng_Latn"
    assert forced_target(tokenizer, "zh")["forced_bos_token_id"] != forced["forced_bos_token_id"]
    with pytest.raises(ValueError, match=r"none for 'hi' \(hin_Deva\)"):
        forced_target(tokenizer, "hi")


def test_a_tokenizer_without_language_tokens_needs_nothing():
    assert forced_target(train_tokenizer(TEXTS, vocab_size=300), "el") == {}
