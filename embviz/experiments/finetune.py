"""Brief fine-tuning of an encoder, tracking the local intrinsic dimension of its embeddings.

The experiment of Ruppik et al. (2025), "Less is More: Local Intrinsic Dimensions of
Contextual Language Models": while a model is fine-tuned, the mean local intrinsic dimension
(local TwoNN, :func:`embviz.metrics.local_intrinsic_dimension`) of its validation embeddings is
tracked against validation performance. Here the task is text classification with a linear
head on pooled embeddings (:func:`embviz.embed.pool`, as :class:`embviz.embed.Encoder` pools),
on CPU, for a few dozen steps.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._validation import check_choice, check_number, check_positive_int, check_texts
from ..embed.models import DEFAULT_MODEL, resolve_model
from ..embed.pooling import POOLINGS, pool
from ..metrics import local_intrinsic_dimension

__all__ = ["finetune_local_id"]


def _split(frame: pd.DataFrame, name: str) -> tuple[list[str], np.ndarray]:
    if not isinstance(frame, pd.DataFrame) or not {"text", "label"} <= set(frame.columns):
        raise ValueError(f"{name} must be a DataFrame with 'text' and 'label' columns")
    return check_texts(frame["text"].tolist(), f"{name}['text']"), frame["label"].to_numpy()


def _load(info):
    """A fresh float32 CPU copy of a resolved model in training mode, and its tokenizer.

    Loaded as :class:`embviz.embed.Encoder` loads it (causal LMs pad with their EOS token), but
    never shared with the encoder cache, which stays untouched by training.
    """
    import torch
    from transformers import AutoModel, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(info.path)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer, AutoModel.from_pretrained(info.path, dtype=torch.float32).train()


def _embed(encoder, tokenizer, texts: list[str], max_length: int, pooling: str,
           batch_size: int = 64):
    """Pooled last hidden states, shape (n, d), as a torch tensor (keeps the autograd graph)."""
    import torch

    out = []
    for start in range(0, len(texts), batch_size):
        batch = tokenizer(texts[start:start + batch_size], padding=True, truncation=True,
                          max_length=max_length, return_tensors="pt")
        out.append(pool(encoder(**batch).last_hidden_state, batch["attention_mask"], pooling))
    return torch.cat(out)


def _evaluate(encoder, head, tokenizer, texts, codes, max_length, pooling, local_k) -> dict:
    """Validation accuracy of the head and the Euclidean local ID of the validation vectors."""
    import torch

    encoder.eval()
    with torch.inference_mode():
        emb = _embed(encoder, tokenizer, texts, max_length, pooling)
        accuracy = float((head(emb).argmax(1).numpy() == codes).mean())
    encoder.train()
    lid = local_intrinsic_dimension(emb.numpy().astype(np.float64), k=local_k,
                                    metric="euclidean", progress=False)
    return {"val_accuracy": accuracy, "local_id_mean": float(np.nanmean(lid)),
            "local_id_median": float(np.nanmedian(lid))}


def finetune_local_id(train: pd.DataFrame, val: pd.DataFrame, model: str = DEFAULT_MODEL,
                      steps: int = 60, eval_every: int = 10, batch_size: int = 16,
                      learning_rate: float = 5e-5, local_k: int = 64, max_length: int = 64,
                      pooling: str | None = None, random_state: int = 0,
                      progress: bool = True) -> pd.DataFrame:
    """Fine-tune an encoder + linear head on a labelled corpus; track validation local ID.

    Every ``eval_every`` steps (and before the first), the validation texts are embedded
    (``pooling`` of the last layer), classified by the head, and the local intrinsic
    dimension of each validation embedding is computed over its ``local_k`` nearest
    validation neighbours (Euclidean, local TwoNN, as in the paper).

    Runs on CPU in float32. The model is resolved through the model registry and loaded fresh
    (the cached encoder is untouched). Reproducible for a given ``random_state``: batches come
    from a seeded NumPy generator, the head's initial weights from a seeded
    ``torch.Generator``, and dropout draws from torch's global generator inside
    :func:`~embviz.embed.device.seeded_torch_rng`, so the caller's random state (CPU and CUDA)
    is the same afterwards.

    Parameters
    ----------
    train, val : DataFrame with ``text`` and ``label`` columns
        Validation labels must occur in ``train``; others count as errors.
    model : str, default "minilm"
        A registered name (:func:`embviz.embed.list_models`) or a local Hugging Face folder.
    steps : int, default 60
        Optimisation steps (AdamW, cross-entropy).
    eval_every : int, default 10
    batch_size : int, default 16
    learning_rate : float > 0, default 5e-5
        Of the encoder; the head learns 100× faster.
    local_k : int >= 3, default 64
        L, the neighbourhood size of the local ID (capped at len(val) − 1); the paper uses
        L = 128 on larger sets.
    max_length : int >= 2, default 64
        Token limit; longer texts are truncated.
    pooling : {"mean", "cls", "last", "max"}, optional
        As in :class:`embviz.embed.Encoder`: ``"mean"`` for encoders, ``"last"`` for causal LMs.
    random_state : int, default 0
    progress : bool, default True

    Returns
    -------
    pandas.DataFrame
        One row per evaluation: ``step``, ``train_loss`` (mean over the steps since the last
        evaluation; NaN at step 0), ``val_accuracy``, ``local_id_mean``, ``local_id_median``.

    References
    ----------
    Ruppik, von Rohrscheidt, van Niekerk et al. (2025), "Less is More: Local Intrinsic
    Dimensions of Contextual Language Models", NeurIPS 2025, arXiv:2506.01034.
    """
    import torch

    from .._progress import progress_bar
    from ..embed.device import seeded_torch_rng

    train_texts, train_labels = _split(train, "train")
    val_texts, val_labels = _split(val, "val")
    steps, eval_every = check_positive_int(steps, "steps"), check_positive_int(eval_every,
                                                                               "eval_every")
    batch_size = check_positive_int(batch_size, "batch_size")
    learning_rate = check_number(learning_rate, "learning_rate", 0, low_open=True)
    max_length = check_positive_int(max_length, "max_length", minimum=2)
    local_k = min(check_positive_int(local_k, "local_k", 3), len(val_texts) - 1)
    info = resolve_model(model)
    pooling = check_choice(pooling or ("last" if info.kind == "causal" else "mean"), "pooling",
                           POOLINGS)
    classes, train_codes = np.unique(train_labels, return_inverse=True)
    lookup = {c: i for i, c in enumerate(classes)}
    val_codes = np.array([lookup.get(c, -1) for c in val_labels])
    rng = np.random.default_rng(random_state)
    with seeded_torch_rng(random_state):  # dropout; restored on exit
        tokenizer, encoder = _load(info)
        head = torch.nn.Linear(encoder.config.hidden_size, len(classes))
        generator = torch.Generator().manual_seed(random_state)
        with torch.no_grad():
            head.weight.copy_(torch.randn(head.weight.shape, generator=generator) * 0.02)
            head.bias.zero_()
        optimiser = torch.optim.AdamW([{"params": encoder.parameters()},
                                       {"params": head.parameters(),
                                        "lr": learning_rate * 100}], lr=learning_rate)
        evaluate = (lambda: _evaluate(encoder, head, tokenizer, val_texts, val_codes,
                                      max_length, pooling, local_k))
        rows, losses = [{"step": 0, "train_loss": np.nan, **evaluate()}], []
        for step in progress_bar(range(1, steps + 1), desc="fine-tune", disable=not progress):
            batch = rng.choice(len(train_texts), min(batch_size, len(train_texts)),
                               replace=False)
            logits = head(_embed(encoder, tokenizer, [train_texts[i] for i in batch],
                                 max_length, pooling))
            loss = torch.nn.functional.cross_entropy(logits, torch.as_tensor(train_codes[batch]))
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            losses.append(float(loss.detach()))
            if step % eval_every == 0 or step == steps:
                rows.append({"step": step, "train_loss": float(np.mean(losses)), **evaluate()})
                losses = []
    return pd.DataFrame(rows)
