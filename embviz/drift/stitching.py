"""Zero-shot stitching and retrieval through relative representations (Moschella et al. 2023).

Two models embed the same texts. A classifier is trained on one model's *relative*
representations (each text's cosine similarities to a set of shared anchor texts) and applied,
unchanged, to the other model's relative representations of held-out texts. Because both
models see the same anchor texts, the relative coordinates correspond one to one even when
the absolute dimensions differ (384 vs 768); absolute coordinates have no such
correspondence. :func:`zero_shot_stitching` reports the stitched accuracy beside the
within-model ceilings, an absolute baseline (each model's own PCA to the same width),
a shuffled-anchor control and chance; :func:`relative_retrieval` searches one model's relative
vectors with the other's; :func:`shuffled_anchor_agreement` is the null distribution of
:func:`embviz.drift.relative_agreement` when the anchor correspondence is broken.

scikit-learn is imported when :func:`zero_shot_stitching` runs.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .._blocks import unit_rows
from .._progress import progress_bar
from .._tables import result_table
from .._validation import check_number, check_positive_int
from ..stats import wilson_interval
from .compare import _paired

__all__ = ["relative_retrieval", "relative_vectors", "shuffled_anchor_agreement",
           "zero_shot_stitching"]

#: How the intervals of this module are made, for the result's ``parameters``.
CI_METHOD = "Wilson score over test texts (classifier and anchors fixed)"


def relative_vectors(Xu: np.ndarray, anchor_rows: np.ndarray, zscore: bool = True
                     ) -> np.ndarray:
    """Relative representation of unit rows: cosine to the anchor rows, optionally z-scored.

    Parameters
    ----------
    Xu : ndarray of shape (n, d)
        Unit-norm rows of one model.
    anchor_rows : ndarray of int, shape (m,)
        Rows of ``Xu`` that are the anchors, in the shared order.
    zscore : bool, default True
        Centre and scale each row's m cosines (its profile over the anchors) to mean 0 and
        standard deviation 1, so that a model whose cosines are all higher (anisotropy) or
        more spread does not shift the representation. Uses no other row, so it is as
        zero-shot as the cosines themselves.

    Returns
    -------
    ndarray of shape (n, m), float64

    References
    ----------
    Moschella et al. (2023), "Relative representations enable zero-shot latent space
    communication", ICLR (cosine to anchors, Eq. 1).
    """
    Xu = np.asarray(Xu, np.float64)
    return _relative_to(Xu, np.arange(len(Xu)), np.asarray(anchor_rows), zscore)


def _anchor_rows(rows, n: int, name: str = "anchor_rows") -> np.ndarray:
    rows = np.asarray(rows)
    if rows.dtype.kind not in "iu" or rows.ndim != 1 or rows.size < 3:
        raise ValueError(f"{name} must be a 1-D array of at least 3 row numbers")
    if rows.min() < 0 or rows.max() >= n:
        raise ValueError(f"{name} must be in [0, {n})")
    if len(np.unique(rows)) != len(rows):
        raise ValueError(f"{name} must not repeat a row")
    return rows.astype(np.int64)


def _split(n: int, labels: np.ndarray, n_anchors: int, train_fraction: float,
           rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    order = rng.permutation(n)
    n_train = int(round(train_fraction * n))
    train, test = np.sort(order[:n_train]), np.sort(order[n_train:])
    if n_anchors > n_train or len(test) < 1 or len(np.unique(labels[train])) < 2:
        raise ValueError(f"need n_anchors <= n_train, >= 1 test text and >= 2 classes among "
                         f"the training texts; got n_anchors={n_anchors}, n_train={n_train}, "
                         f"n_test={len(test)}")
    anchors = np.sort(rng.choice(train, n_anchors, replace=False))
    return train, test, anchors


def _accuracy_row(metric: str, setting: str, train_on: str, test_on: str, correct: np.ndarray,
                  confidence: float, parameters: dict) -> dict:
    hits, m = int(correct.sum()), len(correct)
    interval = wilson_interval(hits, m, confidence)
    return {"metric": metric, "value": hits / m, "ci_low": float(interval.ci_low),
            "ci_high": float(interval.ci_high),
            "parameters": {**parameters, "ci_method": CI_METHOD, "confidence": confidence},
            "setting": setting, "train_on": train_on, "test_on": test_on, "n_test": m}


def zero_shot_stitching(a, b, labels, n_anchors: int = 100, train_fraction: float = 0.5,
                        zscore: bool = True, absolute_dim: int | None = None, C: float = 1.0,
                        confidence: float = 0.95, names: tuple[str, str] = ("a", "b"),
                        random_state: int | None = 0) -> pd.DataFrame:
    """Train a classifier on model a's relative representations, test it on model b's.

    Parameters
    ----------
    a : EmbeddingSet, array or tensor of shape (n, d1)
    b : EmbeddingSet, array or tensor of shape (n, d2)
        The same n texts in the same order (d1 and d2 may differ).
    labels : array-like of shape (n,)
        Class of each text (e.g. WordNet lexicographer category).
    n_anchors : int, default 100
        Anchor texts, drawn from the training texts; both models embed the same anchors.
    train_fraction : float in (0, 1), default 0.5
        Share of texts the classifier is trained on; the rest are the test texts (anchors
        are training texts, so no test text is an anchor).
    zscore : bool, default True
        Z-score each relative vector over its anchors (:func:`relative_vectors`).
    absolute_dim : int or None
        Width of the absolute baseline (each model's own whitened PCA, fit on its training
        texts); default ``n_anchors``, the width of the relative representation.
    C : float, default 1.0
        Inverse L2 penalty of the multinomial logistic regression (scikit-learn, lbfgs).
    confidence : float in (0, 1), default 0.95
    names : (str, str)
        Names of the two models in the ``train_on`` / ``test_on`` columns.
    random_state : int or None, default 0
        Seeds the split, the anchors and the anchor permutation of the control.

    Returns
    -------
    pandas.DataFrame
        Long result table (``metric, value, ci_low, ci_high, parameters``, then ``setting``,
        ``train_on``, ``test_on``, ``n_test``); ``value`` is test accuracy. Rows:

        - ``stitched_relative``: trained on a's relative vectors, tested on b's (and
          ``stitched_relative_reverse``: b → a) — Moschella et al.'s zero-shot stitching;
        - ``ceiling_relative_a`` / ``_b``: trained and tested within one model, relative;
        - ``ceiling_absolute_a`` / ``_b``: within one model, its full absolute embedding;
        - ``stitched_absolute_pca``: trained on a's own PCA coordinates, tested on b's own
          PCA coordinates of the same width — absolute coordinates of two models do not
          correspond, so this is expected near chance;
        - ``stitched_relative_shuffled``: as ``stitched_relative`` but b's anchors in a
          random permutation (the same anchor texts, the correspondence broken);
        - ``chance``: share of test texts in the training texts' most frequent class.

        Intervals are Wilson score intervals over the test texts, with the classifier and
        anchors fixed (they do not include the variation from refitting on another split).

    References
    ----------
    Moschella et al. (2023), "Relative representations enable zero-shot latent space
    communication", ICLR, Sec. 5 (zero-shot model stitching).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(400, 8)); y = (X[:, 0] > 0).astype(int)
    >>> Q = np.linalg.qr(rng.normal(size=(8, 8)))[0]   # b is a rotation of a
    >>> t = zero_shot_stitching(X, X @ Q, y, n_anchors=20)
    >>> bool(t.set_index("metric").loc["stitched_relative", "value"] > 0.9)
    True
    """
    from sklearn.decomposition import PCA
    from sklearn.linear_model import LogisticRegression

    A, B = _paired(a, b, 8)
    y = np.asarray(labels)
    if y.ndim != 1 or len(y) != len(A):
        raise ValueError(f"labels must be 1-D with one entry per text ({len(A)}), got shape "
                         f"{y.shape}")
    n_anchors = check_positive_int(n_anchors, "n_anchors", 3)
    train_fraction = check_number(train_fraction, "train_fraction", 0, 1, low_open=True,
                                  high_open=True)
    check_number(C, "C", 0, np.inf, low_open=True, high_open=True)
    width = n_anchors if absolute_dim is None else check_positive_int(absolute_dim,
                                                                      "absolute_dim")
    rng = np.random.default_rng(random_state)
    train, test, anchors = _split(len(A), y, n_anchors, train_fraction, rng)
    width = min(width, len(train), A.shape[1], B.shape[1])
    Au, Bu = unit_rows(A, name="a"), unit_rows(B, name="b")
    rel = {names[0]: relative_vectors(Au, anchors, zscore),
           names[1]: relative_vectors(Bu, anchors, zscore)}
    shuffled = relative_vectors(Bu, rng.permutation(anchors), zscore)

    def fit(X):
        return LogisticRegression(C=C, max_iter=3000).fit(X[train], y[train])

    params = {"n_anchors": n_anchors, "n_train": len(train), "zscore": zscore, "C": C}
    na, nb = names
    rows = []
    clf = {na: fit(rel[na]), nb: fit(rel[nb])}
    rows.append(_accuracy_row("stitched_relative", "relative, stitched", na, nb,
                              clf[na].predict(rel[nb][test]) == y[test], confidence, params))
    rows.append(_accuracy_row("stitched_relative_reverse", "relative, stitched", nb, na,
                              clf[nb].predict(rel[na][test]) == y[test], confidence, params))
    for suffix, name in (("a", na), ("b", nb)):
        rows.append(_accuracy_row(f"ceiling_relative_{suffix}", "relative, same model", name,
                                  name, clf[name].predict(rel[name][test]) == y[test],
                                  confidence, params))
    for suffix, name, U in (("a", na, Au), ("b", nb, Bu)):
        rows.append(_accuracy_row(f"ceiling_absolute_{suffix}", "absolute, same model", name,
                                  name, fit(U).predict(U[test]) == y[test], confidence,
                                  {**params, "dimensions": U.shape[1]}))
    pcs = [PCA(width, whiten=True, random_state=0).fit(U[train]).transform(U) for U in (Au, Bu)]
    rows.append(_accuracy_row("stitched_absolute_pca", "absolute (own PCA), stitched", na, nb,
                              fit(pcs[0]).predict(pcs[1][test]) == y[test], confidence,
                              {**params, "pca_dimensions": width}))
    rows.append(_accuracy_row("stitched_relative_shuffled", "relative, anchors shuffled", na,
                              nb, clf[na].predict(shuffled[test]) == y[test], confidence,
                              params))
    values, counts = np.unique(y[train], return_counts=True)
    rows.append(_accuracy_row("chance", "chance (majority class)", na, nb,
                              y[test] == values[np.argmax(counts)], confidence, params))
    return result_table(rows)


def relative_retrieval(a, b, anchor_rows, query_rows, k: int = 10, zscore: bool = True,
                       shuffle_anchors: bool = False, confidence: float = 0.95,
                       random_state: int | None = 0) -> dict[str, Any]:
    """Find each query text's own row in model b's relative space from model a's vector.

    Parameters
    ----------
    a : EmbeddingSet, array or tensor of shape (n, d1)
    b : EmbeddingSet, array or tensor of shape (n, d2)
        The same texts in the same order.
    anchor_rows : array of int, shape (m,)
        Shared anchors (m >= 3).
    query_rows : array of int, shape (q,)
        Texts searched for; they are both the queries (in a) and the searched pool (in b),
        and should exclude the anchors.
    k : int, default 10
        Neighbourhood size of the hit rate: a hit is a query whose own row is among the k
        nearest neighbours of its relative vector in b.
    zscore : bool, default True
        Of :func:`relative_vectors`.
    shuffle_anchors : bool, default False
        Control: b's anchors in a random permutation (correspondence broken).
    confidence : float in (0, 1), default 0.95
    random_state : int or None, default 0
        Seeds the permutation of the control.

    Returns
    -------
    dict
        ``top1`` and ``hit_at_k`` (share of queries whose own text is the first / among the
        k nearest of the q candidates, by cosine of relative vectors), their Wilson
        intervals over the queries (``top1_ci_low``, ``top1_ci_high``, ``hit_at_k_ci_low``,
        ``hit_at_k_ci_high``; :func:`embviz.stats.wilson_interval`), ``mean_rank`` (1 =
        best), the chance rates ``chance_top1`` = 1/q and ``chance_hit_at_k`` = k/q,
        ``k``, ``n_queries``, ``n_anchors``.

    References
    ----------
    Moschella et al. (2023), ICLR, Sec. 4 (latent-space similarity and retrieval across
    spaces via relative representations).
    """
    A, B = _paired(a, b, 4)
    anchors = _anchor_rows(anchor_rows, len(A))
    queries = _anchor_rows(query_rows, len(A), "query_rows")
    k = check_positive_int(k, "k")
    if k > len(queries):
        raise ValueError(f"k must be <= the number of queries ({len(queries)}), got {k}")
    Au, Bu = unit_rows(A, name="a"), unit_rows(B, name="b")
    b_anchors = (np.random.default_rng(random_state).permutation(anchors) if shuffle_anchors
                 else anchors)
    Ra = unit_rows(_relative_to(Au, queries, anchors, zscore), name="relative a")
    Rb = unit_rows(_relative_to(Bu, queries, b_anchors, zscore), name="relative b")
    S = Ra @ Rb.T
    own = np.diag(S)
    rank = 1 + (S > own[:, None]).sum(axis=1)
    q = len(queries)
    top1, hit = int((rank == 1).sum()), int((rank <= k).sum())
    ci1, cik = wilson_interval(top1, q, confidence), wilson_interval(hit, q, confidence)
    return {"top1": top1 / q, "top1_ci_low": float(ci1.ci_low),
            "top1_ci_high": float(ci1.ci_high), "hit_at_k": hit / q,
            "hit_at_k_ci_low": float(cik.ci_low), "hit_at_k_ci_high": float(cik.ci_high),
            "mean_rank": float(rank.mean()), "chance_top1": 1 / q, "chance_hit_at_k": k / q,
            "k": k, "n_queries": q, "n_anchors": len(anchors), "ci_method": CI_METHOD}


def _relative_to(Xu: np.ndarray, rows: np.ndarray, anchors: np.ndarray, zscore: bool
                 ) -> np.ndarray:
    """Relative vectors of ``Xu[rows]`` to ``Xu[anchors]`` (z-scored per row if asked)."""
    R = Xu[rows] @ Xu[anchors].T
    if zscore:
        R = R - R.mean(axis=1, keepdims=True)
        sd = R.std(axis=1, keepdims=True)
        R = R / np.where(sd > 0, sd, 1.0)
    return R


def shuffled_anchor_agreement(a, b, anchor_rows, n_permutations: int = 100,
                              random_state: int | None = 0, progress: bool = True
                              ) -> np.ndarray:
    """Mean relative-representation agreement when b's anchors are randomly permuted.

    The null distribution of ``relative_agreement(a, b, anchor_rows).mean()``: the same
    anchor texts in both models, but text j's cosine to anchor i in a is paired with its
    cosine to anchor π(i) in b. Whatever agreement survives the permutation comes from the
    profile's shape alone, not from the correspondence of anchors.

    Parameters
    ----------
    a : EmbeddingSet, array or tensor of shape (n, d1)
    b : EmbeddingSet, array or tensor of shape (n, d2)
        The same texts in the same order.
    anchor_rows : array of int, shape (m,)
        Rows used as anchors (m >= 3).
    n_permutations : int, default 100
        Random permutations of b's anchors.
    random_state : int or None, default 0
    progress : bool, default True
        A progress bar over the permutations.

    Returns
    -------
    ndarray of shape (n_permutations,)
        Mean over texts of the per-text Pearson agreement (as in
        :func:`embviz.drift.relative_agreement`) under each permutation.

    References
    ----------
    Moschella et al. (2023), ICLR.
    """
    A, B = _paired(a, b, 2)
    anchors = _anchor_rows(anchor_rows, len(A))
    n_permutations = check_positive_int(n_permutations, "n_permutations")
    Au, Bu = unit_rows(A, name="a"), unit_rows(B, name="b")
    rx = Au @ Au[anchors].T
    rx = rx - rx.mean(1, keepdims=True)
    rx /= np.linalg.norm(rx, axis=1, keepdims=True)
    ry_all = Bu @ Bu[anchors].T
    rng = np.random.default_rng(random_state)
    out = np.empty(n_permutations)
    for i in progress_bar(range(n_permutations), desc="shuffled anchors",
                          unit="permutation", disable=not progress):
        ry = ry_all[:, rng.permutation(len(anchors))]
        ry = ry - ry.mean(1, keepdims=True)
        ry /= np.linalg.norm(ry, axis=1, keepdims=True)
        out[i] = float((rx * ry).sum(1).mean())
    return out
