"""Generation throughput: this project's scheme (longest first, large batches, KV cache) against the
paper code's (batch 8 in input order, same max_new_tokens), on FLORES devtest En->Zh prompts and a
tiny LLaMA. Greedy outputs of the two must be identical."""

from __future__ import annotations

from pathlib import Path

import torch

from benchmarks.rounds import cpu, interleaved
from benchmarks.sft import MODEL, _records
from xllm_kedro.evaluation.sets import text_lines
from xllm_kedro.evaluation.decoding import left_padded
from xllm_kedro.evaluation.generation import generate
from xllm_kedro.training.tiny_model import build_tiny_llama, train_tokenizer
from xllm_kedro.prompts import alpaca_prompt

ROOT = Path(__file__).resolve().parents[1]
SHARED_FLORES = ROOT.parent / "shared" / "data" / "flores" / "flores101.devtest.en"
SAMPLE = ROOT / "data" / "01_raw" / "multiway" / "en.txt"


def _prompts(n: int) -> tuple[list[str], str]:
    path = SHARED_FLORES if SHARED_FLORES.exists() else SAMPLE
    lines = text_lines(path.read_text(encoding="utf-8"))[:n]
    instruction = "Translate the following sentences from English to Chinese."
    return [alpaca_prompt(instruction, s) for s in lines], f"{len(lines)} sentences of {path.name}"


def _tiny_model(seed: int):
    """The SFT benchmarks' tiny LLaMA and a tokenizer trained here on Alpaca. Weights drawn with std 0.1
    (not 0.02): at 0.02 an untrained model repeats one token whatever the prompt, which would make the
    identity check vacuous; at 0.1 its outputs depend on the prompt and its top-two logit margins stay far
    above fp32 rounding differences between batch shapes."""
    records = _records(512)[0]
    tokenizer = train_tokenizer((f"{r['instruction']}\n{r['input']}\n{r['output']}" for r in records), 1024)
    return build_tiny_llama(tokenizer, seed=seed, **MODEL, initializer_range=0.1).eval(), tokenizer


@torch.inference_mode()
def paper_generate(model, tokenizer, prompts: list[str], max_new_tokens: int, batch_size: int = 8) -> list[str]:
    """The baseline, as the paper's code generates: batches of 8 in input order, left padded, each batch
    decoded by ``model.generate`` until its longest row ends."""
    out = []
    for start in range(0, len(prompts), batch_size):
        rows = [[tokenizer.bos_token_id] + tokenizer(p, add_special_tokens=False)["input_ids"]
                for p in prompts[start:start + batch_size]]
        ids, mask = left_padded(rows, tokenizer.pad_token_id)
        generated = model.generate(input_ids=ids, attention_mask=mask, max_new_tokens=max_new_tokens, do_sample=False,
                                   num_beams=1, use_cache=True, pad_token_id=tokenizer.pad_token_id,
                                   eos_token_id=tokenizer.eos_token_id)
        out += [tokenizer.decode(row[ids.shape[1]:], skip_special_tokens=True).strip() for row in generated]
    return out


def generation_vs_batch8_unsorted(n: int = 128, max_new_tokens: int = 48, batch_size: int = 64, rounds: int = 3,
                                  seed: int = 0, goal: float = 3.0) -> dict:
    prompts, source = _prompts(n)
    model, tokenizer = _tiny_model(seed)
    generate(model, tokenizer, prompts[:8], max_new_tokens=4)  # warm-ups of both sides, outside the timings
    paper_generate(model, tokenizer, prompts[:8], max_new_tokens=4)
    fields, outputs = interleaved({
        "ours": cpu(lambda: generate(model, tokenizer, prompts, max_new_tokens=max_new_tokens, batch_size=batch_size,
                                      desc=f"batch {batch_size}, longest first")),
        "baseline": cpu(lambda: paper_generate(model, tokenizer, prompts, max_new_tokens)),
    }, lambda s: s["baseline"] / s["ours"], rounds=rounds, goal=goal)
    ours, theirs = outputs["ours"][0], outputs["baseline"][0]
    differing = [i for i, (a, b) in enumerate(zip(ours, theirs)) if a != b]
    assert not differing, f"greedy outputs differ for prompts {differing[:10]}"
    assert all(o == ours for o in outputs["ours"] + outputs["baseline"]), "outputs differ between rounds"
    assert len(set(ours)) > n // 2, "the model's outputs hardly depend on the prompt: the identity check says little"
    return {**fields, "unit": "x sentences/s of batch 8 unsorted (median of interleaved rounds)",
            "ours_sentences_per_s": [round(n / t, 2) for t in fields["cost_ours"]],
            "baseline_sentences_per_s": [round(n / t, 2) for t in fields["cost_baseline"]],
            "identical_outputs": True, "distinct_outputs": len(set(ours)),
            "note": f"{source} as En->Zh prompts, tiny LLaMA (fp32), greedy, {max_new_tokens} new tokens, "
                    f"{rounds} interleaved rounds; ours: longest first, batch {batch_size}, KV cache; baseline: "
                    "batch 8 in input order"}
