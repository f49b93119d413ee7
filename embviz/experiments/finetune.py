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
from ..stats.permutation import _permutation_p_value

__all__ = ["change_correlation", "finetune_local_id"]


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
           batch_size: int = 64, tokens: bool = False):
    """Pooled last hidden states, shape (n, d), as a torch tensor (keeps the autograd graph).

    With ``tokens=True`` also the last hidden state of every real token (no padding, no special
    token such as [CLS] / [SEP] / BOS), shape (n_tokens, d), in document order.
    """
    import torch

    out, token_out = [], []
    for start in range(0, len(texts), batch_size):
        batch = tokenizer(texts[start:start + batch_size], padding=True, truncation=True,
                          max_length=max_length, return_tensors="pt",
                          return_special_tokens_mask=True)
        special = batch.pop("special_tokens_mask")
        hidden = encoder(**batch).last_hidden_state
        out.append(pool(hidden, batch["attention_mask"], pooling))
        if tokens:
            keep = batch["attention_mask"].bool() & ~special.bool()
            token_out.append(hidden[keep])
    pooled = torch.cat(out)
    return (pooled, torch.cat(token_out)) if tokens else pooled


def _mean_local_id(X: np.ndarray, local_k: int) -> tuple[float, float]:
    """Mean and median Euclidean local ID of the distinct rows of ``X`` (L capped at n − 1)."""
    X = np.unique(X.astype(np.float64), axis=0)
    lid = local_intrinsic_dimension(X, k=min(local_k, len(X) - 1), metric="euclidean",
                                    progress=False)
    return float(np.nanmean(lid)), float(np.nanmedian(lid))


def _evaluate(encoder, head, tokenizer, sets, max_length, pooling, local_k,
              token_rows) -> dict:
    """Accuracy (where labels are known) and local ID of each evaluation set.

    ``sets`` maps a name to (texts, codes or None); the columns of the validation set
    (``"val"``) carry no suffix, the others end in ``_<name>``. ``token_rows`` maps a name to
    the fixed token subsample (indices into its token list) or None (no token-level local ID).
    """
    import torch

    row = {}
    encoder.eval()
    for name, (texts, codes) in sets.items():
        suffix = "" if name == "val" else f"_{name}"
        with torch.inference_mode():
            emb, tok = _embed(encoder, tokenizer, texts, max_length, pooling, tokens=True)
            if codes is not None:
                row[f"{'val' if name == 'val' else name}_accuracy"] = float(
                    (head(emb).argmax(1).numpy() == codes).mean())
        row[f"local_id_mean{suffix}"], row[f"local_id_median{suffix}"] = _mean_local_id(
            emb.numpy(), local_k)
        if token_rows is not None:
            rows = token_rows.setdefault(name, _token_sample(len(tok), token_rows["_max"],
                                                             token_rows["_seed"]))
            row[f"token_local_id_mean{suffix}"], row[f"token_local_id_median{suffix}"] = (
                _mean_local_id(tok.numpy()[rows], local_k))
    encoder.train()
    return row


def _token_sample(n: int, max_tokens: int, seed: int) -> np.ndarray:
    """The same ``max_tokens`` token positions at every evaluation (all of them if fewer)."""
    if n <= max_tokens:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, max_tokens, replace=False))


def finetune_local_id(train: pd.DataFrame, val: pd.DataFrame, model: str = DEFAULT_MODEL,
                      max_steps: int = 60, eval_every: int = 10, batch_size: int = 16,
                      learning_rate: float = 5e-5, local_k: int = 64, max_length: int = 64,
                      pooling: str | None = None, probes: dict | None = None,
                      token_level: bool = False, max_tokens: int = 5000,
                      random_state: int = 0, progress: bool = True) -> pd.DataFrame:
    """Fine-tune an encoder + linear head on a labelled corpus; track validation local ID.

    Every ``eval_every`` steps (and before the first), the validation texts are embedded
    (``pooling`` of the last layer), classified by the head, and the local intrinsic
    dimension of each validation embedding is computed over its ``local_k`` nearest
    validation neighbours (Euclidean, local TwoNN, as in the paper). The same is done for
    each of the ``probes`` (e.g. training texts, and an unrelated out-of-distribution corpus:
    the paper's control, whose local ID should stay put while the task's data compress), and,
    with ``token_level=True``, for the last-layer *token* embeddings of every set (the point
    cloud the paper measures: each real token of each text, no padding or special tokens).

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
    max_steps : int, default 60
        Optimisation steps (AdamW, cross-entropy); every run takes all of them.
    eval_every : int, default 10
        Steps between evaluations (the last step is always evaluated).
    batch_size : int, default 16
    learning_rate : float > 0, default 5e-5
        AdamW learning rate of the encoder; the head learns 100× faster.
    local_k : int >= 3, default 64
        L, the neighbourhood size of the local ID (capped at len(val) − 1); the paper uses
        L = 128 on larger sets.
    max_length : int >= 2, default 64
        Token limit; longer texts are truncated.
    pooling : {"mean", "cls", "last", "max"}, optional
        As in :class:`embviz.embed.Encoder`: ``"mean"`` for encoders, ``"last"`` for causal LMs.
    probes : dict of str to DataFrame or sequence of str, optional
        Further evaluation sets, by name (letters, digits, underscore; not ``"val"``): a
        DataFrame with a ``text`` column (and ``label``, whose accuracy is then reported too)
        or a list of texts. Each needs more than 3 texts.
    token_level : bool, default False
        Also the local ID of the token embeddings of every set.
    max_tokens : int, default 5000
        Token-level local ID uses at most this many tokens per set: a random subsample drawn
        once (seeded by ``random_state``), the same token positions at every evaluation.
        Exactly repeated vectors are dropped before each local ID (here and pooled).
    random_state : int, default 0
    progress : bool, default True
        A progress bar over the optimisation steps.

    Returns
    -------
    pandas.DataFrame
        One row per evaluation: ``step``, ``train_loss`` (mean over the steps since the last
        evaluation; NaN at step 0), ``val_accuracy``, ``local_id_mean``, ``local_id_median``;
        with ``token_level``, ``token_local_id_mean`` and ``token_local_id_median``; for each
        probe ``p`` the same local-ID columns ending in ``_p``, and ``p_accuracy`` if it has
        labels.

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
    steps = check_positive_int(max_steps, "max_steps")
    eval_every = check_positive_int(eval_every, "eval_every")
    batch_size = check_positive_int(batch_size, "batch_size")
    learning_rate = check_number(learning_rate, "learning_rate", 0, low_open=True)
    max_length = check_positive_int(max_length, "max_length", minimum=2)
    local_k = check_positive_int(local_k, "local_k", 3)
    max_tokens = check_positive_int(max_tokens, "max_tokens", 4)
    probe_sets = _probe_sets(probes)
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
        sets = {"val": (val_texts, val_codes)}
        for name, (texts, labels) in probe_sets.items():
            sets[name] = (texts, None if labels is None
                          else np.array([lookup.get(c, -1) for c in labels]))
        token_rows = {"_max": max_tokens, "_seed": random_state} if token_level else None

        def evaluate():
            return _evaluate(encoder, head, tokenizer, sets, max_length, pooling, local_k,
                             token_rows)

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


def _probe_sets(probes) -> dict:
    """``{name: (texts, labels or None)}`` from the ``probes`` argument, checked."""
    if probes is None:
        return {}
    if not isinstance(probes, dict):
        raise TypeError(f"probes must be a dict of name -> texts, got {type(probes).__name__}")
    out = {}
    for name, probe in probes.items():
        if not (isinstance(name, str) and name.isidentifier()) or name == "val":
            raise ValueError(f"probe names must be identifiers other than 'val', got {name!r}")
        if isinstance(probe, pd.DataFrame):
            if "text" not in probe.columns:
                raise ValueError(f"probe {name!r} must have a 'text' column")
            texts = check_texts(probe["text"].tolist(), f"probes[{name!r}]")
            labels = probe["label"].to_numpy() if "label" in probe.columns else None
        else:
            texts, labels = check_texts(list(probe), f"probes[{name!r}]"), None
        if len(texts) < 4:
            raise ValueError(f"probe {name!r} holds {len(texts)} texts; at least 4 are needed")
        out[name] = (texts, labels)
    return out


def change_correlation(a, b, lag: int = 0, groups=None, n_permutations: int = 9999,
                       random_state: int | None = 0) -> dict:
    """Pearson correlation of the step-to-step changes of two tracked series, with a
    permutation p-value.

    With ``lag = 0`` the change Δa_t = a_t − a_{t−1} is paired with the simultaneous change
    Δb_t; with ``lag = 1`` with the next one, Δb_{t+1} ("does a change in a precede a change in
    b", the predictive reading of Ruppik et al. 2025). Changes are taken within each group
    (e.g. each training seed) and pooled.

    Parameters
    ----------
    a, b : array-like of shape (n,)
        The two series, in time order within each group (e.g. mean local ID and validation
        accuracy per evaluation).
    lag : int >= 0, default 0
    groups : array-like of shape (n,), optional
        Group of each entry (rows of one group must be contiguous and in time order).
    n_permutations : int, default 9999
        The changes of ``b`` are shuffled within groups; two-sided
        p_value = (1 + #{|r*| >= |r|}) / (1 + n_permutations). Changes of a training curve
        are autocorrelated, so this p-value is only approximately calibrated (it treats the
        pairs as exchangeable).
    random_state : int or None, default 0

    Returns
    -------
    dict
        ``r``, ``p_value``, ``n_pairs``, ``lag``, ``n_permutations``.
    """
    a, b = np.asarray(a, float), np.asarray(b, float)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError(f"a and b must be 1-d of equal length, got {a.shape} and {b.shape}")
    lag = int(lag)
    if lag < 0:
        raise ValueError(f"lag must be >= 0, got {lag}")
    n_permutations = check_positive_int(n_permutations, "n_permutations")
    groups = np.zeros(len(a), int) if groups is None else np.asarray(groups)
    da, db, g = [], [], []
    for i, key in enumerate(pd.unique(groups)):
        rows = np.flatnonzero(groups == key)
        x, y = np.diff(a[rows]), np.diff(b[rows])
        if lag:
            x, y = x[:-lag], y[lag:]
        da.append(x)
        db.append(y)
        g.append(np.full(len(x), i))
    da, db, g = np.concatenate(da), np.concatenate(db), np.concatenate(g)
    if len(da) < 3:
        raise ValueError(f"only {len(da)} pairs of changes; at least 3 are needed")
    r = float(np.corrcoef(da, db)[0, 1])
    rng = np.random.default_rng(random_state)
    blocks = [np.flatnonzero(g == i) for i in np.unique(g)]
    perm = np.empty((n_permutations, len(db)))
    for block in blocks:
        perm[:, block] = rng.permuted(np.broadcast_to(db[block], (n_permutations, len(block))),
                                      axis=1)
    xc = (da - da.mean()) / da.std()
    pc = perm - perm.mean(1, keepdims=True)
    r_star = (pc @ xc) / (len(da) * pc.std(1))
    p_value = _permutation_p_value(abs(r) - 1e-12, np.abs(r_star))  # two-sided; ties count
    return {"r": r, "p_value": p_value, "n_pairs": int(len(da)), "lag": lag,
            "n_permutations": n_permutations}
