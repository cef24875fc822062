import torch

from xllm_kedro.modelling import load_model
from xllm_kedro.training.examples import EncodeReport, collate, encode_example
from xllm_kedro.training.packing import collate_packed, pack_examples

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


def test_packed_rows_compute_what_each_example_computes_alone(tiny_model_dir):
    model, tokenizer = load_model(tiny_model_dir)
    examples = [encode_example(tokenizer, r, 256, EncodeReport()) for r in RECORDS]
    rows = pack_examples([len(e["input_ids"]) for e in examples], 1024, seed=0, epoch=0)
    assert len(rows) == 1 and sorted(rows[0]) == [0, 1, 2, 3]
    packed = _token_losses(model, collate_packed(examples, rows, tokenizer.pad_token_id))[0]
    start = 0
    for i in rows[0]:
        alone = _token_losses(model, collate([examples[i]], tokenizer.pad_token_id))[0]
        n = len(examples[i]["input_ids"])
        assert torch.allclose(packed[start:start + n - 1], alone, atol=1e-5)
        assert alone.sum() > 0
        start += n


def test_packing_respects_the_row_length_and_keeps_every_example():
    lengths = [90, 60, 50, 40, 30, 20, 10, 100]
    rows = pack_examples(lengths, 100, seed=1, epoch=0)
    assert sorted(i for r in rows for i in r) == list(range(8))
    assert all(sum(lengths[i] for i in r) <= 100 for r in rows)
    assert len(rows) == 4  # 400 tokens in rows of 100: first fit decreasing reaches the bound


def test_padding_in_a_packed_batch_changes_nothing(tiny_model_dir):
    model, tokenizer = load_model(tiny_model_dir)
    examples = [encode_example(tokenizer, r, 256, EncodeReport()) for r in RECORDS]
    two_rows = collate_packed(examples, [[0, 1], [3]], tokenizer.pad_token_id)
    one_row = collate_packed(examples, [[3]], tokenizer.pad_token_id)
    n = len(examples[3]["input_ids"])
    assert torch.allclose(_token_losses(model, two_rows)[1, :n - 1], _token_losses(model, one_row)[0], atol=1e-5)


def test_response_loss_equals_the_models_own_loss(tiny_model_dir):
    from xllm_kedro.training.loss import ResponseLoss

    model, tokenizer = load_model(tiny_model_dir)
    examples = [encode_example(tokenizer, r, 1024, EncodeReport()) for r in RECORDS]
    for batch in (collate(examples, tokenizer.pad_token_id),
                  collate_packed(examples, [[0, 1], [2, 3]], tokenizer.pad_token_id)):
        expected = model(**batch).loss
        assert torch.allclose(ResponseLoss(model)(**batch), expected, atol=1e-6)
