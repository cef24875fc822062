"""Sentence representations from every layer of a causal LM, and the language similarity gamma."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from xllm_kedro.progress import progress


@torch.inference_mode()
def pooled_hidden_states(model, tokenizer, sentences: Sequence[str], *, batch_size: int = 16,
                         desc: str = "encode") -> torch.Tensor:
    """Masked mean of each layer's hidden states: shape (layers + 1, sentences, hidden).

    BOS and padding are excluded and the sum is divided by the real token count, so a sentence gets
    the same vector alone as in a padded batch.
    """
    device = next(model.parameters()).device
    chunks = []
    for start in progress(range(0, len(sentences), batch_size), desc=desc, unit="batch"):
        batch = [[tokenizer.bos_token_id] + tokenizer(s, add_special_tokens=False)["input_ids"]
                 for s in sentences[start:start + batch_size]]
        width = max(len(b) for b in batch)
        ids = torch.full((len(batch), width), tokenizer.pad_token_id, dtype=torch.long)
        attn = torch.zeros((len(batch), width), dtype=torch.long)
        for row, b in enumerate(batch):
            ids[row, :len(b)] = torch.tensor(b)
            attn[row, :len(b)] = 1
        out = model(input_ids=ids.to(device), attention_mask=attn.to(device), output_hidden_states=True)
        keep = attn.clone()
        keep[:, 0] = 0  # BOS
        keep = keep.to(device).unsqueeze(-1).float()
        states = torch.stack(out.hidden_states)  # (layers + 1, batch, width, hidden)
        summed = (states.float() * keep).sum(dim=2)
        chunks.append(summed / keep.sum(dim=1).clamp(min=1.0))
    return torch.cat(chunks, dim=1).cpu()


def derangement(n: int, seed: int) -> torch.Tensor:
    """A seeded permutation that moves every index, pairing each sentence with a non-translation."""
    gen = torch.Generator().manual_seed(seed)
    perm = torch.randperm(n, generator=gen)
    while n > 1 and torch.any(perm == torch.arange(n)):
        perm = torch.randperm(n, generator=gen)
    return perm


def mean_parallel_cosine(a: torch.Tensor, b: torch.Tensor) -> float:
    """Mean cosine similarity of row i of ``a`` with row i of ``b``."""
    return torch.nn.functional.cosine_similarity(a, b, dim=-1).mean().item()


def language_similarity(en: torch.Tensor, x: torch.Tensor, *, seed: int = 0, eps: float = 1e-3) -> float:
    """gamma in (0, 1): how much closer parallel sentences are than shuffled pairs.

    (cos(parallel) - cos(shuffled)) / (1 - cos(shuffled)), clipped into [eps, 1 - eps]; 1 means the
    model maps translations to the same point, 0 that it cannot tell a translation from any sentence.
    """
    if en.shape != x.shape or en.shape[0] < 2:
        raise ValueError(f"need two equal sets of at least 2 sentence vectors, got {tuple(en.shape)} and {tuple(x.shape)}")
    perm = derangement(en.shape[0], seed)
    parallel = mean_parallel_cosine(en, x)
    shuffled = mean_parallel_cosine(en, x[perm])
    gamma = (parallel - shuffled) / max(1.0 - shuffled, 1e-9)
    return float(min(max(gamma, eps), 1.0 - eps))


def _unit_rows(a: torch.Tensor) -> torch.Tensor:
    return torch.nn.functional.normalize(a.double(), dim=-1)


def retrieval_accuracy(a: torch.Tensor, b: torch.Tensor) -> tuple[float, float]:
    """Top-1 accuracy of finding row i of ``b`` from row i of ``a`` by cosine, and the reverse."""
    sim = _unit_rows(a) @ _unit_rows(b).T
    target = torch.arange(a.shape[0])
    return (sim.argmax(dim=1) == target).double().mean().item(), (sim.argmax(dim=0) == target).double().mean().item()


def linear_cka(a: torch.Tensor, b: torch.Tensor) -> float:
    """Linear centred kernel alignment (Kornblith et al., 2019) between two sets of paired vectors."""
    x = a.double() - a.double().mean(dim=0)
    y = b.double() - b.double().mean(dim=0)
    cross = torch.linalg.matrix_norm(y.T @ x) ** 2
    return (cross / (torch.linalg.matrix_norm(x.T @ x) * torch.linalg.matrix_norm(y.T @ y))).item()


def alignment_by_layer(en: torch.Tensor, x: torch.Tensor, *, seed: int = 0, cka: bool = True) -> list[dict]:
    """Per layer: mean cosine of parallel and of shuffled pairs, retrieval both ways, and linear CKA.

    ``en`` and ``x`` are (layers, sentences, hidden) from pooled_hidden_states on parallel sentences.
    """
    perm = derangement(en.shape[1], seed)
    rows = []
    for layer in range(en.shape[0]):
        a, b = en[layer], x[layer]
        en_to_x, x_to_en = retrieval_accuracy(a, b)
        row = {"layer": layer, "cos_parallel": mean_parallel_cosine(a, b), "cos_shuffled": mean_parallel_cosine(a, b[perm]),
               "retrieval_en_x": en_to_x, "retrieval_x_en": x_to_en}
        if cka:
            row["cka"] = linear_cka(a, b)
        rows.append(row)
    return rows


def pca_2d(states: torch.Tensor) -> torch.Tensor:
    """Project row vectors onto their first two principal components."""
    centred = states.double() - states.double().mean(dim=0)
    _, _, v = torch.linalg.svd(centred, full_matrices=False)
    return (centred @ v[:2].T).float()


def retrieval_similarity(en: torch.Tensor, x: torch.Tensor, *, eps: float = 1e-3) -> float:
    """gamma as Pan et al. (2021) measure similarity on multi-way data: top-1 accuracy of finding a
    sentence's translation among all sentences of the other language by the cosine of averaged states,
    here averaged over both directions and clipped into [eps, 1 - eps]."""
    if en.shape != x.shape or en.shape[0] < 2:
        raise ValueError(f"need two equal sets of at least 2 sentence vectors, got {tuple(en.shape)} and {tuple(x.shape)}")
    forward, backward = retrieval_accuracy(en, x)
    return float(min(max(0.5 * (forward + backward), eps), 1.0 - eps))


GAMMA_METHODS = ("cosine", "retrieval")


def language_gammas(model, tokenizer, english: Sequence[str], others: dict[str, Sequence[str]], *, layer: int,
                    seed: int = 0, method: str = "cosine") -> dict[str, float]:
    """gamma of each language: how close the model's states of its sentences are to their English ones.

    ``method``: ``cosine`` (language_similarity, the normalised parallel-over-shuffled cosine) or
    ``retrieval`` (retrieval_similarity, Pan et al.'s similarity search).
    """
    if method not in GAMMA_METHODS:
        raise ValueError(f"parameters scaling.gamma_method must be one of {list(GAMMA_METHODS)}, got {method!r}")
    en = pooled_hidden_states(model, tokenizer, english, desc="encode/en")[layer]
    gammas = {}
    for lang, lines in others.items():
        x = pooled_hidden_states(model, tokenizer, lines, desc=f"encode/{lang}")[layer]
        gammas[lang] = language_similarity(en, x, seed=seed) if method == "cosine" else retrieval_similarity(en, x)
    return gammas
