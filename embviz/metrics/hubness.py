"""Hubness of a k-nearest-neighbour graph: how unevenly points are chosen as neighbours.

In high dimension a few points (hubs) appear in very many k-NN lists and many (anti-hubs)
in none. Every measure here is a function of the k-occurrence N_k(x), the number of k-NN
lists that contain x, read from a shared :class:`~embviz.neighbors.KNNGraph` (build it once
at the largest k you need; each measure slices it with :meth:`KNNGraph.at_k`). An
EmbeddingSet or array is accepted too, in which case a graph with ``metric`` (default cosine)
is built for that call; a given graph must have been built with ``metric``.

Exact duplicates. Neighbours at the same distance are listed by row number, so a row with more
than k exact copies makes its lowest-numbered copies hubs: building the graph warns about such
rows, and refuses X in which every row has that many (all rows identical, say), whose
k-occurrence would describe only the row order (:mod:`embviz.neighbors`, "Ties").

:func:`knn_predictions` and :func:`knn_classification_error` read the same graph as a
leave-one-out k-NN classifier: the semantic check of a hubness reduction (Nielsen & Hansen
2024; see :mod:`embviz.metrics.hubness_reduction`).

Definitions follow scikit-hubness (Feldbauer, Flexer & Rattei 2020; ``skhubness 0.21.2``,
``skhubness/analysis/estimation.py``) except where a docstring says otherwise.

Convention of the k-occurrence. **A point is not its own neighbour**: each k-NN list holds k
other points, so N_k sums to n·k and its mean is exactly k; **hubs are points with
N_k > hub_size·k** (strictly), anti-hubs points with N_k = 0. scikit-hubness 0.30's
``Hubness.fit`` builds its graph with ``kneighbors_graph(..., include_self=True)``: every
point counts itself as one of its k neighbours, so its lists hold k − 1 other points and each
N_k is one more than its count of others (no point is ever an anti-hub there). Its numbers
at k therefore match ours at k − 1 plus one self-count; compare at the same list contents.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._tables import result_table
from .._validation import check_number
from ..neighbors import KNNGraph, as_knn_graph

__all__ = ["antihub_occurrence", "antihubs", "atkinson_index", "gini_index", "hub_occurrence",
           "hubness_skewness", "hubness_summary", "hubs", "k_occurrence",
           "knn_classification_error", "knn_predictions", "robin_hood"]

_BLOCK_FLOATS = 1 << 22  # 4M entries per block of the k-NN vote


def _occurrence(graph: KNNGraph) -> np.ndarray:
    return np.bincount(graph.indices.ravel(), minlength=graph.n).astype(np.int64)


def _skewness(occurrence: np.ndarray) -> float:
    centred = occurrence - occurrence.mean()
    variance = np.mean(centred**2)
    if variance == 0:  # every point is chosen equally often: perfectly symmetric
        return 0.0
    return float(np.mean(centred**3) / variance**1.5)


def _robin_hood(occurrence: np.ndarray, k: int) -> float:
    return float(np.abs(occurrence - k).sum() / (2 * occurrence.sum()))


def _gini(occurrence: np.ndarray) -> float:
    """Σ_i Σ_j |N_i − N_j| / (2 n Σ N), as Σ_i (2i − n − 1) N_(i) / (n Σ N) over sorted N."""
    ordered = np.sort(occurrence).astype(np.float64)
    n = len(ordered)
    return float(((2 * np.arange(1, n + 1) - n - 1) * ordered).sum() / (n * ordered.sum()))


def _atkinson(occurrence: np.ndarray, epsilon: float) -> float:
    """1 − (generalised mean of order 1 − ε) / mean; ε = 1 is the geometric mean."""
    values = occurrence.astype(np.float64)
    if epsilon == 1:
        with np.errstate(divide="ignore"):
            term = float(np.exp(np.mean(np.log(values))))
    else:
        term = float(np.mean(values ** (1 - epsilon)) ** (1 / (1 - epsilon)))
    return 1.0 - term / values.mean()


def _hub_rows(occurrence: np.ndarray, k: int, hub_size: float) -> np.ndarray:
    return np.flatnonzero(occurrence > hub_size * k)


def _hub_share(occurrence: np.ndarray, k: int, hub_size: float) -> float:
    """Share of the k-NN slots held by hubs (:func:`hub_occurrence` of a k-occurrence)."""
    return float(occurrence[_hub_rows(occurrence, k, hub_size)].sum() / occurrence.sum())


def _antihub_share(occurrence: np.ndarray) -> float:
    """Share of points in no k-NN list (:func:`antihub_occurrence` of a k-occurrence)."""
    return float(np.mean(occurrence == 0))


def k_occurrence(data, k: int = 10, metric: str = "cosine") -> np.ndarray:
    """N_k(x): in how many k-nearest-neighbour lists each point appears.

    Parameters
    ----------
    data : KNNGraph with ``graph.k >= k`` over all rows, EmbeddingSet or array (n, d)
        An array gets a graph (:func:`~embviz.neighbors.knn_graph`) with ``metric``.
    k : int, default 10
        Neighbourhood size: each point's k nearest neighbours (the first k of a given
        graph's).
    metric : {"cosine", "euclidean"}, default "cosine"
        Of the graph built here; a given graph must have been built with it.

    Returns
    -------
    ndarray of shape (n,), int64
        Sums to n·k; its mean is exactly k.

    Examples
    --------
    >>> g = KNNGraph(np.array([[1], [0], [0]]), np.zeros((3, 1), np.float32), "cosine", "toy")
    >>> k_occurrence(g, k=1).tolist()
    [2, 1, 0]
    """
    return _occurrence(as_knn_graph(data, k, "hubness", metric))


def hubness_skewness(data, k: int = 10, metric: str = "cosine") -> float:
    """k-skewness: the standardised third moment of the k-occurrence, E[(N_k − μ)³]/σ³.

    Population moments (σ with ``ddof=0``), the same value as ``scipy.stats.skew`` and as
    scikit-hubness's ``k_skewness``. 0 for a symmetric k-occurrence; values above ~1 mean
    strong hubness. When every point has N_k = k (σ = 0) the skewness is defined as 0.

    Parameters
    ----------
    data : KNNGraph (``graph.k >= k``), EmbeddingSet or array of shape (n, d)
    k : int, default 10
        Neighbourhood size: each point's k nearest neighbours (the first k of a given
        graph's).
    metric : {"cosine", "euclidean"}, default "cosine"

    Returns
    -------
    float

    References
    ----------
    Radovanović, Nanopoulos & Ivanović (2010), "Hubs in space: popular nearest neighbors in
    high-dimensional data", JMLR 11, 2487–2531, eq. (1).
    """
    return _skewness(k_occurrence(data, k, metric))


def robin_hood(data, k: int = 10, metric: str = "cosine") -> float:
    """Robin Hood (Hoover) index of the k-occurrence: Σ|N_k − k| / (2·Σ N_k).

    The share of all k-NN slots that would have to move from hubs to other points for every
    point to be chosen exactly k times (k is the mean of N_k). In [0, 1): 0 for no hubness.

    Parameters
    ----------
    data : KNNGraph (``graph.k >= k``), EmbeddingSet or array of shape (n, d)
    k : int, default 10
        Neighbourhood size: each point's k nearest neighbours (the first k of a given
        graph's).
    metric : {"cosine", "euclidean"}, default "cosine"

    Returns
    -------
    float in [0, 1)

    References
    ----------
    Feldbauer, Leodolter, Plant & Flexer (2018), "Fast approximate hubness reduction for large
    high-dimensional data", IEEE ICBK; used in Feldbauer & Flexer (2019), "A comprehensive
    empirical comparison of hubness reduction in high-dimensional spaces", KAIS 59, 137–166.
    """
    return _robin_hood(k_occurrence(data, k, metric), k)


def gini_index(data, k: int = 10, metric: str = "cosine") -> float:
    """Gini index of the k-occurrence: Σ_i Σ_j |N_k(i) − N_k(j)| / (2 n Σ N_k).

    0 when every point is chosen equally often, (n − 1)/n when one point takes every slot.
    Computed from the sorted k-occurrence in O(n log n) (scikit-hubness sums all n² pairs;
    same value).

    Parameters
    ----------
    data : KNNGraph (``graph.k >= k``), EmbeddingSet or array of shape (n, d)
    k : int, default 10
        Neighbourhood size: each point's k nearest neighbours (the first k of a given
        graph's).
    metric : {"cosine", "euclidean"}, default "cosine"

    Returns
    -------
    float in [0, 1)

    References
    ----------
    Feldbauer, Leodolter, Plant & Flexer (2018), IEEE ICBK; scikit-hubness
    ``Hubness(return_value="gini")``.

    Examples
    --------
    >>> g = KNNGraph(np.array([[1], [0], [0]]), np.zeros((3, 1), np.float32), "cosine", "toy")
    >>> round(gini_index(g, k=1), 4)  # N = [2, 1, 0]
    0.4444
    """
    return _gini(k_occurrence(data, k, metric))


def atkinson_index(data, k: int = 10, epsilon: float = 0.5, metric: str = "cosine") -> float:
    """Atkinson index of the k-occurrence: 1 − M_{1−ε}(N_k) / mean(N_k).

    M_p is the generalised (power) mean of order p = 1 − ε, and ε = 1 the geometric mean.
    ε weights the bottom: the larger ε, the more anti-hubs count (with any anti-hub, ε = 1
    gives 1). 0 for no hubness.

    Parameters
    ----------
    data : KNNGraph (``graph.k >= k``), EmbeddingSet or array of shape (n, d)
    k : int, default 10
        Neighbourhood size: each point's k nearest neighbours (the first k of a given
        graph's).
    epsilon : float in [0, 1], default 0.5
        Inequality aversion (scikit-hubness's default 0.5).
    metric : {"cosine", "euclidean"}, default "cosine"

    Returns
    -------
    float in [0, 1]

    References
    ----------
    Atkinson (1970), "On the measurement of inequality", Journal of Economic Theory 2(3);
    scikit-hubness ``Hubness(return_value="atkinson")``.
    """
    epsilon = check_number(epsilon, "epsilon", 0, 1)
    return _atkinson(k_occurrence(data, k, metric), epsilon)


def hubs(data, k: int = 10, hub_size: float = 2.0, metric: str = "cosine") -> np.ndarray:
    """Row numbers of hubs: points with N_k > hub_size·k.

    Strictly greater, as scikit-hubness documents (its 0.21 code compares with ``>=``; the two
    differ only for points with N_k exactly equal to hub_size·k).

    Parameters
    ----------
    data : KNNGraph (``graph.k >= k``), EmbeddingSet or array of shape (n, d)
    k : int, default 10
        Neighbourhood size: each point's k nearest neighbours (the first k of a given
        graph's).
    metric : {"cosine", "euclidean"}, default "cosine"
    hub_size : float, default 2.0

    Returns
    -------
    ndarray of int64, ascending
    """
    hub_size = check_number(hub_size, "hub_size", 0, np.inf, low_open=True, high_open=True)
    return _hub_rows(k_occurrence(data, k, metric), k, hub_size)


def antihubs(data, k: int = 10, metric: str = "cosine") -> np.ndarray:
    """Row numbers of anti-hubs: points in no k-NN list (N_k = 0).

    Parameters
    ----------
    data : KNNGraph (``graph.k >= k``), EmbeddingSet or array of shape (n, d)
    k : int, default 10
        Neighbourhood size: each point's k nearest neighbours (the first k of a given
        graph's).
    metric : {"cosine", "euclidean"}, default "cosine"

    Returns
    -------
    ndarray of int64, ascending
    """
    return np.flatnonzero(k_occurrence(data, k, metric) == 0)


def hub_occurrence(data, k: int = 10, hub_size: float = 2.0, metric: str = "cosine") -> float:
    """Share of all n·k k-NN slots occupied by hubs: Σ_{hubs} N_k / (n·k).

    Relative to the neighbour slots, not to the points (scikit-hubness ``hub_occurrence``).
    Hubs as in :func:`hubs` (N_k > hub_size·k).

    Parameters
    ----------
    data : KNNGraph (``graph.k >= k``), EmbeddingSet or array of shape (n, d)
    k : int, default 10
        Neighbourhood size: each point's k nearest neighbours (the first k of a given
        graph's).
    metric : {"cosine", "euclidean"}, default "cosine"
    hub_size : float, default 2.0

    Returns
    -------
    float in [0, 1]
    """
    hub_size = check_number(hub_size, "hub_size", 0, np.inf, low_open=True, high_open=True)
    return _hub_share(k_occurrence(data, k, metric), k, hub_size)


def antihub_occurrence(data, k: int = 10, metric: str = "cosine") -> float:
    """Share of points that are anti-hubs: #{x : N_k(x) = 0} / n.

    Relative to the points, not to the neighbour slots (scikit-hubness
    ``antihub_occurrence``).

    Parameters
    ----------
    data : KNNGraph (``graph.k >= k``), EmbeddingSet or array of shape (n, d)
    k : int, default 10
        Neighbourhood size: each point's k nearest neighbours (the first k of a given
        graph's).
    metric : {"cosine", "euclidean"}, default "cosine"

    Returns
    -------
    float in [0, 1]
    """
    return _antihub_share(k_occurrence(data, k, metric))


def hubness_summary(data, k: int = 10, hub_size: float = 2.0,
                    metric: str = "cosine") -> pd.DataFrame:
    """Hubness measures of one k-NN graph in one tidy table (the graph is built once).

    Parameters
    ----------
    data : KNNGraph (``graph.k >= k``), array of shape (n, d) or EmbeddingSet
    k : int, default 10
        Neighbourhood size: each point's k nearest neighbours (the first k of a given
        graph's).
    hub_size : float, default 2.0
    metric : {"cosine", "euclidean"}, default "cosine"

    Returns
    -------
    pandas.DataFrame
        The long result table (``metric, value, ci_low, ci_high, parameters``; no intervals
        here); rows ``n``, ``k_skewness``, ``robin_hood``, ``gini_index``,
        ``atkinson_index`` (ε = 0.5), ``hub_occurrence``, ``antihub_occurrence``, ``n_hubs``,
        ``n_antihubs``, ``max_k_occurrence``.
    """
    hub_size = check_number(hub_size, "hub_size", 0, np.inf, low_open=True, high_open=True)
    graph = as_knn_graph(data, k, "hubness", metric)
    occurrence = _occurrence(graph)
    hub_rows = _hub_rows(occurrence, k, hub_size)
    at_k = {"k": k, "metric": metric}
    with_size = {**at_k, "hub_size": hub_size}
    rows = [("n", graph.n, ""),
            ("k_skewness", _skewness(occurrence), at_k),
            ("robin_hood", _robin_hood(occurrence, k), at_k),
            ("gini_index", _gini(occurrence), at_k),
            ("atkinson_index", _atkinson(occurrence, 0.5), {**at_k, "epsilon": 0.5}),
            ("hub_occurrence", _hub_share(occurrence, k, hub_size), with_size),
            ("antihub_occurrence", _antihub_share(occurrence), at_k),
            ("n_hubs", len(hub_rows), with_size),
            ("n_antihubs", int((occurrence == 0).sum()), at_k),
            ("max_k_occurrence", int(occurrence.max()), at_k)]
    return result_table({"metric": name, "value": value, "parameters": parameters}
                        for name, value, parameters in rows)


def _label_codes(labels, n: int, against: str = "the graph") -> tuple[np.ndarray, np.ndarray]:
    labels = np.asarray(labels)
    if labels.ndim != 1:
        raise ValueError(f"labels must be 1-D, got shape {labels.shape}")
    if len(labels) != n:
        raise ValueError(f"labels has {len(labels)} entries but {against} has {n} rows: "
                         f"expected one label per row")
    codes, uniques = pd.factorize(labels)
    if (codes < 0).any():
        raise ValueError(f"labels has missing values at rows "
                         f"{np.flatnonzero(codes < 0)[:5].tolist()}")
    return codes, np.asarray(uniques)


def _predict_codes(graph: KNNGraph, codes: np.ndarray, k: int) -> np.ndarray:
    """Majority vote; a tie goes to the tied class that holds the nearest neighbour."""
    neighbour = codes[graph.indices[:, :k]]
    predicted = np.empty(graph.n, np.int64)
    block = max(1, _BLOCK_FLOATS // (k * k))
    for start in range(0, graph.n, block):
        L = neighbour[start:start + block]
        votes = (L[:, :, None] == L[:, None, :]).sum(2)  # votes for the class at position j
        first = votes.argmax(1)  # first position of a class with the most votes
        predicted[start:start + block] = L[np.arange(len(L)), first]
    return predicted


def _checked(data, labels, k: int, metric: str) -> tuple[KNNGraph, np.ndarray, np.ndarray]:
    graph = as_knn_graph(data, k, "the k-NN classifier", metric)
    codes, uniques = _label_codes(labels, graph.n)
    return graph, codes, uniques


def knn_predictions(data, labels, k: int = 10, metric: str = "cosine") -> np.ndarray:
    """Leave-one-out k-NN labels: the majority label of each point's k neighbours.

    A point is not its own neighbour in a KNNGraph, so this is leave-one-out. Ties between
    classes with the same number of votes go to the tied class of the nearest neighbour
    (the first of the tied classes met going down the neighbour list).

    Parameters
    ----------
    data : KNNGraph (``graph.k >= k``) over all rows, EmbeddingSet or array (n, d)
        An array gets a graph with ``metric``, as for the hubness measures.
    labels : array-like of shape (n,)
        Any hashable values; missing values are refused.
    k : int, default 10
        Neighbourhood size: how many nearest neighbours vote (the first k of a given
        graph's).
    metric : {"cosine", "euclidean"}, default "cosine"

    Returns
    -------
    ndarray of shape (n,)
        Predicted labels, values taken from ``labels``.
    """
    graph, codes, uniques = _checked(data, labels, k, metric)
    return uniques[_predict_codes(graph, codes, k)]


def knn_classification_error(data, labels, k: int = 10, metric: str = "cosine") -> float:
    """Share of points whose leave-one-out k-NN label (:func:`knn_predictions`) is wrong.

    Parameters
    ----------
    data, labels, k, metric
        As in :func:`knn_predictions`.

    Returns
    -------
    float in [0, 1]
    """
    graph, codes, _ = _checked(data, labels, k, metric)
    return _knn_error(graph, codes, k)


def _knn_error(graph: KNNGraph, codes: np.ndarray, k: int) -> float:
    """:func:`knn_classification_error` of a checked graph (at least ``k`` neighbours) and
    integer label codes (``pd.factorize``; only their equality matters) — the kernel."""
    return float(np.mean(_predict_codes(graph, codes, k) != codes))
