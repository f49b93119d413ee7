"""SAE codes of embeddings and of token activations, chunked into sparse matrices.

A dense ``(n, d_sae)`` code matrix of 1M rows and 3,072 features would take 12 GB; codes are
computed ``batch_size`` rows at a time and kept as ``scipy.sparse.csr_matrix`` (float32), so
memory grows with the number of active features, ``n * L0``, not with ``n * d_sae``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from .._validation import check_embeddings, check_positive_int
from .model import ConceptSAE

__all__ = ["decode_codes", "document_codes", "max_pool_codes", "sae_encode",
           "token_sae_embeddings"]


def _check_sae(sae: Any) -> ConceptSAE:
    if not isinstance(sae, ConceptSAE):
        raise TypeError(f"sae must be a ConceptSAE (from train_sae or ConceptSAE.load), "
                        f"got {type(sae).__name__}")
    return sae


def check_sae_input(sae: ConceptSAE, X: Any, name: str = "X") -> np.ndarray:
    """``X`` as float32 ``(n, d_in)``; a clear error on NaN or on a dimension mismatch."""
    X = check_embeddings(X, name=name)
    if X.shape[1] != sae.d_in:
        source = sae.provenance.get("embedding", {}).get("model", {}).get("name") \
            or sae.provenance.get("model") or sae.source
        raise ValueError(f"{name} has {X.shape[1]} columns but the SAE expects d_in="
                         f"{sae.d_in} (it was trained on {source!r} data): use the same "
                         f"model and layer as the training data")
    return X.astype(np.float32, copy=False)


def _encode_dense(sae: ConceptSAE, chunk: np.ndarray) -> np.ndarray:
    import torch

    x = torch.from_numpy((chunk - sae.mean) * np.float32(sae.scale))
    with torch.inference_mode():
        acts = sae.sae.encode(x.to(sae.sae.device))
    return acts.float().cpu().numpy()


def _csr_parts(dense: np.ndarray, first_row: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rows, cols = np.nonzero(dense)
    data = dense[rows, cols]
    if not np.isfinite(data).all():
        bad = first_row + rows[~np.isfinite(data)][0]
        raise FloatingPointError(f"the SAE produced NaN or infinite activations (first at row "
                                 f"{bad}): its weights are corrupt; retrain or reload it")
    counts = np.bincount(rows, minlength=len(dense))
    return data.astype(np.float32), cols.astype(np.int32), counts


def sae_encode(sae: ConceptSAE, X: Any, batch_size: int = 4096,
               progress: bool = True) -> sp.csr_matrix:
    """Feature activations of every row, computed in chunks.

    Parameters
    ----------
    sae : ConceptSAE
    X : array of shape (n, d_in)
        Embeddings (or token activations) from the same model and layer as the training data.
    batch_size : int, default 4096
        Rows per chunk; peak extra memory is about ``batch_size * d_sae * 8`` bytes.
    progress : bool, default True

    Returns
    -------
    scipy.sparse.csr_matrix of shape (n, d_sae), float32
        Non-negative activations; a feature is present in a row when its entry is non-zero.

    Examples
    --------
    >>> codes = sae_encode(sae, embedding_set.vectors)  # doctest: +SKIP
    >>> codes[:, 12].toarray().ravel()  # one feature over all documents  # doctest: +SKIP
    """
    sae = _check_sae(sae)
    X = check_sae_input(sae, X)
    batch_size = check_positive_int(batch_size, "batch_size")
    return _encode_rows(sae, X, batch_size, progress)


def _encode_rows(sae: ConceptSAE, X: np.ndarray, batch_size: int,
                 progress: bool) -> sp.csr_matrix:
    from .._progress import progress_bar
    from ._threads import torch_threads

    with torch_threads(1 if sae.sae.device.type == "cpu" else None):
        return _encode_chunks(sae, X, batch_size, progress, progress_bar)


def _encode_chunks(sae, X, batch_size, progress, progress_bar) -> sp.csr_matrix:
    data, indices, counts = [], [], []
    starts = range(0, len(X), batch_size)
    for start in progress_bar(starts, total=len(starts), desc="SAE encoding", unit="chunk",
                              disable=not progress):
        d, i, c = _csr_parts(_encode_dense(sae, X[start:start + batch_size]), start)
        data.append(d)
        indices.append(i)
        counts.append(c)
    indptr = np.concatenate([[0], np.cumsum(np.concatenate(counts))]).astype(np.int64)
    return sp.csr_matrix((np.concatenate(data), np.concatenate(indices), indptr),
                         shape=(len(X), sae.d_sae))


def decode_codes(sae: ConceptSAE, codes: sp.spmatrix, batch_size: int = 4096) -> np.ndarray:
    """Reconstruct inputs from codes, in the original (un-normalised) input space.

    Parameters
    ----------
    sae : ConceptSAE
    codes : sparse matrix of shape (n, d_sae)

    Returns
    -------
    ndarray of shape (n, d_in), float32
    """
    import torch

    codes = sp.csr_matrix(codes)
    out = np.empty((codes.shape[0], sae.d_in), np.float32)
    for start in range(0, codes.shape[0], batch_size):
        dense = torch.from_numpy(codes[start:start + batch_size].toarray())
        with torch.inference_mode():
            x_hat = sae.sae.decode(dense.to(sae.sae.device)).float().cpu().numpy()
        out[start:start + batch_size] = x_hat / np.float32(sae.scale) + sae.mean
    return out


def max_pool_codes(codes: sp.spmatrix, doc_index: np.ndarray,
                   n_documents: int) -> sp.csr_matrix:
    """Per-document maximum of non-negative token codes.

    Parameters
    ----------
    codes : sparse matrix of shape (n_tokens, d_sae), non-negative
    doc_index : ndarray of shape (n_tokens,)
        Document of each token, in ``0..n_documents-1``.
    n_documents : int

    Returns
    -------
    scipy.sparse.csr_matrix of shape (n_documents, d_sae), float32
    """
    coo = sp.coo_matrix(codes)
    rows = np.asarray(doc_index, np.int64)[coo.row]
    return _max_by_key(rows, coo.col.astype(np.int64), coo.data, (n_documents, codes.shape[1]))


def _max_by_key(rows, cols, values, shape) -> sp.csr_matrix:
    key = rows * shape[1] + cols
    order = np.argsort(key, kind="stable")
    key = key[order]
    if key.size == 0:
        return sp.csr_matrix(shape, dtype=np.float32)
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    peak = np.maximum.reduceat(np.asarray(values, np.float32)[order], starts)
    first = key[starts]
    return sp.csr_matrix((peak, (first // shape[1], first % shape[1])), shape=shape,
                         dtype=np.float32)


def token_sae_embeddings(sae: ConceptSAE, tokens: Any, n_documents: int | None = None,
                         batch_size: int = 4096, progress: bool = True) -> sp.csr_matrix:
    """Document SAE embeddings from token activations: the maximum over each document's tokens.

    As in "Interpretable Embeddings with Sparse Autoencoders", a document holds a concept when
    any of its tokens activates the feature, with the strongest token's activation.

    Parameters
    ----------
    sae : ConceptSAE
        Trained on token activations of the same model and layer.
    tokens : TokenActivations or TokenCorpus
    n_documents : int, optional
        Number of documents (default ``max(doc_index) + 1``, or ``len(corpus)``); documents
        without tokens get an empty row.
    batch_size : int, default 4096
        Tokens per chunk.

    Returns
    -------
    scipy.sparse.csr_matrix of shape (n_documents, d_sae), float32
    """
    from .sources import TokenCorpus

    sae = _check_sae(sae)
    if isinstance(tokens, TokenCorpus):
        n_documents = len(tokens) if n_documents is None else n_documents
        tokens = tokens.activations
    X = check_sae_input(sae, tokens.vectors, "token activations")
    doc_index = np.asarray(tokens.doc_index, np.int64)
    if n_documents is None:
        n_documents = int(doc_index.max()) + 1 if len(doc_index) else 0
    pooled = []
    batch_size = check_positive_int(batch_size, "batch_size")
    for start in range(0, len(X), batch_size * 16):  # bounded: pool every 16 chunks
        stop = start + batch_size * 16
        codes = _encode_rows(sae, X[start:stop], batch_size, progress)
        pooled.append(max_pool_codes(codes, doc_index[start:stop], n_documents))
    if not pooled:
        return sp.csr_matrix((n_documents, sae.d_sae), dtype=np.float32)
    coo = sp.coo_matrix(sp.vstack(pooled))
    return _max_by_key(coo.row.astype(np.int64) % n_documents, coo.col.astype(np.int64),
                       coo.data, (n_documents, sae.d_sae))


def document_codes(sae: ConceptSAE, data: Any, batch_size: int = 4096,
                   progress: bool = True) -> sp.csr_matrix:
    """SAE embeddings of documents from any supported source.

    Parameters
    ----------
    sae : ConceptSAE
    data : EmbeddingSet, TokenCorpus or array of shape (n, d_in)

    Returns
    -------
    scipy.sparse.csr_matrix of shape (n_documents, d_sae), float32
    """
    from ..embedding_set import EmbeddingSet
    from .sources import TokenCorpus

    if isinstance(data, TokenCorpus):
        return token_sae_embeddings(sae, data, batch_size=batch_size, progress=progress)
    if isinstance(data, EmbeddingSet):
        data = data.vectors
    return sae_encode(sae, data, batch_size=batch_size, progress=progress)
