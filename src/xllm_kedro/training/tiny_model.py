"""Tiny LLaMA-architecture models for CPU runs: a byte-level BPE tokenizer trained locally and a
LlamaForCausalLM built from a config. Nothing is downloaded."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

import torch
from tokenizers import ByteLevelBPETokenizer
from transformers import AutoModelForCausalLM, AutoTokenizer, LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast
from transformers.utils import logging as hf_logging

from xllm_kedro.progress import on_terminal

SPECIAL_TOKENS = {"bos_token": "<s>", "eos_token": "</s>", "pad_token": "<pad>", "unk_token": "<unk>"}
MAX_PIECE_CHARS = 100


def capped_pieces(texts: Iterable[str], max_chars: int = MAX_PIECE_CHARS) -> Iterator[str]:
    """The texts with every run of non-space characters longer than ``max_chars`` cut by a space.

    BPE training costs more than linearly in the length of a pre-tokenized piece, so one long line
    without whitespace (a megabyte of it ran for minutes) would dominate; words are never this long.
    """
    long_run = re.compile(rf"\S{{{max_chars}}}(?=\S)")
    for text in texts:
        yield long_run.sub(lambda m: m.group(0) + " ", text)


def train_tokenizer(texts: Iterable[str], vocab_size: int, min_frequency: int = 2,
                    add_prefix_space: bool = False) -> PreTrainedTokenizerFast:
    """Train a byte-level BPE tokenizer (every string is encodable: unseen characters fall back to bytes).

    ``add_prefix_space``: tokenize every text as if a space preceded it, so a word has one token form
    wherever it stands (a response's first word is then the same token as in the context it is copied
    from); it matters for small models learning to copy.
    """
    bpe = ByteLevelBPETokenizer(add_prefix_space=add_prefix_space)
    bpe.train_from_iterator(
        capped_pieces(texts), vocab_size=vocab_size, min_frequency=min_frequency,
        special_tokens=list(SPECIAL_TOKENS.values()),
        show_progress=on_terminal(),  # piped, its bar is three empty lines in the log
    )
    tok = PreTrainedTokenizerFast(tokenizer_object=bpe, **SPECIAL_TOKENS)
    tok.padding_side = "right"
    return tok


def build_tiny_llama(tokenizer: PreTrainedTokenizerFast, *, seed: int, **config) -> LlamaForCausalLM:
    """A randomly initialised LlamaForCausalLM whose vocabulary matches ``tokenizer``."""
    torch.manual_seed(seed)
    cfg = LlamaConfig(
        vocab_size=len(tokenizer),
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        **config,
    )
    return LlamaForCausalLM(cfg)


def bars_only_on_a_terminal() -> None:
    """transformers draws its loading and saving bars whatever the output; piped into a log (a job's
    output, a test) they are fragments glued by '\r', so they stay off there."""
    if not sys.stderr.isatty():
        hf_logging.disable_progress_bar()


def save_model(model, tokenizer, directory: str | Path) -> None:
    """Save weights (safetensors) and tokenizer side by side, as any Hugging Face model directory."""
    bars_only_on_a_terminal()
    model.save_pretrained(directory, safe_serialization=True)
    tokenizer.save_pretrained(directory)


def load_model(directory: str | Path, *, dtype: torch.dtype = torch.float32, trust_remote_code: bool = False):
    """Load a causal LM and its tokenizer from a local directory (never from a hub); a failure names the
    directory (the loaders' own messages often name only a file inside it, or nothing)."""
    bars_only_on_a_terminal()
    try:
        tokenizer = AutoTokenizer.from_pretrained(directory, local_files_only=True, trust_remote_code=trust_remote_code)
        model = AutoModelForCausalLM.from_pretrained(
            directory, dtype=dtype, local_files_only=True, trust_remote_code=trust_remote_code
        )
    except Exception as err:  # safetensors, tokenizers and transformers raise types of their own
        raise ValueError(f"cannot load the model in {directory}: {type(err).__name__}: {err}") from err
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    model.eval()
    return model, tokenizer
