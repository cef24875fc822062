"""Instruction and parallel corpora: streaming readers, cleaning rules with counters, translation
instructions, mixes. Readers and cleaned data are lazy streams (``streams.py``): nothing here holds a
corpus in a list except a mix, which is a training set."""

from xllm_kedro.corpora.cleaning import RULES, CleaningReport, CleaningRules, clean_pairs
from xllm_kedro.corpora.dedup import DigestSet
from xllm_kedro.corpora.instructions import (INSTRUCTION_KEYS, InstructionFile, clean_instruction_stream, clean_instructions,
                           read_instructions, validate_instruction)
from xllm_kedro.corpora.mixes import as_text, build_mix, build_text_mix, parse_source, with_limits
from xllm_kedro.corpora.parallel import FORMATS, ParallelCorpus, ReadingOptions, ReadReport, WikiMatrixCorpus, configure, read_pairs
from xllm_kedro.corpora.scripts import script_share
from xllm_kedro.corpora.streams import CountedStream, Stream, StreamReport
from xllm_kedro.corpora.translation import DIRECTIONS, clean_corpora, instructions_from_records, pair_of, translation_instructions

__all__ = [
    "as_text", "build_text_mix",
    "DIRECTIONS", "FORMATS", "INSTRUCTION_KEYS", "RULES", "CleaningReport", "CleaningRules", "CountedStream",
    "DigestSet", "InstructionFile", "ParallelCorpus", "ReadReport", "ReadingOptions", "Stream", "StreamReport",
    "WikiMatrixCorpus", "build_mix", "clean_corpora", "clean_instruction_stream", "clean_instructions",
    "clean_pairs", "configure", "instructions_from_records", "pair_of", "parse_source", "read_instructions",
    "read_pairs", "script_share", "translation_instructions", "validate_instruction", "with_limits",
]
