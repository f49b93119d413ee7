"""2-D / 3-D maps of an embedding cloud (PCA now; UMAP from the shared kNN graph next)."""

from __future__ import annotations

import numpy as np

from ._validation import check_embeddings, check_positive_int

__all__ = ["pca_map"]


def pca_map(X, n_components: int = 2) -> np.ndarray:
    """Project onto the top principal components.

    Parameters
    ----------
    X : array of shape (n, d)
    n_components : int, default 2
        2 or 3 for a map; at most ``d``.

    Returns
    -------
    ndarray of shape (n, n_components), float32
        Coordinates along PC1, PC2, ...; each axis's sign is fixed so that its largest
        loading is positive (deterministic across runs and platforms).
    """
    X = check_embeddings(X, min_rows=2).astype(np.float64)
    n_components = check_positive_int(n_components, "n_components")
    if n_components > X.shape[1]:
        raise ValueError(f"n_components={n_components} exceeds the dimension d={X.shape[1]}")
    centered = X - X.mean(axis=0)
    _, vectors = np.linalg.eigh(centered.T @ centered)
    axes = vectors[:, ::-1][:, :n_components]
    axes *= np.sign(axes[np.abs(axes).argmax(axis=0), range(n_components)])
    return (centered @ axes).astype(np.float32)
