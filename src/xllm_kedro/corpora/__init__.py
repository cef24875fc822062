"""Instruction and parallel corpora: streaming readers, cleaning rules with counters, translation
instructions, mixes. Readers and cleaned data are lazy streams (``streams.py``): nothing here holds a
corpus in a list except a mix, which is a training set."""

from .cleaning import RULES, CleaningReport, CleaningRules, clean_pairs
from .dedup import DigestSet
from .instructions import (INSTRUCTION_KEYS, InstructionFile, clean_instruction_stream, clean_instructions,
                           read_instructions, validate_instruction)
from .mixes import build_mix, parse_source, with_limits
from .parallel import FORMATS, ParallelCorpus, ReadingOptions, ReadReport, WikiMatrixCorpus, configure, read_pairs
from .scripts import script_share
from .streams import CountedStream, Stream, StreamReport
from .translation import DIRECTIONS, clean_corpora, instructions_from_records, pair_of, translation_instructions

__all__ = [
    "DIRECTIONS", "FORMATS", "INSTRUCTION_KEYS", "RULES", "CleaningReport", "CleaningRules", "CountedStream",
    "DigestSet", "InstructionFile", "ParallelCorpus", "ReadReport", "ReadingOptions", "Stream", "StreamReport",
    "WikiMatrixCorpus", "build_mix", "clean_corpora", "clean_instruction_stream", "clean_instructions",
    "clean_pairs", "configure", "instructions_from_records", "pair_of", "parse_source", "read_instructions",
    "read_pairs", "script_share", "translation_instructions", "validate_instruction", "with_limits",
]
