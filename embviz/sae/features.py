"""The concept table: what each SAE feature fires on, its label, and the category it tracks.

Follows "Interpretable Embeddings with Sparse Autoencoders: A Data Analysis Toolkit": a concept
is present in a document when its activation is non-zero; a feature is described by its
top-activating texts and by the words that distinguish them from the corpus; its association
with a metadata column is the precision, recall and F1 of "feature present" as a predictor of
each category.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .._validation import check_choice, check_positive_int
from .labels import LABEL_METHODS, distinctive_words

__all__ = ["category_alignment", "feature_table", "label_association", "top_rows"]


def top_rows(codes: sp.spmatrix, n: int, features: Sequence[int] | None = None
             ) -> list[np.ndarray]:
    """Rows with the highest activation of each feature (active rows only), best first.

    Parameters
    ----------
    codes : sparse matrix of shape (n_rows, d_sae)
    n : int
    features : sequence of int, optional
        Default all columns.

    Returns
    -------
    list of ndarray of int64, one per feature
    """
    csc = sp.csc_matrix(codes)
    features = range(csc.shape[1]) if features is None else features
    out = []
    for f in features:
        lo, hi = csc.indptr[f], csc.indptr[f + 1]
        rows, vals = csc.indices[lo:hi], csc.data[lo:hi]
        order = np.lexsort((rows, -vals))[:n]
        out.append(rows[order].astype(np.int64))
    return out


def _one_hot(labels: Sequence[Any]) -> tuple[sp.csr_matrix, np.ndarray]:
    values = pd.Series(labels).astype("object")
    known = values.notna().to_numpy()
    categories, codes = np.unique(values[known].astype(str), return_inverse=True)
    rows = np.flatnonzero(known)
    L = sp.csr_matrix((np.ones(len(rows)), (rows, codes)), shape=(len(values), len(categories)))
    return L, categories


def _association_counts(codes: sp.spmatrix, labels: Sequence[Any]):
    if codes.shape[0] != len(labels):
        raise ValueError(f"labels has {len(labels)} entries but codes has {codes.shape[0]} "
                         f"rows: they must be aligned")
    P = (sp.csr_matrix(codes) > 0).astype(np.float64)
    L, categories = _one_hot(labels)
    tp = np.asarray((P.T @ L).todense())  # (d_sae, n_categories)
    predicted = np.asarray(P.sum(axis=0)).ravel()[:, None]
    actual = np.asarray(L.sum(axis=0)).ravel()[None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(predicted > 0, tp / predicted, 0.0)
        recall = np.where(actual > 0, tp / actual, 0.0)
        f1 = np.where(predicted + actual > 0, 2 * tp / (predicted + actual), 0.0)
    return categories, precision, recall, f1, actual.ravel()


def label_association(codes: sp.spmatrix, labels: Sequence[Any]) -> pd.DataFrame:
    """For each feature, the category its presence predicts best (highest F1).

    Parameters
    ----------
    codes : sparse matrix of shape (n, d_sae)
    labels : sequence of length n
        Category of each row (missing values belong to no category).

    Returns
    -------
    pandas.DataFrame of d_sae rows
        ``feature, best_label, precision, recall, f1``.
    """
    categories, precision, recall, f1, _ = _association_counts(codes, labels)
    best = f1.argmax(axis=1)
    idx = np.arange(len(best))
    return pd.DataFrame({"feature": idx, "best_label": categories[best] if len(categories)
                         else None, "precision": precision[idx, best],
                         "recall": recall[idx, best], "f1": f1[idx, best]})


def category_alignment(codes: sp.spmatrix, labels: Sequence[Any]) -> pd.DataFrame:
    """For each category, the single feature whose presence predicts it best (highest F1).

    Parameters
    ----------
    codes : sparse matrix of shape (n, d_sae)
    labels : sequence of length n

    Returns
    -------
    pandas.DataFrame, one row per category, sorted by F1 (descending)
        ``category, n_documents, best_feature, precision, recall, f1``.
    """
    categories, precision, recall, f1, actual = _association_counts(codes, labels)
    best = f1.argmax(axis=0)
    idx = np.arange(len(categories))
    table = pd.DataFrame({"category": categories, "n_documents": actual.astype(int),
                          "best_feature": best, "precision": precision[best, idx],
                          "recall": recall[best, idx], "f1": f1[best, idx]})
    return table.sort_values("f1", ascending=False, kind="stable").reset_index(drop=True)


def _top_tokens(sae, corpus, features: Sequence[int], n_top: int) -> list[list[str]]:
    """Distinct tokens with the highest activations of each feature (token SAEs)."""
    from .encode import sae_encode

    acts = corpus.activations
    token_rows = top_rows(sae_encode(sae, acts.vectors), 20 * n_top, features)
    out = []
    for rows in token_rows:
        seen: list[str] = []
        for r in rows:
            token = acts.tokens[r].replace("Ġ", " ").replace("▁", " ").strip() or acts.tokens[r]
            if token not in seen:
                seen.append(token)
            if len(seen) == n_top:
                break
        out.append(seen)
    return out


def feature_table(sae, data, n_top: int = 5, n_words: int = 5, n_label_texts: int = 20,
                  method: str = "log_odds", label_column: str | None = "label",
                  labeller: Callable[[list[str]], str] | None = None,
                  features: Sequence[int] | None = None, codes: sp.spmatrix | None = None,
                  include_dead: bool = False, progress: bool = True) -> pd.DataFrame:
    """One row per SAE feature: frequency, activation, top texts, label, associated category.

    Parameters
    ----------
    sae : ConceptSAE
    data : EmbeddingSet or TokenCorpus
        Documents with ``text`` (and ``label_column``) in their metadata.
    n_top : int, default 5
        Top-activating texts (and, for token SAEs, top tokens) listed per feature.
    n_words : int, default 5
        Distinctive words per feature; the label joins the first three.
    n_label_texts : int, default 20
        Top texts the distinctive words are computed from.
    method : {"log_odds", "ctfidf"}
        Word scorer (see :mod:`embviz.sae.labels`).
    label_column : str or None, default "label"
        Metadata column for the association: skipped when None, and when it is the default
        ``"label"`` and ``data`` has no such column; any other name must be a column of
        ``data.meta`` (``ValueError`` listing its columns).
    labeller : callable (list of str) -> str, optional
        E.g. an LLM prompt over the top texts; replaces the word label when given.
    features : sequence of int, optional
        Only these features (default all).
    codes : sparse matrix (n, d_sae), optional
        Precomputed :func:`document_codes` of ``data``.
    include_dead : bool, default False
        Keep features that are never active on ``data``.

    Returns
    -------
    pandas.DataFrame
        ``feature, label, frequency, mean_activation, top_texts (list), top_words (list),
        top_tokens (list; empty for embedding SAEs), best_label, precision, recall, f1``.
        ``frequency`` is the share of documents where the feature is present;
        ``mean_activation`` the mean over those documents.
    """
    from .encode import _check_sae, document_codes

    sae = _check_sae(sae)
    check_choice(method, "method", LABEL_METHODS)
    n_top = check_positive_int(n_top, "n_top")
    n_words = check_positive_int(n_words, "n_words")
    n_label_texts = check_positive_int(n_label_texts, "n_label_texts")
    label_column = _check_label_column(data, label_column)
    chosen = (np.arange(sae.d_sae) if features is None
              else _check_features(features, sae.d_sae))
    codes = document_codes(sae, data, progress=progress) if codes is None \
        else sp.csr_matrix(codes)
    if codes.shape != (len(data), sae.d_sae):
        raise ValueError(f"codes has shape {codes.shape}, expected {(len(data), sae.d_sae)}")
    stats = _frequency(codes)
    if not include_dead:
        chosen = chosen[stats["count"][chosen] > 0]
    texts = data.meta["text"].tolist()
    tops = top_rows(codes, max(n_top, n_label_texts), chosen)
    words = distinctive_words(texts, tops, n_words=n_words, method=method)
    table = pd.DataFrame({
        "feature": chosen,
        "label": [labeller([texts[r] for r in rows[:n_label_texts]]) if labeller and len(rows)
                  else " / ".join(w[:3]) for rows, w in zip(tops, words)],
        "frequency": stats["frequency"][chosen],
        "mean_activation": stats["mean"][chosen],
        "top_texts": [[texts[r] for r in rows[:n_top]] for rows in tops],
        "top_words": words,
        "top_tokens": (_top_tokens(sae, data, chosen, n_top) if sae.source == "tokens"
                       and hasattr(data, "activations") else [[] for _ in chosen])})
    return _with_association(table, codes, data, label_column, chosen)


def _check_label_column(data, label_column: str | None) -> str | None:
    """``label_column`` if ``data.meta`` has it; ``None`` for None or an absent default."""
    meta = getattr(data, "meta", None)
    if label_column is None or meta is None or label_column in meta.columns:
        return label_column
    if label_column == "label":  # the default, on data without labels: no association
        return None
    raise ValueError(f"label_column={label_column!r} is not a column of data; its columns "
                     f"are {list(meta.columns)} (label_column=None skips the association)")


def _check_features(features, d_sae: int) -> np.ndarray:
    """Feature indices as int64, each in ``[0, d_sae)``."""
    chosen = np.atleast_1d(np.asarray(features))
    if chosen.ndim != 1 or (chosen.size and chosen.dtype.kind not in "iu"):
        raise TypeError(f"features must be a 1-D sequence of feature indices (integers), got "
                        f"{chosen.dtype} of shape {chosen.shape}")
    chosen = chosen.astype(np.int64)
    if chosen.size and (chosen.min() < 0 or chosen.max() >= d_sae):
        raise ValueError(f"features must lie in [0, {d_sae}) (the SAE's d_sae), got "
                         f"{chosen.min()}..{chosen.max()}")
    return chosen


def _frequency(codes: sp.csr_matrix) -> dict[str, np.ndarray]:
    count = np.bincount(codes.indices, minlength=codes.shape[1])
    total = np.bincount(codes.indices, weights=codes.data, minlength=codes.shape[1])
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.where(count > 0, total / np.maximum(count, 1), 0.0)
    return {"count": count, "frequency": count / max(codes.shape[0], 1), "mean": mean}


def _with_association(table, codes, data, label_column, chosen) -> pd.DataFrame:
    if label_column is None:
        for column in ("best_label", "precision", "recall", "f1"):
            table[column] = None if column == "best_label" else np.nan
        return table
    assoc = label_association(codes, data.meta[label_column].tolist()).iloc[chosen]
    for column in ("best_label", "precision", "recall", "f1"):
        table[column] = assoc[column].to_numpy()
    return table
