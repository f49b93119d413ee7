"""How far a map can be trusted: neighbourhoods kept, intruders and missing neighbours.

Per point i, with N_k(i) its k nearest neighbours in the embedding space (the shared graph)
and M_k(i) its k nearest on the map:

* **kNN recall** |N_k(i) ∩ M_k(i)| / k: the share of its space neighbours that stay
  neighbours on the map.
* **Trustworthiness** (Venna & Kaski 2001) t(i) = 1 − 2 / (k(2n − 3k − 1)) · Σ_{j ∈ M_k(i) \
  N_k(i)} (r(i, j) − k), r(i, j) the rank of j among i's neighbours in the space: map
  neighbours that are far away in the space (intruders) cost by how far.
* **Continuity** c(i): the same with the roles swapped — space neighbours pushed away on the
  map, ranked on the map.

The global values are the means over points (the published T(k) and C(k)); kNN recall is
also known as the neighbourhood preservation of the map.

Cost, without n×n distances. The ranks of neighbours within the graph's width K are read
from the graph (space) and from a k-d tree of the map (its K nearest per point); ranks
beyond K — an intruder that is far in the space — are estimated from ``n_reference`` rows
drawn at random: r ≈ K + 1 + (n − 1 − K) · (share of the reference rows outside i's K
nearest that are nearer to i than j). The estimate is unbiased over the draw of the reference
rows; one draw moves a point's value by about 0.5 / √(k · n_reference) (standard deviation,
0.005 at the defaults) and, since all points share it, the global values by 0.001–0.003
(measured on 3,000 points in 30 dimensions with n_reference = 1,000). With
``n_reference >= n`` every rank is exact, and the values equal
``sklearn.manifold.trustworthiness`` (``tests/test_map_trust.py``). Work:
O(n · (k·K + n_reference·d)) time, O(block · n_reference) memory (``bench/regions_trust.py``
measures 100,000 and 1,000,000 points).

References
----------
Venna & Kaski (2001), "Neighborhood preservation in nonlinear projection methods: an
experimental study", ICANN, LNCS 2130, 485–491. Venna & Kaski (2006), "Local multidimensional
scaling", Neural Networks 19(6–7), 889–899. Lee & Verleysen (2009), "Quality assessment of
dimensionality reduction: rank-based criteria", Neurocomputing 72, 1431–1443.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .._blocks import unit_rows
from .._tables import measures_table
from .._validation import check_embeddings, check_positive_int, check_random_state, check_rows
from ._inputs import vectors_and_graph

__all__ = ["MapTrust", "map_trust"]

_BLOCK = 1024  # points per block of reference distances
_MEASURES = ("knn_recall", "trustworthiness", "continuity")


@dataclass(frozen=True)
class MapTrust:
    """Per-point and global trust of a map.

    Attributes
    ----------
    points : pandas.DataFrame, one row per scored point (all n by default)
        ``knn_recall``, ``trustworthiness``, ``continuity`` of each point (in [0, 1]; 1 =
        its neighbourhood is kept), indexed by row number: a column to colour the map by.
    k : int
        Neighbourhood size the map was scored at (each point's k nearest neighbours in the
        space and on the map).
    parameters : dict

    The global values are :meth:`table`, their one line :meth:`summary`.
    """

    points: pd.DataFrame
    _table: pd.DataFrame = field(repr=False)
    k: int
    parameters: dict = field(default_factory=dict)

    def table(self) -> pd.DataFrame:
        """The global values: ``metric, value, ci_low, ci_high, parameters`` for
        ``knn_recall``, ``trustworthiness``, ``continuity`` (no interval when every point is
        scored: the values describe this map of these points)."""
        return self._table.copy()

    def summary(self) -> str:
        """The one-line global score, e.g. ``"map trust (k=10): kNN recall 0.42,
        trustworthiness 0.93, continuity 0.91"``."""
        values = dict(zip(self._table["metric"], self._table["value"]))
        return (f"map trust (k={self.k}): kNN recall {values['knn_recall']:.2f}, "
                f"trustworthiness {values['trustworthiness']:.2f}, "
                f"continuity {values['continuity']:.2f}")


def map_trust(data, coords, k: int = 10, graph=None, metric: str = "cosine",
              n_reference: int = 1000, rows=None, random_state: int | None = 0,
              progress: bool = True) -> MapTrust:
    """kNN recall, trustworthiness and continuity of a map, per point and overall.

    Parameters
    ----------
    data : EmbeddingSet or array of shape (n, d)
        The points in the embedding space.
    coords : array of shape (n, 2) or (n, 3)
        Their map (UMAP, PCA, ...).
    k : int, default 10
        Neighbourhood size, k < n / 2.
    graph : KNNGraph, optional
        The shared graph of ``data`` (``Exploration.graph(k)``), with at least ``k``
        neighbours and ``metric``; its width K sets how many ranks are read exactly. Built
        here (K = k) when omitted.
    metric : {"cosine", "euclidean"}, default "cosine"
        Distances in the space; the map's are Euclidean.
    n_reference : int, default 1000
        Random rows from which ranks beyond the graph's width are estimated (see the module
        notes); ``>= n``: every rank exact.
    rows : int or array of int, optional
        Score only these points (row numbers), or this many drawn at random: the global
        values are then estimates, with a normal-approximation 95% interval over the scored
        points (the cheap score of a map of a million points). Default: every point.
    random_state : int or None, default 0
        Seeds the reference rows (and the scored rows when ``rows`` is a number).
    progress : bool, default True

    Returns
    -------
    MapTrust
        ``.points`` (per scored point, indexed by row number), ``.table()`` (the means),
        ``.summary()`` (one line).

    References
    ----------
    Venna & Kaski (2001, 2006), trustworthiness and continuity.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(300, 2))
    >>> map_trust(X, X, metric="euclidean", progress=False).summary()
    'map trust (k=10): kNN recall 1.00, trustworthiness 1.00, continuity 1.00'
    """
    k = check_positive_int(k, "k")
    X, graph = vectors_and_graph(data, graph, k, metric, "map_trust", progress)
    n = len(X)
    if 2 * k >= n:
        raise ValueError(f"trustworthiness needs k < n / 2 (its normalisation), got k={k} "
                         f"for n={n}: lower k")
    coords = _check_map(coords, n)
    n_reference = check_positive_int(n_reference, "n_reference")
    rng = np.random.default_rng(check_random_state(random_state))
    reference = (np.arange(n) if n_reference >= n
                 else np.sort(rng.choice(n, n_reference, replace=False)))
    scored = _scored_rows(rows, n, rng)
    space = _Space(unit_rows(X, np.float32) if graph.metric == "cosine"
                  else X.astype(np.float32), graph.metric)
    on_map = _Space(coords, "euclidean")
    map_indices = _map_neighbors(coords, graph.k, scored)
    space_indices = graph.indices[scored]
    points = pd.DataFrame({
        "knn_recall": _recall(space_indices[:, :k], map_indices[:, :k]),
        "trustworthiness": _trust(scored, map_indices[:, :k], space_indices, space, reference,
                                  k, progress, "trustworthiness"),
        "continuity": _trust(scored, space_indices[:, :k], map_indices, on_map, reference, k,
                             progress, "continuity")}, index=pd.Index(scored, name="row"))
    ranks = ("ranks exact" if len(reference) == n else
             f"ranks exact within {graph.k} neighbours, beyond estimated from "
             f"{len(reference)} reference rows")
    parameters = {"k": k, "metric": graph.metric, "ranks": ranks}
    if len(scored) < n:
        parameters["points"] = f"{len(scored)} of {n}"
    table = measures_table(_global_row(points[name], name, len(scored) < n, parameters)
                         for name in _MEASURES)
    return MapTrust(points, table, k, {**parameters, "n_reference": len(reference),
                                      "random_state": random_state})


@dataclass(frozen=True)
class _Space:
    """Rows and the metric in which their distances are taken (ranks only need the order)."""

    rows: np.ndarray
    metric: str

    def to_rows(self, i: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Distances (order-preserving form) from each of rows ``i`` to all of ``rows``."""
        a, b = self.rows[i], self.rows[rows]
        if self.metric == "cosine":
            return 1.0 - a @ b.T
        return (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2 * a @ b.T

    def pairs(self, i: np.ndarray, j: np.ndarray) -> np.ndarray:
        """The same distances between pairs (i[p], j[p]), computed the same way."""
        a, b = self.rows[i], self.rows[j]
        if self.metric == "cosine":
            return 1.0 - np.einsum("pd,pd->p", a, b)
        return (a * a).sum(1) + (b * b).sum(1) - 2 * np.einsum("pd,pd->p", a, b)


def _check_map(coords, n: int) -> np.ndarray:
    coords = check_embeddings(coords, name="coords").astype(np.float64)
    if len(coords) != n or coords.shape[1] not in (2, 3):
        raise ValueError(f"coords must have shape ({n}, 2) or ({n}, 3), got {coords.shape}")
    return coords


def _scored_rows(rows, n: int, rng: np.random.Generator) -> np.ndarray:
    """The row numbers to score: all, a given list, or a number drawn at random (sorted)."""
    if rows is None:
        return np.arange(n)
    if np.ndim(rows) == 0:
        count = check_positive_int(rows, "rows")
        return np.arange(n) if count >= n else np.sort(rng.choice(n, count, replace=False))
    return check_rows(rows, n, min_rows=1)


def _global_row(values: pd.Series, name: str, sampled: bool, parameters: dict) -> dict:
    """The mean of one measure; over sampled points, with a normal 95% interval."""
    row = {"metric": name, "value": float(values.mean()), "parameters": parameters}
    if sampled and len(values) > 1:
        half = 1.96 * float(values.std(ddof=1)) / np.sqrt(len(values))
        row.update(ci_low=row["value"] - half, ci_high=row["value"] + half,
                   parameters={**parameters,
                               "ci": "normal approximation over the scored points"})
    return row


def _map_neighbors(coords: np.ndarray, k: int, rows: np.ndarray) -> np.ndarray:
    """The ``k`` nearest other points on the map (k-d tree) of each of ``rows``, nearest
    first."""
    from scipy.spatial import cKDTree

    _, found = cKDTree(coords).query(coords[rows], k + 1)
    itself = found == rows[:, None]
    itself[~itself.any(axis=1), -1] = True  # a point hidden among > k copies of itself
    return found[~itself].reshape(len(rows), k).astype(np.int64)


def _recall(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """|a_i ∩ b_i| / k per row (neighbour lists without repeats)."""
    return (a[:, :, None] == b[:, None, :]).any(axis=2).mean(axis=1)


def _trust(scored: np.ndarray, found: np.ndarray, ranking: np.ndarray, space: _Space,
           reference: np.ndarray, k: int, progress: bool, desc: str) -> np.ndarray:
    """1 − 2/(k(2n − 3k − 1)) Σ (r − k) over the points of ``found`` (k per scored row) that
    are not among the first k of ``ranking`` (K per scored row, sorted), r their rank in
    ``space``."""
    from .._progress import progress_bar

    n = len(space.rows)
    position = np.full(n, -1)  # where each row sits among the reference rows
    position[reference] = np.arange(len(reference))
    penalty = np.zeros(len(scored))
    for start in progress_bar(range(0, len(scored), _BLOCK), desc=desc, disable=not progress,
                              leave=False):
        block = np.arange(start, min(start + _BLOCK, len(scored)))
        ranks = _ranks(scored[block], found[block], ranking[block], space, reference, position)
        penalty[block] = np.where(ranks > k, ranks - k, 0).sum(axis=1)
    return 1 - 2 * penalty / (k * (2 * n - 3 * k - 1))


def _ranks(rows: np.ndarray, found: np.ndarray, ranking: np.ndarray, space: _Space,
           reference: np.ndarray, position: np.ndarray) -> np.ndarray:
    """Rank (1 = nearest) of each ``found[b, j]`` among all points by distance from
    ``rows[b]``: exact within the K listed in ``ranking``, estimated beyond."""
    match = found[:, :, None] == ranking[:, None, :]
    listed = match.any(axis=2)
    ranks = np.where(listed, match.argmax(axis=2) + 1, 0).astype(np.float64)
    needed = np.flatnonzero(~listed.all(axis=1))
    if len(needed):
        beyond = _beyond(rows[needed], found[needed], ~listed[needed], ranking[needed],
                         space, reference, position)
        ranks[needed] = np.where(listed[needed], ranks[needed],
                                 ranking.shape[1] + 1 + beyond)
    return ranks


def _beyond(rows, found, unlisted, ranking, space: _Space, reference, position) -> np.ndarray:
    """For each unlisted ``found[b, j]``: the estimated number of points outside the K
    listed that are nearer to ``rows[b]`` than it, from the reference rows (exact when they
    are all rows); shape of ``found``."""
    distances = space.to_rows(rows, reference)  # (q, n_reference)
    where = position[np.c_[rows, ranking]]
    hit = np.nonzero(where >= 0)
    distances[hit[0], where[hit]] = np.inf  # the row itself and its listed neighbours
    valid = np.isfinite(distances).sum(axis=1)
    b, j = np.nonzero(unlisted)
    target = np.full(found.shape, -np.inf, distances.dtype)  # -inf: nothing is nearer
    target[b, j] = space.pairs(rows[b], found[b, j])
    nearer = (distances[:, None, :] < target[:, :, None]).sum(axis=2)
    own = position[found]  # a target drawn as a reference row is not nearer than itself
    b, j = np.nonzero(unlisted & (own >= 0))
    nearer[b, j] -= distances[b, own[b, j]] < target[b, j]
    others = len(position) - 1 - ranking.shape[1]
    return others * nearer / np.maximum(valid, 1)[:, None]
