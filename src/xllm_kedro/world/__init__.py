"""A controlled multilingual world: a generated "English", three target languages derived from it at
different distances, and every data set the x-LLaMA experiments read (Alpaca, SQuAD-format QA, parallel,
multi-way and monolingual text), all from one seed.

A plain library (no Kedro): ``write_world(out_dir, seed=..., ...)`` or
``python -m xllm_kedro.world --out DIR``.
"""

from xllm_kedro.world.languages import WORLD_LANGUAGES
from xllm_kedro.world.params import WorldParams, world_params
from xllm_kedro.world.writer import qa_prompts, write_world

__all__ = ["WORLD_LANGUAGES", "WorldParams", "qa_prompts", "world_params", "write_world"]
