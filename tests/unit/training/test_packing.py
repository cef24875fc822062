"""Packed rows: segment attention keeps each example's losses and gradients what they are alone, with
and without shared preambles; best-fit packing."""

import pytest
import torch

from xllm_kedro.training.tiny_model import build_tiny_llama, load_model
from xllm_kedro.training.examples import EncodeReport, collate, encode_example
from xllm_kedro.training.kernels.packed_attention import SWITCH, usable
from xllm_kedro.training.loss import ResponseLoss
from xllm_kedro.training.packing import Group, PackedLayout, collate_packed, pack_examples
from xllm_kedro.training.preambles import mark_preambles, template_preambles
from xllm_kedro.training.segment_attention import NAME as SEGMENT_ATTENTION

RECORDS = [
    {"instruction": "Name a colour.", "input": "", "output": "Blue."},
    {"instruction": "Translate the following sentences from English to Chinese.", "input": "Good morning.",
     "output": "早上好。"},
    {"instruction": "Add the numbers.", "input": "2 and 3", "output": "2 plus 3 is 5."},
    {"instruction": "Say hi.", "input": "", "output": "Hi!"},
]


@pytest.fixture(params=["native kernel", "flash kernels"])
def attention_kernels(request, monkeypatch):
    """Both implementations of the packed row's attention on the CPU (segment_attention.py picks one)."""
    if request.param == "flash kernels":
        monkeypatch.setenv(SWITCH, "0")
    elif (why := usable(torch.zeros(1, 1, 1, 16))) is not None:
        pytest.skip(f"the native kernel cannot run here: {why}")


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


def _examples(tokenizer, preambles):
    examples = [encode_example(tokenizer, r, 256, EncodeReport()) for r in RECORDS]
    if preambles:
        assert mark_preambles(examples, preambles) == len(RECORDS)
    return examples


@pytest.mark.usefixtures("attention_kernels")
@pytest.mark.parametrize("shared", [None, False, True],
                         ids=["bounds (a GPU without flash-attn)", "examples", "shared preambles"])
def test_packed_rows_compute_what_each_example_computes_alone(tiny_model_dir, shared):
    model, plain, tokenizer = _packed_model(tiny_model_dir)
    preambles = template_preambles(tokenizer) if shared else None if shared is None else []
    examples = _examples(tokenizer, preambles)
    rows = pack_examples([len(e["input_ids"]) for e in examples], 1024, seed=0, epoch=0)
    assert len(rows) == 1 and sorted(rows[0]) == [0, 1, 2, 3]
    batch = collate_packed(examples, rows, preambles)
    if shared is None:
        bounds = batch["cu_seq_lens_q"].tolist()
        layout = PackedLayout((Group(None, tuple(zip(bounds[:-1], bounds[1:]))),))
        preambles = []
    else:
        layout = batch.pop("packed_layout")
    assert layout.examples == len(examples)  # what the trainer logs as batch_examples
    width = sum(len(e["input_ids"]) for e in examples) - sum(len(preambles[e["preamble"]]) for e in examples
                                                               if shared) + sum(map(len, preambles))
    assert batch["input_ids"].shape == (1, width)  # no padding; with preambles, each once (both used here)
    packed = _token_losses(model, batch if shared is None else {**batch, "packed_layout": layout})[0]
    spans = [span for group in layout.groups for span in group.segments]
    order = [i for p in sorted({e.get("preamble") for e in examples}, key=lambda p: (p is None, p or 0))
             for i in rows[0] if examples[i].get("preamble") == p]
    for i, (a, b) in zip(order, spans):
        alone = _token_losses(plain, collate([examples[i]], tokenizer.pad_token_id))[0]
        skip = len(examples[i]["input_ids"]) - (b - a)
        assert skip == (len(preambles[examples[i]["preamble"]]) if shared else 0)
        assert torch.allclose(packed[a:b - 1], alone[skip:], atol=1e-5)
        assert alone[:skip].sum() == 0 and alone.sum() > 0  # the preamble carries no loss


@pytest.mark.usefixtures("attention_kernels")
@pytest.mark.parametrize("kv_heads", [None, 2], ids=["trained tiny model", "grouped-query attention"])
def test_shared_preambles_give_each_example_its_gradient_alone(tiny_model_dir, kv_heads):
    """The backward pass through a shared preamble (prefix_attention.py) gives the parameters exactly the
    gradient of the examples' losses computed one by one, with grouped-query attention too (2 kv heads
    for 4 query heads: each kv head's gradient gathers its query heads')."""
    model, plain, tokenizer = _packed_model(tiny_model_dir)
    if kv_heads:
        model, plain = (build_tiny_llama(tokenizer, seed=0, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                                         num_attention_heads=4, num_key_value_heads=kv_heads) for _ in range(2))
        model.set_attn_implementation(SEGMENT_ATTENTION)
    preambles = template_preambles(tokenizer)
    examples = _examples(tokenizer, preambles)
    batch = collate_packed(examples, [[0, 1], [2, 3]], preambles)
    targets = sum(sum(t != -100 for t in e["labels"][1:]) for e in examples)
    (ResponseLoss(model)(**batch) * targets).backward()
    for e in examples:
        alone = collate([e], tokenizer.pad_token_id)
        (ResponseLoss(plain)(**alone) * (alone["labels"][:, 1:] != -100).sum()).backward()
    for (name, p), q in zip(model.named_parameters(), plain.parameters()):
        torch.testing.assert_close(p.grad, q.grad, rtol=1e-4, atol=1e-5, msg=name)
    assert any(p.grad.abs().sum() > 0 for p in model.parameters())


def test_a_prompt_that_lost_its_start_shares_no_preamble(tiny_model_dir):
    tokenizer = load_model(tiny_model_dir)[1]
    preambles = template_preambles(tokenizer)
    long = {"instruction": "Summarise. " + "word " * 300, "input": "", "output": "Short."}
    examples = [encode_example(tokenizer, r, n, EncodeReport()) for r, n in ((RECORDS[0], 256), (RECORDS[1], 256),
                                                                              (long, 64))]
    assert mark_preambles(examples, preambles) == 2
    assert [e["preamble"] for e in examples] == [1, 0, None]  # no input, with input, truncated at the start
    for e in examples[:2]:
        p = preambles[e["preamble"]]
        assert e["input_ids"][:len(p)] == p and e["labels"][len(p)] == -100  # an example keeps a prompt token


def test_packing_respects_the_row_length_and_keeps_every_example():
    lengths = [90, 60, 50, 40, 30, 20, 10, 100]
    rows = pack_examples(lengths, 100, seed=1, epoch=0)
    assert sorted(i for r in rows for i in r) == list(range(8))
    assert all(sum(lengths[i] for i in r) <= 100 for r in rows)
    assert len(rows) == 4  # 400 tokens in rows of 100: best fit decreasing reaches the bound


def test_neighbours_in_a_packed_batch_change_nothing(tiny_model_dir):
    model, _, tokenizer = _packed_model(tiny_model_dir)
    examples = [encode_example(tokenizer, r, 256, EncodeReport()) for r in RECORDS]
    with_neighbours = _token_losses(model, collate_packed(examples, [[0, 1], [3]], []))[0]
    alone = _token_losses(model, collate_packed(examples, [[3]], []))[0]
    offset = len(examples[0]["input_ids"]) + len(examples[1]["input_ids"])
    assert torch.allclose(with_neighbours[offset:], alone, atol=1e-5)
    # the boundary position before example 3 predicts its BOS: never a training target
    assert with_neighbours[offset - 1] == 0


def test_response_loss_equals_the_models_own_loss(tiny_model_dir):
    packed, plain, tokenizer = _packed_model(tiny_model_dir)
    examples = [encode_example(tokenizer, r, 1024, EncodeReport()) for r in RECORDS]
    for model, batch in ((plain, collate(examples, tokenizer.pad_token_id)),
                         (packed, collate_packed(examples, [[0, 1], [2, 3]], []))):
        expected = model(**batch).loss
        assert torch.allclose(ResponseLoss(model)(**batch), expected, atol=1e-6)


def test_shared_preambles_under_bf16_autocast_match_the_examples_alone(tiny_model_dir):
    """Mixed precision (accelerate's bf16 on a CPU) reaches the packed attention with queries and values
    of different dtypes; each example's loss stays that of the example alone under the same autocast."""
    model, plain, tokenizer = _packed_model(tiny_model_dir)
    preambles = template_preambles(tokenizer)
    examples = _examples(tokenizer, preambles)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        packed = ResponseLoss(model)(**collate_packed(examples, [[0, 1, 2, 3]], preambles))
        alone = [ResponseLoss(plain)(**collate([e], tokenizer.pad_token_id)) for e in examples]
    weights = torch.tensor([sum(t != -100 for t in e["labels"][1:]) for e in examples], dtype=torch.float32)
    expected = (torch.stack(alone).float() * weights).sum() / weights.sum()
    torch.testing.assert_close(packed.float(), expected, rtol=2e-2, atol=2e-2)
