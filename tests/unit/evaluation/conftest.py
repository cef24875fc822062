"""A random LLaMA whose greedy outputs depend on the prompt, for tests that compare decoding paths."""

import pytest

from xllm_kedro.training.tiny_model import build_tiny_llama, load_model


@pytest.fixture(scope="module")
def random_llama(tiny_model_dir):
    """Weights of std 0.1, grouped-query attention (4 query heads, 2 key-value heads): the trained tiny
    model answers every templated prompt the same way, which would make the comparisons say little."""
    tokenizer = load_model(tiny_model_dir)[1]
    model = build_tiny_llama(tokenizer, seed=0, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                             num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=256,
                             initializer_range=0.1)
    return model.eval(), tokenizer
