"""Geometry reports: every measure of an embedding cloud from one shared kNN graph.

``geometry_report`` builds one kNN graph (at the largest neighbourhood any measure needs) and
derives intrinsic dimension, local intrinsic dimension and hubness from it; isotropy comes from
the vectors' second moments. ``layerwise_report`` and ``dimensionwise_report`` repeat it over
layers and over first-d truncations.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .._validation import (
    check_choice,
    check_embeddings,
    check_positive_int,
    check_replicates,
    unit_rows,
)
from .hubness import (
    antihub_occurrence,
    hub_occurrence,
    hubness_skewness,
    knn_classification_error,
    robin_hood,
)
from .intrinsic_dim import local_intrinsic_dimension, mle, pca_dimension, twonn
from .isotropy import (
    average_cosine,
    effective_rank,
    effective_rank_from_gram_eigenvalues,
    isoscore,
    isoscore_from_variances,
    partition_isotropy,
    scaled_pca_variances,
    top_pc_variance_share,
)

__all__ = ["dimensionwise_report", "geometry_report", "layerwise_report"]

_COLUMNS = ["metric", "value", "ci_low", "ci_high", "parameters"]
_ISOTROPY = {"isoscore": isoscore, "partition_isotropy": partition_isotropy,
             "average_cosine": average_cosine, "effective_rank": effective_rank,
             "top_pc_variance_share": top_pc_variance_share}


def _vectors(data) -> np.ndarray:
    return check_embeddings(data, name="data", min_rows=3)


def _isotropy_values(X: np.ndarray) -> list[float]:
    """The five isotropy measures of one sample, in ``_ISOTROPY`` order, from one spectrum."""
    variances, _ = scaled_pca_variances(X)  # the scale-free measures need no more
    return [isoscore_from_variances(variances), partition_isotropy(X), average_cosine(X),
            effective_rank_from_gram_eigenvalues(variances),
            float(variances[0] / variances.sum())]


def _isotropy_rows(X: np.ndarray, ci: bool, n_resamples: int, random_state) -> list[tuple]:
    """Values and, with ``ci``, percentile bootstrap intervals over shared resamples.

    Every measure sees the same resampled rows, drawn exactly as :func:`bootstrap_ci` draws
    them with this ``random_state``, so the intervals equal per-measure ``bootstrap_ci`` calls
    while the PCA spectrum of each resample is computed once.
    """
    values = _isotropy_values(X)
    lows = highs = [np.nan] * len(values)
    if ci:
        n_resamples = check_replicates(n_resamples, "n_resamples", minimum=10)
        rng = np.random.default_rng(random_state)
        draws = np.array([_isotropy_values(X[rng.choice(len(X), len(X), replace=True)])
                          for _ in range(n_resamples)])
        lows, highs = np.quantile(draws, [0.025, 0.975], axis=0)
    return [(name, value, low, high, f"bootstrap={n_resamples if ci else 0}")
            for name, value, low, high in zip(_ISOTROPY, values, lows, highs)]


def _id_rows(graph, X: np.ndarray, mle_k: int, local_k: int,
             progress: bool) -> list[tuple]:
    nan, metric = np.nan, graph.metric
    rows = [("twonn", twonn(graph, estimator="linear", metric=metric), nan, nan,
             "discard=0.1"),
            ("twonn_mle", twonn(graph, estimator="mle", metric=metric), nan, nan,
             "discard=0.1 (censored)"),
            ("mle", mle(graph, k=mle_k, metric=metric), nan, nan, f"k={mle_k}"),
            ("pca_dimension", pca_dimension(X, threshold=0.9), nan, nan, "variance=0.9")]
    local = local_intrinsic_dimension(graph, k=local_k, metric=metric, X=X,
                                      progress=progress)
    local = local[np.isfinite(local)]
    half = 1.96 * local.std(ddof=1) / np.sqrt(len(local))
    rows += [("local_intrinsic_dimension_mean", float(local.mean()), local.mean() - half,
              local.mean() + half, f"local_k={local_k}"),
             ("local_intrinsic_dimension_median", float(np.median(local)), nan, nan,
              f"local_k={local_k}")]
    return rows


def _hubness_rows(graph, k: int) -> list[tuple]:
    nan, params, metric = np.nan, f"k={k}", graph.metric
    return [("hubness_skewness", hubness_skewness(graph, k=k, metric=metric), nan, nan, params),
            ("robin_hood", robin_hood(graph, k=k, metric=metric), nan, nan, params),
            ("hub_occurrence", hub_occurrence(graph, k=k, metric=metric), nan, nan,
             params + ", hub_size=2"),
            ("antihub_occurrence", antihub_occurrence(graph, k=k, metric=metric), nan, nan,
             params)]


def geometry_report(data, k: int = 10, metric: str = "cosine", mle_k: int = 20,
                    local_k: int = 128, labels=None,
                    ci: bool = False, n_resamples: int = 100, random_state: int | None = 0,
                    graph=None, progress: bool = True) -> pd.DataFrame:
    """Isotropy, intrinsic dimension (global and local) and hubness, from one kNN graph.

    Parameters
    ----------
    data : array of shape (n, d) or EmbeddingSet
    k : int, default 10
        Neighbourhood of the hubness measures (and of ``knn_error``).
    metric : {"cosine", "euclidean"}, default "cosine"
        Neighbourhoods by cosine distance (the ID estimators take ratios of chord distances
        √(2(1 − cos)), Euclidean distances between unit rows, a true metric) or by Euclidean
        distance of the raw vectors. Every neighbour-based row names it in ``parameters``.
    mle_k : int, default 20
        Neighbours of the Levina–Bickel MLE.
    local_k : int, default 128
        L of the local intrinsic dimension (Ruppik et al., "Less is More"), computed for every
        point; the report gives its mean (with the mean's normal 95% interval) and median.
    labels : array of length n, optional
        Adds the leave-one-out k-NN classification error.
    ci : bool, default False
        Bootstrap 95% intervals of the isotropy measures (``n_resamples`` resamples; costs
        ``n_resamples`` times the isotropy part). Neighbour-based measures have no interval.
    random_state : int or None, default 0
        Seeds the bootstrap.
    graph : KNNGraph, optional
        A precomputed graph to reuse: over every row of ``data``, with at least
        max(k, mle_k, local_k) neighbours, built with ``metric`` (checked by
        :func:`~embviz.neighbors.check_knn_graph`); none is built then.
    progress : bool

    Returns
    -------
    pandas.DataFrame
        Columns ``metric``, ``value``, ``ci_low``, ``ci_high``, ``parameters``.
    """
    X = _vectors(data)
    check_choice(metric, "metric", ["cosine", "euclidean"])
    k_max = max(check_positive_int(k, "k"), check_positive_int(mle_k, "mle_k"),
                check_positive_int(local_k, "local_k"))
    if k_max >= len(X):
        raise ValueError(f"the report needs more than max(k, mle_k, local_k) = {k_max} "
                         f"rows, got n={len(X)}; lower local_k")
    space = unit_rows(X, X.dtype) if metric == "cosine" else X  # where distances are Euclidean
    graph = _report_graph(space, k_max, metric, graph, progress)
    rows = [("n", len(X), np.nan, np.nan, ""), ("d", X.shape[1], np.nan, np.nan, "")]
    rows += _isotropy_rows(X, ci, n_resamples, random_state)
    rows += _id_rows(graph, space, mle_k, local_k, progress)
    rows += _hubness_rows(graph, k)
    if labels is not None:
        rows.append(("knn_error", knn_classification_error(graph, labels, k=k, metric=metric),
                     np.nan, np.nan, f"k={k}"))
    table = pd.DataFrame(rows, columns=_COLUMNS)
    geometric = ~table["metric"].isin(["n", "d", *_ISOTROPY])  # depends on the metric
    table.loc[geometric, "parameters"] = [f"{p}, metric={metric}".lstrip(", ")
                                          for p in table.loc[geometric, "parameters"]]
    return table


def _report_graph(space: np.ndarray, k_max: int, metric: str, graph, progress: bool):
    """The given graph (checked against ``space``), else the graph of ``space``."""
    from ..neighbors import check_knn_graph, knn_graph

    if graph is not None:
        return check_knn_graph(graph, k_max, metric, "geometry_report", X=space)
    return knn_graph(space, k=k_max, metric=metric, progress=progress)


def layerwise_report(layers, **kwargs) -> pd.DataFrame:
    """:func:`geometry_report` of each layer, stacked with a ``layer`` column.

    Parameters
    ----------
    layers : array of shape (n_layers, n, d), or a sequence of EmbeddingSets / (n, d) arrays
        E.g. ``Encoder.encode_layers(texts)``.
    **kwargs
        Passed to :func:`geometry_report`.

    Returns
    -------
    pandas.DataFrame
        ``layer`` + the report's columns.
    """
    if isinstance(layers, np.ndarray) and layers.ndim != 3:
        raise ValueError(f"layers must have shape (n_layers, n, d), got {layers.shape}")
    tables = []
    for i, layer in enumerate(layers):
        table = geometry_report(layer, **kwargs)
        table.insert(0, "layer", getattr(layer, "provenance", {}).get("layer", i))
        tables.append(table)
    return pd.concat(tables, ignore_index=True)


def dimensionwise_report(data, dims: Sequence[int] | None = None, **kwargs) -> pd.DataFrame:
    """:func:`geometry_report` of the first-``d`` truncations of the vectors.

    The truncation analysis of Tsukagoshi & Sasano (2025), "Redundancy, Isotropy, and
    Intrinsic Dimensionality of Prompt-based Text Embeddings", Findings of ACL 2025,
    arXiv:2506.01435: how much of the geometry survives when only the first d dimensions are
    kept.

    Parameters
    ----------
    data : array of shape (n, d) or EmbeddingSet
    dims : sequence of int, optional
        Truncation sizes (default: powers of two from 8 up to d, and d).
    **kwargs
        Passed to :func:`geometry_report`.

    Returns
    -------
    pandas.DataFrame
        ``dims`` + the report's columns.
    """
    X = _vectors(data)
    d = X.shape[1]
    if dims is None:
        dims = sorted({*(2**p for p in range(3, int(np.log2(d)) + 1)), d})
    bad = [m for m in dims if not 2 <= int(m) <= d]
    if bad:
        raise ValueError(f"dims must lie in [2, {d}], got {bad}")
    tables = []
    for m in dims:
        table = geometry_report(X[:, : int(m)], **kwargs)
        table.insert(0, "dims", int(m))
        tables.append(table)
    return pd.concat(tables, ignore_index=True)
