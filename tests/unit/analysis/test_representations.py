"""Representation alignment: pooling, similarity, retrieval and CKA, per layer."""

import torch

from xllm_kedro.training.tiny_model import load_model
from xllm_kedro.analysis.representations import language_similarity, pooled_hidden_states, retrieval_similarity


def test_pooling_ignores_padding(tiny_model_dir):
    model, tokenizer = load_model(tiny_model_dir)
    sentence = "The cat sat."
    alone = pooled_hidden_states(model, tokenizer, [sentence], batch_size=1)
    padded = pooled_hidden_states(model, tokenizer, [sentence, "a far longer sentence that forces padding here"],
                                  batch_size=2)
    assert torch.allclose(alone[:, 0], padded[:, 0], atol=1e-5)


def test_similarity_is_high_for_identical_and_low_for_unrelated_vectors():
    torch.manual_seed(0)
    en = torch.randn(50, 16)
    assert language_similarity(en, en.clone()) > 0.99
    assert language_similarity(en, torch.randn(50, 16)) < 0.2


def test_retrieval_is_perfect_on_identical_encodings_and_near_chance_on_random():
    from xllm_kedro.analysis.representations import retrieval_accuracy

    torch.manual_seed(0)
    a = torch.randn(200, 32)
    assert retrieval_accuracy(a, a.clone()) == (1.0, 1.0)
    forward, backward = retrieval_accuracy(a, torch.randn(200, 32))
    assert forward < 0.05 and backward < 0.05  # chance is 1/200


def test_linear_cka_is_one_for_rotations_and_small_for_independent_data():
    from xllm_kedro.analysis.representations import linear_cka

    torch.manual_seed(0)
    a = torch.randn(300, 16)
    q, _ = torch.linalg.qr(torch.randn(16, 16))
    assert abs(linear_cka(a, a @ q * 3.0) - 1.0) < 1e-9
    assert linear_cka(a, torch.randn(300, 16)) < 0.15


def test_alignment_by_layer_reports_every_layer(tiny_model_dir):
    from xllm_kedro.analysis.representations import alignment_by_layer

    model, tokenizer = load_model(tiny_model_dir)
    en = pooled_hidden_states(model, tokenizer, ["one cat", "two dogs", "three birds"])
    rows = alignment_by_layer(en, en.clone())
    assert [r["layer"] for r in rows] == list(range(en.shape[0]))
    assert all(abs(r["cos_parallel"] - 1) < 1e-6 and r["retrieval_en_x"] == 1.0 for r in rows)


def test_pan_similarity_is_the_share_of_translations_found_by_search():
    gen = torch.Generator().manual_seed(0)
    en = torch.randn(40, 16, generator=gen)
    assert retrieval_similarity(en, en.clone()) == 1 - 1e-3
    # half the sentences keep their vector, the other half are replaced by unrelated ones
    x = en.clone()
    x[20:] = torch.randn(20, 16, generator=gen) * 10
    assert 0.45 <= retrieval_similarity(en, x) <= 0.55
    assert retrieval_similarity(en, torch.randn(40, 16, generator=gen)) < 0.2
