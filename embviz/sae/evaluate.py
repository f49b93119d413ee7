"""Reconstruction quality of an SAE: explained variance, L0 and dead features."""

from __future__ import annotations

import numpy as np

__all__ = ["evaluate_sae", "explained_variance"]


def explained_variance(X: np.ndarray, X_hat: np.ndarray) -> float:
    """``1 - sum ||x - x_hat||^2 / sum ||x - mean(X)||^2`` (float64 sums).

    Parameters
    ----------
    X, X_hat : ndarray of shape (n, d)

    Returns
    -------
    float
    """
    X = np.asarray(X, np.float64)
    residual = ((X - np.asarray(X_hat, np.float64)) ** 2).sum()
    total = ((X - X.mean(axis=0)) ** 2).sum()
    return float(1.0 - residual / total) if total > 0 else float("nan")


def evaluate_sae(sae, X_holdout: np.ndarray, X_train_sample: np.ndarray,
                 batch_size: int = 4096, progress: bool = True) -> dict[str, float]:
    """Held-out explained variance and L0; share of features dead on held-out + sample.

    Parameters
    ----------
    sae : ConceptSAE
    X_holdout : ndarray of shape (m, d_in)
    X_train_sample : ndarray of shape (s, d_in)
        Training rows also searched for activity when counting dead features.
    batch_size : int, default 4096
    progress : bool, default True
        Progress bars of the two encodings.

    Returns
    -------
    dict
        ``explained_variance``, ``l0``, ``dead_fraction``, ``n_dead_eval_rows``.
    """
    from .encode import decode_codes, sae_encode

    codes = sae_encode(sae, X_holdout, batch_size=batch_size, progress=progress)
    X_hat = decode_codes(sae, codes, batch_size=batch_size)
    alive = np.zeros(sae.d_sae, bool)
    alive[np.unique(codes.indices)] = True
    train_codes = sae_encode(sae, X_train_sample, batch_size=batch_size, progress=progress)
    alive[np.unique(train_codes.indices)] = True
    return {"explained_variance": explained_variance(X_holdout, X_hat),
            "l0": float(np.diff(codes.indptr).mean()),
            "dead_fraction": float(1.0 - alive.mean()),
            "n_dead_eval_rows": int(len(X_holdout) + len(X_train_sample))}
