"""Catalog datasets for the formats this project reads and writes."""

from xllm_kedro.datasets.hf_model_dataset import HFModelDataset
from xllm_kedro.datasets.hub_dataset import HubDataset
from xllm_kedro.datasets.instruction_dataset import InstructionDataset
from xllm_kedro.datasets.jsonl_dataset import JsonLinesDataset
from xllm_kedro.datasets.monolingual_text_dataset import MonolingualTextDataset
from xllm_kedro.datasets.parallel_corpus_dataset import ParallelCorpusDataset
from xllm_kedro.datasets.report_dataset import ReportDataset

__all__ = ["HFModelDataset", "HubDataset", "InstructionDataset", "JsonLinesDataset", "MonolingualTextDataset", "ParallelCorpusDataset", "ReportDataset"]
