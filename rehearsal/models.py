"""The rehearsal's stand-ins for the paper's model folders: a tiny LLaMA where LLaMA-7B goes and a tiny
many-to-many seq2seq model with NLLB's FLORES-200 language tokens where NLLB-200 goes. Both are random
(the rehearsal checks the path, not the scores) and built from config: nothing is downloaded."""

from __future__ import annotations

from pathlib import Path

from xllm_kedro.training.tiny_model import build_tiny_llama, save_model, train_tokenizer

from rehearsal.hub import FLORES


def tiny_llama(texts: list[str], out: Path) -> Path:
    tokenizer = train_tokenizer(texts, vocab_size=1024)
    model = build_tiny_llama(tokenizer, seed=0, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                             num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=1024)
    save_model(model, tokenizer, out)
    return out


def tiny_nllb(texts: list[str], out: Path) -> Path:
    import torch
    from transformers import M2M100Config, M2M100ForConditionalGeneration

    tokenizer = train_tokenizer(texts, vocab_size=512)
    tokenizer.add_special_tokens({"additional_special_tokens": sorted(FLORES.values())})
    torch.manual_seed(0)
    config = M2M100Config(vocab_size=len(tokenizer), d_model=16, encoder_layers=1, decoder_layers=1,
                          encoder_attention_heads=2, decoder_attention_heads=2, encoder_ffn_dim=32, decoder_ffn_dim=32,
                          max_position_embeddings=1024, pad_token_id=tokenizer.pad_token_id,
                          bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
                          decoder_start_token_id=tokenizer.eos_token_id)
    M2M100ForConditionalGeneration(config).save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out
