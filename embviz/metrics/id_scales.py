"""Intrinsic dimension across scales: where in distance a number was read.

An ID estimate is read at the scale of the neighbours it uses. Small scales see noise (a
noisy curve reads as full-dimensional), large ones curvature and the manifold's extent; a
plateau between them is the dimension one can trust. Three curves:

- :func:`id_by_scale` with ``estimator="mle"``: Levina–Bickel MLE at neighbourhood sizes k;
- :func:`id_by_scale` with ``estimator="gride"``: Gride at neighbour ranks (n1, n2 = 2·n1)
  on one graph (Denti et al. 2022), with intervals;
- :func:`twonn_by_decimation`: TwoNN on disjoint random subsets of n/2, n/4, … rows, which
  moves the two nearest neighbours outwards (Facco et al. 2017, "decimation"), with
  intervals.

Every curve has a ``scale`` column: the mean distance to the farthest neighbour used (chord
distance √(2(1 − cos)) for cosine), so curves from different estimators share one axis.

Intervals. Gride's is the Wald interval d ± z·SE from the observed Fisher information
(DADApy's error); TwoNN's the exact χ²(2K) interval of a censored exponential sample. Both
assume independent ratios, the estimators' model, and their coverage is tested where it holds
(``tests/test_id_scales.py``). On a point cloud neighbouring points share neighbours: on
uniform balls the spread of TwoNN is 1.05–1.2 times the model's, so these intervals are
somewhat narrow there; :func:`~embviz.metrics.id_calibration.calibrated_twonn` measures that
spread instead.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
from scipy import stats

from .._validation import (
    check_choice,
    check_embeddings,
    check_number,
    check_positive_int,
    check_random_state,
)
from ..neighbors import METRICS, as_knn_graph
from .gride import gride_from_distances
from .intrinsic_dim import _graph_distances, mle

__all__ = ["id_by_scale", "id_scale_curve", "twonn_by_decimation"]

SCALE_ESTIMATORS = ("mle", "gride")
_DEFAULT_KS = {"mle": (5, 10, 20, 50, 100), "gride": (2, 4, 8, 16, 32, 64)}
_COLUMNS = ["k", "scale", "intrinsic_dimension", "ci_low", "ci_high"]


def id_by_scale(data, ks=None, estimator: str = "mle", metric: str = "cosine",
                confidence: float = 0.95) -> pd.DataFrame:
    """Intrinsic dimension as a function of neighbourhood size, from one graph.

    One graph is built at max(ks) (or the given graph is used) and cut for each k.

    Parameters
    ----------
    data : EmbeddingSet, array of shape (n, d), n > max(ks), or KNNGraph with at least max(ks)
        neighbours (built with ``metric``)
    ks : sequence of int, optional
        ``"mle"``: neighbourhood sizes (>= 2), default (5, 10, 20, 50, 100). ``"gride"``: the
        farther rank n2 (even, >= 2; n1 = n2/2), default (2, 4, 8, 16, 32, 64).
    estimator : {"mle", "gride"}, default "mle"
    metric : {"cosine", "euclidean"}, default "cosine"
    confidence : float in (0, 1), default 0.95
        Of Gride's Wald intervals (MLE rows have none: ``ci_low``/``ci_high`` are NaN).

    Returns
    -------
    pandas.DataFrame
        Columns ``k`` (int, increasing, unique), ``scale`` (mean distance to the k-th
        neighbour), ``intrinsic_dimension``, ``ci_low``, ``ci_high``.

    References
    ----------
    Levina & Bickel (2005), NeurIPS 17. Denti, Doimo, Laio & Mira (2022), Scientific
    Reports 12, 20005.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> id_by_scale(rng.normal(size=(500, 3)), ks=(5, 10)).shape
    (2, 5)
    """
    check_choice(estimator, "estimator", SCALE_ESTIMATORS)
    confidence = check_number(confidence, "confidence", 0, 1, low_open=True, high_open=True)
    ks = _check_ks(_DEFAULT_KS[estimator] if ks is None else ks, estimator)
    graph = as_knn_graph(data, ks[-1], "id_by_scale", metric, every_row=False)
    distances = _graph_distances(graph)
    z = stats.norm.ppf(0.5 + confidence / 2)
    rows = []
    for k in ks:
        if estimator == "mle":
            value, low, high = mle(graph.at_k(k), k=k, metric=metric), np.nan, np.nan
        else:
            value, se = gride_from_distances(distances, k // 2, k)
            low, high = max(value - z * se, 0.0), value + z * se
        rows.append((k, float(distances[:, k - 1].mean()), value, low, high))
    return pd.DataFrame(rows, columns=_COLUMNS).astype({"k": np.int64})


def _check_ks(ks, estimator: str) -> list[int]:
    if isinstance(ks, (int, np.integer)) or len(ks) == 0:
        raise ValueError(f"ks must be a non-empty sequence of integers >= 2, got {ks!r}")
    ks = sorted({check_positive_int(k, "ks[i]", minimum=2) for k in ks})
    if estimator == "gride" and any(k % 2 for k in ks):
        raise ValueError(f"ks of estimator='gride' are the ranks n2 = 2·n1 and must be even, "
                         f"got {ks}")
    return ks


def twonn_by_decimation(data, metric: str = "cosine", discard_fraction: float = 0.1,
                        min_rows: int = 64, max_rows: int = 10_000, confidence: float = 0.95,
                        random_state: int | None = 0, progress: bool = True) -> pd.DataFrame:
    """TwoNN of ever sparser samples: the rows split at random into 1, 2, 4, … disjoint subsets.

    At level j the rows are cut into 2^j subsets of ⌊n/2^j⌋ rows; each subset gets its own
    nearest neighbours, so r₁ and r₂ grow as the sample thins, and the censored TwoNN MLE
    pools the subsets' ratios (every row is used once). Levels whose subsets hold more than
    ``max_rows`` rows are skipped (Gride on the shared graph reads those fine scales), and at
    most 4·``max_rows`` rows are used per level.

    Parameters
    ----------
    data : EmbeddingSet or array of shape (n, d), n >= ``min_rows``
    metric : {"cosine", "euclidean"}, default "cosine"
    discard_fraction : float in [0, 0.5], default 0.1
        Share of each subset's largest ratios censored.
    min_rows : int >= 8, default 64
        The smallest subset (the last level).
    max_rows : int >= ``min_rows``, default 10,000
    confidence : float in (0, 1), default 0.95
        Of the exact χ²(2K) interval (independent ratios; see the module notes).
    random_state : int or None, default 0
        Seeds the splits.
    progress : bool, default True

    Returns
    -------
    pandas.DataFrame
        Columns ``n_rows`` (rows per subset, decreasing), ``n_subsets``, ``scale`` (mean
        distance to the second neighbour), ``intrinsic_dimension``, ``ci_low``, ``ci_high``.

    References
    ----------
    Facco, d'Errico, Rodriguez & Laio (2017), Scientific Reports 7, 12140 (decimation);
    DADApy's ``return_id_scaling_2NN``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> curve = twonn_by_decimation(rng.normal(size=(1024, 3)), metric="euclidean",
    ...                             progress=False)
    >>> curve["n_rows"].tolist()
    [1024, 512, 256, 128, 64]
    """
    from .._progress import progress_bar
    from .id_calibration import _censored, _log_ratios_and_scale

    check_choice(metric, "metric", METRICS)
    fraction = check_number(discard_fraction, "discard_fraction", 0, 0.5)
    min_rows = check_positive_int(min_rows, "min_rows", minimum=8)
    max_rows = check_positive_int(max_rows, "max_rows", minimum=min_rows)
    confidence = check_number(confidence, "confidence", 0, 1, low_open=True, high_open=True)
    rng = np.random.default_rng(check_random_state(random_state))
    X = check_embeddings(data, name="data", min_rows=min_rows)
    levels = [j for j in range(int(math.log2(len(X) / min_rows)) + 1)
              if len(X) // 2**j <= max_rows]
    rows = []
    for j in progress_bar(levels, desc="TwoNN by decimation", disable=not progress,
                          leave=False):
        size = len(X) // 2**j
        subsets = rng.permutation(len(X))[: size * min(2**j, max(1, 4 * max_rows // size))]
        parts = [_log_ratios_and_scale(X[np.sort(rows_)], metric)
                 for rows_ in subsets.reshape(-1, size)]
        if j == levels[0]:
            _warn_duplicates(sum(len(log_mu) for log_mu, _ in parts), len(subsets))
        value, low, high = _pooled_twonn([_censored(log_mu, fraction) for log_mu, _ in parts],
                                         confidence)
        rows.append((size, len(parts), float(np.mean([scale for _, scale in parts])), value,
                     low, high))
    return pd.DataFrame(rows, columns=["n_rows", "n_subsets", "scale", "intrinsic_dimension",
                                       "ci_low", "ci_high"])


def _warn_duplicates(used: int, n: int) -> None:
    if used < n:
        warnings.warn(f"twonn_by_decimation: left out {n - used} of {n} rows whose nearest "
                      f"neighbour is at distance 0 (exact duplicates)", UserWarning,
                      stacklevel=3)


def _pooled_twonn(censored: list[tuple[int, float]], confidence: float
                  ) -> tuple[float, float, float]:
    """Censored TwoNN MLE (K − 1)/T of pooled (K, T) pairs, and the exact interval
    χ²_{α/2, 1−α/2}(2K)/(2T) of independent Exponential(d) log-ratios."""
    K, T = sum(c[0] for c in censored), sum(c[1] for c in censored)
    low, high = stats.chi2.ppf([(1 - confidence) / 2, (1 + confidence) / 2], 2 * K) / (2 * T)
    return (K - 1) / T, float(low), float(high)


def id_scale_curve(data, graph=None, metric: str = "cosine", range_max: int = 64,
                   confidence: float = 0.95, random_state: int | None = 0,
                   progress: bool = True) -> pd.DataFrame:
    """Intrinsic dimension from the finest scale to the coarsest, as one curve.

    Gride at n1 = 1, 2, 4, … (n2 = 2·n1 ≤ ``range_max``) on the k-NN graph reads the fine
    and middle scales; TwoNN by decimation (:func:`twonn_by_decimation`) reads the coarse
    ones, where a sample thinned to 1/2, 1/4, … of its rows puts the two nearest neighbours
    farther out. Both share the ``scale`` axis (mean distance to the farthest neighbour used).

    Parameters
    ----------
    data : EmbeddingSet or array of shape (n, d), n > ``range_max``
    graph : KNNGraph, optional
        The graph of ``data`` (built with ``metric``, at least ``range_max`` neighbours) to
        reuse; one is built otherwise.
    metric : {"cosine", "euclidean"}, default "cosine"
    range_max : int >= 2, default 64
    confidence : float in (0, 1), default 0.95
    random_state : int or None, default 0
        Seeds the decimation's splits.
    progress : bool, default True

    Returns
    -------
    pandas.DataFrame
        ``estimator`` ("Gride" or "TwoNN, decimated"), ``neighbours`` (the ranks n1/n2, or
        the rows per subset), ``scale``, ``intrinsic_dimension``, ``ci_low``, ``ci_high``,
        sorted by scale within each estimator.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> curve = id_scale_curve(rng.normal(size=(500, 3)), metric="euclidean", progress=False)
    >>> sorted(set(curve["estimator"]))
    ['Gride', 'TwoNN, decimated']
    """
    from ..neighbors import check_knn_graph
    from .gride import gride_scales

    range_max = check_positive_int(range_max, "range_max", minimum=2)
    X = check_embeddings(data, name="data", min_rows=range_max + 1)
    if graph is None:
        graph = as_knn_graph(X, range_max, "id_scale_curve", metric, progress=progress)
    else:
        graph = check_knn_graph(graph, range_max, metric, "id_scale_curve", X=X)
    gride = gride_scales(graph, range_max, confidence)
    decimated = twonn_by_decimation(X, metric=metric, min_rows=max(8, min(64, len(X))),
                                    confidence=confidence, random_state=random_state,
                                    progress=progress)  # fewer than 64 rows: one level
    parts = [
        gride.assign(estimator="Gride", neighbours=[f"n1={a}, n2={b}" for a, b in
                                                    zip(gride["n1"], gride["n2"], strict=True)]),
        decimated.assign(estimator="TwoNN, decimated",
                         neighbours=[f"{rows:,} rows x {subsets}" for rows, subsets in
                                     zip(decimated["n_rows"], decimated["n_subsets"],
                                         strict=True)])]
    columns = ["estimator", "neighbours", "scale", "intrinsic_dimension", "ci_low", "ci_high"]
    return pd.concat([part[columns] for part in parts], ignore_index=True)
