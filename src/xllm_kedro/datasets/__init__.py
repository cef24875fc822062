"""Catalog datasets for the formats this project reads and writes.

Each class is imported when first named (the catalog names them as ``xllm_kedro.datasets.<Class>``):
HubDataset's base, kedro-datasets' huggingface package, imports transformers and torch, about 300 MB
that a process preparing text need not carry.
"""

from __future__ import annotations

import importlib

_MODULES = {
    "HFModelDataset": "hf_model_dataset",
    "HubDataset": "hub_dataset",
    "InstructionDataset": "instruction_dataset",
    "JsonLinesDataset": "jsonl_dataset",
    "MonolingualTextDataset": "monolingual_text_dataset",
    "ParallelCorpusDataset": "parallel_corpus_dataset",
    "ReportDataset": "report_dataset",
}

__all__ = sorted(_MODULES)


def __getattr__(name: str):
    if name not in _MODULES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_MODULES[name]}"), name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
