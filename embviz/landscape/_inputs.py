"""Shared by the landscape functions: entry-point checks (vectors, their graph, their texts)
and the numbering of groups by size. Rows are checked by :func:`embviz._validation.check_rows`."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._validation import check_choice, check_embeddings, check_positive_int
from ..neighbors import METRICS, KNNGraph, _check_graph, _knn_graph


def vectors_and_graph(data: Any, graph: KNNGraph | None, k: int, metric: str, what: str,
                      progress: bool, min_rows: int = 3) -> tuple[np.ndarray, KNNGraph]:
    """``data`` as an array ``(n, d)`` and its kNN graph with at least ``k`` neighbours.

    The door of the landscape functions: ``data`` is checked once, a given graph once (metric,
    width, the same points as ``data``: :func:`~embviz.neighbors.check_knn_graph`, against
    the checked rows); without one, the exact graph is built here. What follows calls
    kernels.
    """
    check_choice(metric, "metric", METRICS)
    k = check_positive_int(k, "k")
    X = check_embeddings(data, name="data", min_rows=min_rows)
    if k >= len(X):
        raise ValueError(f"{what} uses k={k} neighbours per row and needs more than k rows; "
                         f"data has n={len(X)}: lower k")
    if graph is None:
        return X, _knn_graph(X, k, metric, progress=progress)
    return X, _check_graph(graph, k, metric, what, X)


def number_by_size(membership: np.ndarray) -> np.ndarray:
    """Groups ``0..c-1`` renumbered by decreasing size (ties: the group met first)."""
    sizes = np.bincount(membership)
    first = np.full(len(sizes), len(membership))
    np.minimum.at(first, membership, np.arange(len(membership)))
    rank = np.empty(len(sizes), np.int64)
    rank[np.lexsort((first, -sizes))] = np.arange(len(sizes))
    return rank[membership]
