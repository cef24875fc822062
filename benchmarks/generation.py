"""Generation throughput: this project's scheme (longest first, large batches, KV cache) against the
paper code's (batch 8 in input order, same max_new_tokens), on FLORES devtest En->Zh prompts and a
tiny LLaMA. Greedy outputs of the two must be identical."""

from __future__ import annotations

import time
from pathlib import Path

from benchmarks.sft import MODEL, _records
from xllm_kedro.evaluation.sets import text_lines
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


def _interleaved_best(rounds: int, runs: dict) -> dict[str, tuple[list[str], float]]:
    """Each run once per round, alternating, keeping its fastest time: load from other processes on a
    shared machine then hits both sides alike."""
    best: dict[str, tuple[list[str], float]] = {}
    for _ in range(rounds):
        for name, run in runs.items():
            start = time.perf_counter()
            outputs = run()
            seconds = time.perf_counter() - start
            best[name] = (outputs, min(seconds, best.get(name, (None, float("inf")))[1]))
    return best


def generation_vs_batch8_unsorted(n: int = 128, max_new_tokens: int = 48, batch_size: int = 64, rounds: int = 3,
                                  seed: int = 0) -> dict:
    prompts, source = _prompts(n)
    model, tokenizer = _tiny_model(seed)
    generate(model, tokenizer, prompts[:8], max_new_tokens=4)  # warm-up, outside both timings
    best = _interleaved_best(rounds, {
        "theirs": lambda: generate(model, tokenizer, prompts, max_new_tokens=max_new_tokens, batch_size=8,
                                   sort=False, desc="batch 8, input order"),
        "ours": lambda: generate(model, tokenizer, prompts, max_new_tokens=max_new_tokens, batch_size=batch_size,
                                 desc=f"batch {batch_size}, longest first"),
    })
    (theirs, theirs_s), (ours, ours_s) = best["theirs"], best["ours"]
    differing = [i for i, (a, b) in enumerate(zip(ours, theirs)) if a != b]
    assert not differing, f"greedy outputs differ for prompts {differing[:10]}"
    assert len(set(ours)) > n // 2, "the model's outputs hardly depend on the prompt: the identity check says little"
    return {"value": round(theirs_s / ours_s, 2), "unit": "x sentences/s of batch 8 unsorted",
            "ours_sentences_per_s": round(n / ours_s, 2), "baseline_sentences_per_s": round(n / theirs_s, 2),
            "ratio": round(theirs_s / ours_s, 3), "identical_outputs": True, "distinct_outputs": len(set(ours)),
            "note": f"{source} as En->Zh prompts, tiny LLaMA (fp32), greedy, {max_new_tokens} new tokens, best of "
                    f"{rounds}; ours: longest first, batch {batch_size}, KV cache; baseline: batch 8 in input order"}
