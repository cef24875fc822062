"""Catalog datasets for the formats this project reads and writes."""

from .hf_model_dataset import HFModelDataset
from .instruction_dataset import InstructionDataset
from .jsonl_dataset import JsonLinesDataset
from .parallel_corpus_dataset import ParallelCorpusDataset
from .report_dataset import ReportDataset

__all__ = ["HFModelDataset", "InstructionDataset", "JsonLinesDataset", "ParallelCorpusDataset", "ReportDataset"]
