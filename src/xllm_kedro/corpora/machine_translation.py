"""Alpaca-X by machine translation: the fields of English Alpaca records translated into a target
language with a local model (causal: prompted with the translation instruction through
``generation.generate``; seq2seq: the text as the model's input). Off by default; the model is loaded
only when the stream is iterated, and records flow through in chunks."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

from xllm_kedro.spec.languages import get_language
from xllm_kedro.corpora.instructions import INSTRUCTION_KEYS

CHUNK = 1024  # records whose fields are translated together, in batches of similar length


@dataclass(frozen=True)
class AlpacaTranslation:
    """``data_preparation.alpaca_translation`` in parameters."""

    enabled: bool = False
    model_dir: str | None = None
    languages: list[str] = field(default_factory=list)
    max_records: int = 0  # 0: every record
    batch_size: int = 8
    max_new_tokens: int = 256

    @classmethod
    def from_params(cls, params: Mapping | None, languages: list[str] | None = None) -> "AlpacaTranslation":
        """``languages``: the study's target languages, which every listed one must be among (None: the
        study has checked that already)."""
        where = "parameters data_preparation.alpaca_translation"
        params = dict(params or {})
        unknown = set(params) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"{where}: unknown key(s) {sorted(unknown)}; known: {sorted(cls.__dataclass_fields__)}")
        spec = cls(**params)
        if spec.enabled:
            if not spec.model_dir:
                raise ValueError(f"{where}.model_dir: a local model directory is needed when enabled")
            for lang in spec.languages:
                get_language(lang, where=f"{where}.languages")
                if languages is not None and lang not in languages:
                    raise ValueError(f"{where}.languages: {lang!r} is not in parameters 'languages'")
        return spec

    def translates(self, lang: str) -> bool:
        return self.enabled and lang in self.languages


def forced_target(tokenizer, target_lang: str) -> dict:
    """For a many-to-many model with FLORES-200 language tokens (NLLB), the source set to English and the
    target's token forced as the first generated one: unforced, NLLB may answer in any language. Other
    seq2seq models (one direction each, e.g. OPUS-MT) need nothing."""
    code = get_language(target_lang, where="alpaca translation target").flores
    vocab = tokenizer.get_vocab()
    if not code or code not in vocab:
        if "eng_Latn" in vocab:
            raise ValueError(f"the translation model has language tokens but none for {target_lang!r} ({code or 'no FLORES code'})")
        return {}
    tokenizer.src_lang = "eng_Latn"
    return {"forced_bos_token_id": vocab[code]}


def translator(model_dir: Path, target_lang: str, batch_size: int, max_new_tokens: int,
               forced_token: str | None = None) -> Callable[[list[str]], list[str]]:
    """English texts -> ``target_lang`` with a local model: a causal model is prompted with the translation
    instruction naming the language; a seq2seq model (NLLB, M2M) starts its output with ``forced_token``,
    the token of the target language, when given, else the FLORES-200 token the tokenizer knows (forced_target).
    On a GPU node the model runs on the GPU in bf16 (Alpaca-X is 52k records a language); else on the CPU."""
    import torch
    from transformers import AutoConfig, AutoModelForSeq2SeqLM, AutoTokenizer

    device, dtype = ("cuda", torch.bfloat16) if torch.cuda.is_available() else ("cpu", torch.float32)
    if not AutoConfig.from_pretrained(model_dir, local_files_only=True).is_encoder_decoder:
        from xllm_kedro.evaluation.generation import generate
        from xllm_kedro.training.tiny_model import load_model
        from xllm_kedro.prompts import alpaca_prompt, translation_instruction

        model, tokenizer = load_model(model_dir, dtype=dtype)
        model.to(device)
        instruction = translation_instruction("en", target_lang)
        return lambda texts: generate(model, tokenizer, [alpaca_prompt(instruction, t) for t in texts],
                                      max_new_tokens=max_new_tokens, batch_size=batch_size,
                                      stop=("\n\n###", "### Instruction"), desc=f"translate alpaca to {target_lang}")
    tokenizer = AutoTokenizer.from_pretrained(model_dir, local_files_only=True)
    model = AutoModelForSeq2SeqLM.from_pretrained(model_dir, local_files_only=True, dtype=dtype).to(device).eval()
    if forced_token:
        token_id = tokenizer.convert_tokens_to_ids(forced_token)
        if token_id is None or token_id == tokenizer.unk_token_id:
            raise ValueError(f"{model_dir}: the tokenizer has no token {forced_token!r} to force {target_lang!r}")
        forced = {"forced_bos_token_id": token_id}
    else:
        forced = forced_target(tokenizer, target_lang)

    @torch.inference_mode()
    def seq2seq(texts: list[str]) -> list[str]:
        """Batches of similar length (a batch generates until its longest output ends), in input order."""
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = [""] * len(texts)
        for i in range(0, len(order), batch_size):
            part = order[i:i + batch_size]
            enc = tokenizer([texts[j] for j in part], return_tensors="pt", padding=True, truncation=True).to(device)
            ids = model.generate(**enc, max_new_tokens=max_new_tokens, do_sample=False, **forced)
            for j, text in zip(part, tokenizer.batch_decode(ids, skip_special_tokens=True)):
                out[j] = text.strip()
        return out

    return seq2seq


def translate_instructions(records: Iterable[dict], spec: AlpacaTranslation, target_lang: str) -> Iterator[dict]:
    """Each record with its non-empty fields translated (empty fields stay empty), in order; one
    record out for each record in (the first ``max_records``)."""
    get_language(target_lang, where="alpaca translation target")
    translate = translator(Path(spec.model_dir), target_lang, spec.batch_size, spec.max_new_tokens)
    records = islice(records, spec.max_records or None)
    while chunk := list(islice(records, CHUNK)):
        translated = iter(translate([r[k] for r in chunk for k in INSTRUCTION_KEYS if r[k]]))
        for r in chunk:
            yield {k: next(translated) if r[k] else "" for k in INSTRUCTION_KEYS}
