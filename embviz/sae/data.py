"""Training data for an SAE: rows, their documents, provenance, content hash, normalisation."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._files import array_sha256
from .._validation import check_embeddings
from ..embedding_set import EmbeddingSet

__all__ = ["TrainingData", "as_training_data", "normalisation", "split_holdout"]


@dataclass
class TrainingData:
    """Rows to train on.

    Attributes
    ----------
    X : ndarray of shape (n, d), float32
    groups : ndarray of shape (n,) or None
        Document of each row (token activations); the held-out split keeps documents whole.
    provenance : dict
    sha256 : str
    """

    X: np.ndarray
    groups: np.ndarray | None
    provenance: dict[str, Any] = field(default_factory=dict)
    sha256: str = ""


def as_training_data(data: Any, name: str = "data") -> TrainingData:
    """Accept an EmbeddingSet, TokenCorpus, TokenActivations or an array ``(n, d)``."""
    from ..embed.encoder import TokenActivations
    from .sources import TokenCorpus

    if isinstance(data, TokenCorpus):
        acts = data.activations
        provenance = {"source": "tokens", **data.provenance, "n_documents": len(data)}
        return _make(acts.vectors, acts.doc_index, provenance, name)
    if isinstance(data, TokenActivations):
        provenance = {"source": "tokens", "layer": int(data.layer),
                      "n_documents": int(data.doc_index.max()) + 1 if len(data) else 0}
        return _make(data.vectors, data.doc_index, provenance, name)
    if isinstance(data, EmbeddingSet):
        provenance = {"source": "embeddings", "embedding": data.provenance, "n": len(data)}
        return _make(data.vectors, None, provenance, name)
    X = check_embeddings(data, name=name, min_rows=2)
    return _make(X, None, {"source": "embeddings", "embedding": {}, "n": len(X)}, name)


def _make(X, groups, provenance, name) -> TrainingData:
    X = check_embeddings(X, name=name, min_rows=2).astype(np.float32, copy=False)
    return TrainingData(X, None if groups is None else np.asarray(groups), provenance,
                        array_sha256(X))


def normalisation(X: np.ndarray) -> tuple[np.ndarray, float]:
    """Mean row and the scale that makes the mean squared norm of centred rows equal ``d``.

    Returns
    -------
    mean : ndarray of shape (d,), float32
    scale : float
    """
    mean = X.mean(axis=0, dtype=np.float64)
    sq = 0.0
    for start in range(0, len(X), 65_536):
        sq += float(((X[start:start + 65_536] - mean) ** 2).sum())
    mean_sq = sq / len(X)
    if mean_sq <= 0:
        raise ValueError("data has zero variance (all rows are equal): an SAE cannot be trained")
    return mean.astype(np.float32), float(np.sqrt(X.shape[1] / mean_sq))


def split_holdout(n: int, groups: np.ndarray | None, holdout: float,
                  random_state: int) -> tuple[np.ndarray, np.ndarray]:
    """Training and held-out row positions; with ``groups``, whole groups are held out.

    Returns
    -------
    train, held_out : ndarray of int64, sorted
    """
    rng = np.random.default_rng([random_state, 0])
    if groups is None:
        order = rng.permutation(n)
        n_hold = max(1, round(holdout * n))
        return np.sort(order[n_hold:]), np.sort(order[:n_hold])
    unique = np.unique(groups)
    if len(unique) < 2:
        raise ValueError("token data holds a single document: the held-out split needs >= 2")
    n_hold = max(1, round(holdout * len(unique)))
    held = rng.permutation(unique)[:n_hold]
    mask = np.isin(groups, held)
    return np.flatnonzero(~mask), np.flatnonzero(mask)
