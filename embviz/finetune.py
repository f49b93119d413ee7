"""Brief fine-tuning of an encoder, tracking the local intrinsic dimension of its embeddings.

The experiment of Ruppik et al. (2025), "Less is More: Local Intrinsic Dimensions of
Contextual Language Models": while a model is fine-tuned, the mean local intrinsic dimension
(local TwoNN, :func:`embviz.metrics.local_intrinsic_dimension`) of its validation embeddings is
tracked against validation performance. Here the task is text classification with a linear
head on mean-pooled embeddings, on CPU, for a few dozen steps.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._validation import check_positive_int, check_texts

__all__ = ["finetune_local_id"]


def _split(frame: pd.DataFrame, name: str) -> tuple[list[str], np.ndarray]:
    if not isinstance(frame, pd.DataFrame) or not {"text", "label"} <= set(frame.columns):
        raise ValueError(f"{name} must be a DataFrame with 'text' and 'label' columns")
    return check_texts(frame["text"].tolist(), f"{name}['text']"), frame["label"].to_numpy()


def _embed(model, tokenizer, texts: list[str], max_length: int, batch_size: int = 64):
    """Mean-pooled last hidden states, shape (n, d), as a torch tensor (keeps the graph)."""
    import torch

    out = []
    for start in range(0, len(texts), batch_size):
        batch = tokenizer(texts[start:start + batch_size], padding=True, truncation=True,
                          max_length=max_length, return_tensors="pt")
        hidden = model(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        out.append((hidden * mask).sum(1) / mask.sum(1).clamp(min=1))
    return torch.cat(out)


def _evaluate(model, head, tokenizer, texts, codes, max_length, n_neighbors) -> dict:
    import torch

    from .metrics import local_intrinsic_dimension

    model.eval()
    with torch.inference_mode():
        emb = _embed(model, tokenizer, texts, max_length)
        accuracy = float((head(emb).argmax(1).numpy() == codes).mean())
    model.train()
    lid = local_intrinsic_dimension(emb.numpy().astype(np.float64), n_neighbors=n_neighbors,
                                    progress=False)
    return {"val_accuracy": accuracy, "local_id_mean": float(np.nanmean(lid)),
            "local_id_median": float(np.nanmedian(lid))}


def finetune_local_id(train: pd.DataFrame, val: pd.DataFrame, model: str = "minilm",
                      steps: int = 60, eval_every: int = 10, batch_size: int = 16,
                      learning_rate: float = 5e-5, n_neighbors: int = 64, max_length: int = 64,
                      random_state: int = 0, progress: bool = True) -> pd.DataFrame:
    """Fine-tune an encoder + linear head on a labelled corpus; track validation local ID.

    Every ``eval_every`` steps (and before the first), the validation texts are embedded
    (mean pooling of the last layer), classified by the head, and the local intrinsic
    dimension of each validation embedding is computed over its ``n_neighbors`` nearest
    validation neighbours (Euclidean, local TwoNN).

    Runs on CPU in float32. The model is loaded fresh (the cached encoder is untouched).
    Reproducible for a given ``random_state``: batches come from a seeded NumPy generator, the
    head's initial weights from a seeded ``torch.Generator``, and dropout draws from torch's
    global generator inside ``torch.random.fork_rng()``, so the caller's random state is the
    same afterwards.

    Parameters
    ----------
    train, val : DataFrame with ``text`` and ``label`` columns
        Validation labels must occur in ``train``; others count as errors.
    model : str, default "minilm"
        A registered encoder name or a local Hugging Face folder.
    steps : int, default 60
        Optimisation steps (AdamW, cross-entropy).
    eval_every : int, default 10
    batch_size : int, default 16
    learning_rate : float, default 5e-5 (the head learns 100× faster)
    n_neighbors : int, default 64
        L of the local ID (capped at len(val) − 1); the paper uses L = 128 on larger sets.
    max_length : int, default 64 (tokens)
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

    from ._progress import progress_bar
    from .embed.models import resolve_model

    train_texts, train_labels = _split(train, "train")
    val_texts, val_labels = _split(val, "val")
    steps, eval_every = check_positive_int(steps, "steps"), check_positive_int(eval_every,
                                                                               "eval_every")
    batch_size = check_positive_int(batch_size, "batch_size")
    classes, train_codes = np.unique(train_labels, return_inverse=True)
    lookup = {c: i for i, c in enumerate(classes)}
    val_codes = np.array([lookup.get(c, -1) for c in val_labels])
    n_neighbors = min(check_positive_int(n_neighbors, "n_neighbors", 3), len(val_texts) - 1)
    rng = np.random.default_rng(random_state)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(random_state)  # dropout; restored on exit
        from transformers import AutoModel, AutoTokenizer

        path = resolve_model(model).path
        tokenizer = AutoTokenizer.from_pretrained(path)
        encoder = AutoModel.from_pretrained(path, dtype=torch.float32).train()
        head = torch.nn.Linear(encoder.config.hidden_size, len(classes))
        generator = torch.Generator().manual_seed(random_state)
        with torch.no_grad():
            head.weight.copy_(torch.randn(head.weight.shape, generator=generator) * 0.02)
            head.bias.zero_()
        optimiser = torch.optim.AdamW([{"params": encoder.parameters()},
                                       {"params": head.parameters(),
                                        "lr": learning_rate * 100}], lr=learning_rate)
        evaluate = (lambda: _evaluate(encoder, head, tokenizer, val_texts, val_codes,
                                      max_length, n_neighbors))
        rows, losses = [{"step": 0, "train_loss": np.nan, **evaluate()}], []
        for step in progress_bar(range(1, steps + 1), desc="fine-tune", disable=not progress):
            rows_ = rng.choice(len(train_texts), min(batch_size, len(train_texts)),
                               replace=False)
            logits = head(_embed(encoder, tokenizer, [train_texts[i] for i in rows_],
                                 max_length))
            loss = torch.nn.functional.cross_entropy(logits, torch.as_tensor(train_codes[rows_]))
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            losses.append(float(loss.detach()))
            if step % eval_every == 0 or step == steps:
                rows.append({"step": step, "train_loss": float(np.mean(losses)), **evaluate()})
                losses = []
    return pd.DataFrame(rows)
