"""Self-instruct generation (Wang et al., 2022; Alpaca's variant): a chat model is shown a few
numbered seed instructions and asked to continue the list; the new lines go through the filters of
``filters.py`` and the kept ones join the pool, so later requests can be shown them too."""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Sequence

from xllm_kedro.mi_eval.filters import InstructionPool

PROMPT = (
    "You are asked to come up with {n} new, diverse task instructions for an AI assistant that reads and "
    "writes text only. Write each instruction in English on a line of its own, numbered, as a single "
    "self-contained request; vary the verbs and the kinds of task (questions, rewriting, classification, "
    "brainstorming, explanation).\n\nList of tasks:\n{examples}\n{next}."
)
_NUMBERED = re.compile(r"^\s*(\d+)\s*[.)]\s*(.*\S)\s*$")


def prompt(shown: Sequence[str], n: int) -> str:
    examples = "\n".join(f"{i}. {text}" for i, text in enumerate(shown, 1))
    return PROMPT.format(n=n, examples=examples, next=len(shown) + 1)


def parse_reply(reply: str, shown: int) -> list[str]:
    """The instructions of a reply: its numbered lines past the ``shown`` examples, and a first line
    without a number (the continuation of the cue ``<shown + 1>.`` the prompt ends with)."""
    out = []
    for i, line in enumerate(reply.splitlines()):
        match = _NUMBERED.match(line)
        if match and int(match.group(1)) > shown:
            out.append(match.group(2))
        elif i == 0 and not match and line.strip():
            out.append(line.strip())
    return out


def self_instruct(ask: Callable[[str], str], seeds: Sequence[str], pool: InstructionPool, *, target: int,
                  shown: int = 3, per_request: int = 8, max_requests: int = 20, seed: int = 0) -> tuple[list[str], int]:
    """Up to ``target`` new instructions and the number of requests made.

    Each request shows ``shown`` instructions: seeds, and once some are kept, one machine-written one
    (Wang et al. mix both). Stops at ``target`` or after ``max_requests``.
    """
    if len(seeds) < shown:
        raise ValueError(f"self-instruct needs at least {shown} seed instructions, got {len(seeds)}")
    rng = random.Random(seed)
    pool.add_reference(seeds)
    kept: list[str] = []
    requests = 0
    while len(kept) < target and requests < max_requests:
        machine = rng.sample(kept, 1) if kept and shown > 1 else []
        examples = rng.sample(list(seeds), shown - len(machine)) + machine
        reply = ask(prompt(examples, per_request))
        requests += 1
        for text in parse_reply(reply, len(examples)):
            if pool.offer(text):
                kept.append(text)
                if len(kept) == target:
                    break
    return kept, requests
