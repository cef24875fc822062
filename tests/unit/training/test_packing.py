"""Packed rows: segment attention keeps each example's losses what they are alone; best-fit packing."""

import torch

from xllm_kedro.training.tiny_model import load_model
from xllm_kedro.training.examples import EncodeReport, collate, encode_example
from xllm_kedro.training.packing import collate_packed, pack_examples
from xllm_kedro.training.segment_attention import NAME as SEGMENT_ATTENTION

RECORDS = [
    {"instruction": "Name a colour.", "input": "", "output": "Blue."},
    {"instruction": "Translate the following sentences from English to Chinese.", "input": "Good morning.",
     "output": "早上好。"},
    {"instruction": "Add the numbers.", "input": "2 and 3", "output": "2 plus 3 is 5."},
    {"instruction": "Say hi.", "input": "", "output": "Hi!"},
]


def _token_losses(model, batch):
    """Per-position cross-entropy of the next token (0 where the label is ignored)."""
    logits = model(**{k: v for k, v in batch.items() if k != "labels"}).logits[:, :-1].float()
    labels = batch["labels"][:, 1:]
    loss = torch.nn.functional.cross_entropy(logits.transpose(1, 2), labels.clamp(min=0), reduction="none")
    return loss * (labels != -100)


def _packed_model(model_dir):
    """The model as the trainer runs it on packed batches, and a plain copy for examples alone."""
    packed, tokenizer = load_model(model_dir)
    packed.set_attn_implementation(SEGMENT_ATTENTION)
    return packed, load_model(model_dir)[0], tokenizer


def test_packed_rows_compute_what_each_example_computes_alone(tiny_model_dir):
    model, plain, tokenizer = _packed_model(tiny_model_dir)
    examples = [encode_example(tokenizer, r, 256, EncodeReport()) for r in RECORDS]
    rows = pack_examples([len(e["input_ids"]) for e in examples], 1024, seed=0, epoch=0)
    assert len(rows) == 1 and sorted(rows[0]) == [0, 1, 2, 3]
    batch = collate_packed(examples, rows)
    assert batch["input_ids"].shape == (1, sum(len(e["input_ids"]) for e in examples))  # no padding at all
    packed = _token_losses(model, batch)[0]
    start = 0
    for i in rows[0]:
        alone = _token_losses(plain, collate([examples[i]], tokenizer.pad_token_id))[0]
        n = len(examples[i]["input_ids"])
        assert torch.allclose(packed[start:start + n - 1], alone, atol=1e-5)
        assert alone.sum() > 0
        start += n


def test_packing_respects_the_row_length_and_keeps_every_example():
    lengths = [90, 60, 50, 40, 30, 20, 10, 100]
    rows = pack_examples(lengths, 100, seed=1, epoch=0)
    assert sorted(i for r in rows for i in r) == list(range(8))
    assert all(sum(lengths[i] for i in r) <= 100 for r in rows)
    assert len(rows) == 4  # 400 tokens in rows of 100: best fit decreasing reaches the bound


def test_neighbours_in_a_packed_batch_change_nothing(tiny_model_dir):
    model, _, tokenizer = _packed_model(tiny_model_dir)
    examples = [encode_example(tokenizer, r, 256, EncodeReport()) for r in RECORDS]
    with_neighbours = _token_losses(model, collate_packed(examples, [[0, 1], [3]]))[0]
    alone = _token_losses(model, collate_packed(examples, [[3]]))[0]
    offset = len(examples[0]["input_ids"]) + len(examples[1]["input_ids"])
    assert torch.allclose(with_neighbours[offset:], alone, atol=1e-5)
    # the boundary position before example 3 predicts its BOS: never a training target
    assert with_neighbours[offset - 1] == 0


def test_response_loss_equals_the_models_own_loss(tiny_model_dir):
    from xllm_kedro.training.loss import ResponseLoss

    packed, plain, tokenizer = _packed_model(tiny_model_dir)
    examples = [encode_example(tokenizer, r, 1024, EncodeReport()) for r in RECORDS]
    for model, batch in ((plain, collate(examples, tokenizer.pad_token_id)),
                         (packed, collate_packed(examples, [[0, 1], [2, 3]]))):
        expected = model(**batch).loss
        assert torch.allclose(ResponseLoss(model)(**batch), expected, atol=1e-6)
