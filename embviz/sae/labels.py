"""Words that distinguish a feature's top-activating texts from the corpus.

Two scorers over a document-term matrix (scikit-learn ``CountVectorizer``, English stop words):

* ``"log_odds"`` — weighted log-odds ratio with an informative Dirichlet prior (Monroe,
  Colaresi & Quinn 2008, "Fightin' Words"), foreground = the feature's top texts, background =
  the rest of the corpus, prior = corpus word frequencies; words ranked by the z-score.
* ``"ctfidf"`` — class-based TF-IDF (Grootendorst 2022, BERTopic): each feature's top texts form
  one class, ``W(t, c) = tf(t, c) / |c| * log(1 + A / f(t))`` with ``f(t)`` the term's corpus
  frequency and ``A`` the mean number of words per class.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .._validation import check_choice, check_number, check_positive_int

__all__ = ["LABEL_METHODS", "distinctive_words"]

LABEL_METHODS = ("log_odds", "ctfidf")
_TOKEN_PATTERN = r"(?u)\b[^\W\d_]{2,}\b"


def _doc_term(texts: Sequence[str], binary: bool):
    from sklearn.feature_extraction.text import CountVectorizer

    vectorizer = CountVectorizer(stop_words="english", token_pattern=_TOKEN_PATTERN,
                                 binary=binary, dtype=np.float64)
    try:
        D = vectorizer.fit_transform(texts)
    except ValueError:  # empty vocabulary (only stop words)
        return sp.csr_matrix((len(texts), 0)), np.array([], dtype=object)
    return sp.csr_matrix(D), vectorizer.get_feature_names_out()


def _selection(groups: Sequence[np.ndarray], n: int) -> sp.csr_matrix:
    rows = np.concatenate([np.full(len(g), i) for i, g in enumerate(groups)] or [[]])
    cols = np.concatenate([np.asarray(g, np.int64) for g in groups] or [[]])
    return sp.csr_matrix((np.ones(len(cols)), (rows.astype(np.int64), cols.astype(np.int64))),
                         shape=(len(groups), n))


def _log_odds(Y: sp.csr_matrix, corpus: np.ndarray, prior_scale: float) -> sp.csr_matrix:
    """z-scores of the informative-Dirichlet log-odds, on the non-zero entries of ``Y``."""
    n_c = corpus.sum()
    alpha = prior_scale * corpus / n_c
    row = np.repeat(np.arange(Y.shape[0]), np.diff(Y.indptr))
    y_i = Y.data
    a_w = alpha[Y.indices]
    n_i = np.asarray(Y.sum(axis=1)).ravel()[row]
    y_j = np.maximum(corpus[Y.indices] - y_i, 0.0)
    n_j = n_c - n_i
    delta = (np.log((y_i + a_w) / (n_i + prior_scale - y_i - a_w))
             - np.log((y_j + a_w) / (n_j + prior_scale - y_j - a_w)))
    z = delta / np.sqrt(1.0 / (y_i + a_w) + 1.0 / (y_j + a_w))
    return sp.csr_matrix((z, Y.indices, Y.indptr), shape=Y.shape)


def _ctfidf(Y: sp.csr_matrix, corpus: np.ndarray) -> sp.csr_matrix:
    sizes = np.asarray(Y.sum(axis=1)).ravel()
    A = sizes[sizes > 0].mean() if (sizes > 0).any() else 1.0
    row = np.repeat(np.arange(Y.shape[0]), np.diff(Y.indptr))
    tf = Y.data / np.maximum(sizes[row], 1.0)
    w = tf * np.log1p(A / np.maximum(corpus[Y.indices], 1.0))
    return sp.csr_matrix((w, Y.indices, Y.indptr), shape=Y.shape)


def distinctive_words(texts: Sequence[str], groups: Sequence[np.ndarray], n_words: int = 5,
                      method: str = "log_odds", min_count: int = 2,
                      prior_scale: float = 100.0) -> list[list[str]]:
    """For each group of texts, the words that most distinguish it from the whole corpus.

    Parameters
    ----------
    texts : sequence of str, length n
        The corpus. A missing text (``None`` or NaN, as an EmbeddingSet keeps for rows whose
        text was empty so that rows stay aligned with vectors) counts as an empty text: it
        has no words. Anything else that is not a string is refused (``TypeError``).
    groups : sequence of int arrays
        Row positions into ``texts`` of each group (e.g. a feature's top-activating texts),
        each in ``[0, n)``.
    n_words : int, default 5
    method : {"log_odds", "ctfidf"}
    min_count : int, default 2
        A word must occur in at least this many of a group's texts (or in all of them when
        the group is smaller).
    prior_scale : float, default 100
        Total weight ``alpha_0`` of the Dirichlet prior (log-odds only).

    Returns
    -------
    list of list of str
        Up to ``n_words`` words per group, best first.

    Examples
    --------
    >>> texts = ["zebra runs", "zebra sleeps", "cat runs", "dog sleeps", "cat eats"]
    >>> distinctive_words(texts, [[0, 1]], n_words=1)
    [['zebra']]
    """
    check_choice(method, "method", LABEL_METHODS)
    n_words = check_positive_int(n_words, "n_words")
    min_count = check_positive_int(min_count, "min_count")
    prior_scale = check_number(prior_scale, "prior_scale", 0, np.inf, low_open=True,
                               high_open=True)
    texts = _word_texts(texts)
    groups = _check_groups(groups, len(texts))
    D, vocab = _doc_term(texts, binary=method == "log_odds")
    return _group_words(D, vocab, groups, n_words, method, min_count, prior_scale)


def _word_texts(texts) -> list[str]:
    """``texts`` as a list of strings, missing texts (None, NaN) as ``""``."""
    if isinstance(texts, (str, bytes)):
        raise TypeError("texts must be a sequence of strings, got a single string; wrap it in "
                        "a list: [texts]")
    if not isinstance(texts, Iterable):
        raise TypeError(f"texts must be a sequence of strings, got {type(texts).__name__}")
    out, bad = [], []
    for i, text in enumerate(texts):
        if isinstance(text, str):
            out.append(text)
        elif text is None or (isinstance(text, float) and np.isnan(text)) or text is pd.NA:
            out.append("")
        else:
            out.append("")
            bad.append((i, text))
    if bad:
        examples = ", ".join(f"[{i}]={text!r}" for i, text in bad[:5])
        raise TypeError(f"texts must hold strings (None for a missing text); {len(bad)} "
                        f"item(s) are not: {examples}")
    return out


def _check_groups(groups, n: int) -> list[np.ndarray]:
    """Each group as an int64 array of row positions in ``[0, n)``."""
    checked = []
    for i, group in enumerate(groups):
        rows = np.atleast_1d(np.asarray(group))
        if rows.ndim != 1 or (rows.size and rows.dtype.kind not in "iu"):
            raise TypeError(f"groups[{i}] must be a 1-D array of row positions (integers), got "
                            f"{rows.dtype} of shape {rows.shape}")
        if rows.size and (rows.min() < 0 or rows.max() >= n):
            raise ValueError(f"groups[{i}] must lie in [0, {n}) (positions in texts), got "
                             f"{rows.min()}..{rows.max()}")
        checked.append(rows.astype(np.int64))
    return checked


def _group_words(D, vocab, groups, n_words, method, min_count, prior_scale) -> list[list[str]]:
    """:func:`distinctive_words` from the corpus's document-term matrix ``D`` (binary for
    log-odds, counts for c-TF-IDF) and its vocabulary: one vectorisation serves several
    groupings of the same texts."""
    if D.shape[1] == 0:
        return [[] for _ in groups]
    binary = method == "log_odds"
    select = _selection(groups, D.shape[0])
    presence = select @ (D > 0).astype(np.float64)
    Y = sp.csr_matrix(select @ D)
    corpus = np.asarray(D.sum(axis=0)).ravel()
    scores = _log_odds(Y, corpus, prior_scale) if binary else _ctfidf(Y, corpus)
    need = np.minimum([len(g) for g in groups], min_count)
    return [_best_words(scores, sp.csr_matrix(presence), i, need[i], vocab, n_words)
            for i in range(len(groups))]


def _best_words(scores, presence, i, need, vocab, n_words) -> list[str]:
    lo, hi = scores.indptr[i], scores.indptr[i + 1]
    cols, vals = scores.indices[lo:hi], scores.data[lo:hi]
    plo, phi = presence.indptr[i], presence.indptr[i + 1]
    counts = dict(zip(presence.indices[plo:phi], presence.data[plo:phi]))
    ok = np.array([counts.get(c, 0) >= need for c in cols], bool)
    if ok.size == 0 or not ok.any():
        return []
    cols, vals = cols[ok], vals[ok]
    order = np.lexsort((cols, -vals))[:n_words]
    return [str(vocab[c]) for c, v in zip(cols[order], vals[order]) if v > 0]
