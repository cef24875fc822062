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


def test_a_seq2seq_model_translates_in_batches_of_similar_length_and_answers_in_input_order(tmp_path):
    """Sorting by length only changes which texts share a batch: each answer is the one the text gets
    alone, at its own position."""
    import torch
    from transformers import M2M100Config, M2M100ForConditionalGeneration

    from xllm_kedro.corpora.machine_translation import translator

    tokenizer = train_tokenizer(TEXTS, vocab_size=300)
    tokenizer.add_special_tokens({"additional_special_tokens": ["eng_Latn", "zho_Hans"]})
    torch.manual_seed(0)
    config = M2M100Config(vocab_size=len(tokenizer), d_model=16, encoder_layers=1, decoder_layers=1,
                          encoder_attention_heads=2, decoder_attention_heads=2, encoder_ffn_dim=32,
                          decoder_ffn_dim=32, max_position_embeddings=64, pad_token_id=tokenizer.pad_token_id,
                          bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
                          decoder_start_token_id=tokenizer.eos_token_id, init_std=1.0)  # answers that differ
    M2M100ForConditionalGeneration(config).save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    texts = ["a small text to train on and another small text", "small", "another small text", "a text", "on"]
    alone = translator(tmp_path, "zh", batch_size=1, max_new_tokens=5)
    batched = translator(tmp_path, "zh", batch_size=2, max_new_tokens=5)
    expected = [alone([t])[0] for t in texts]
    assert batched(texts) == expected and len(set(expected)) > 1  # distinct answers, so order is tested
