"""k-nearest-neighbour graphs: computed once, sliced for every k <= k_max, shared by the
intrinsic-dimension, hubness and map code.

Exact search selects candidates with blocked matrix products and top-k (torch on a GPU, faiss
``IndexFlat`` on CPU when installed), then recomputes the candidates' distances from difference
vectors, so near-neighbour distances are accurate (TwoNN and MLE use their ratios) and exact
duplicates are at distance exactly 0. Memory is O(n·k + block·n): no n×n matrix.

Approximate search uses faiss HNSW (or pynndescent without faiss) for large n; measure it with
:func:`recall_at_k`.

Ties. Rows at the same distance are listed by row number, smallest first, on every exact
backend. A row with more than k exact duplicates (for cosine: rows pointing the same way) thus
lists the k lowest-numbered copies, which makes those copies hubs: :func:`knn_graph` warns when
some rows have that many duplicates and refuses X in which every row does (e.g. all rows
identical), where the graph would describe the row order and nothing else.

Scale. Euclidean neighbours do not depend on the scale of X; the search runs on X divided by a
power of two near max|X| (exact), so values like 1e30 or 1e-30 neither overflow nor underflow
in float32. Distances are stored as float32: X whose distances fall outside float32's range is
refused with a message saying so.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import numpy as np

from ._blocks import power_of_two_scale, read_blocks, row_blocks, unit_rows
from ._validation import check_choice, check_embeddings, check_positive_int, check_random_state

__all__ = ["KNNGraph", "as_knn_graph", "check_knn_graph", "exact_knn_rows", "knn_graph",
           "recall_at_k", "subgraph", "subgraph_width"]

METRICS = ("cosine", "euclidean")
METHODS = ("auto", "exact", "faiss", "approximate")
_AUTO_EXACT_MAX_N = 200_000
_CANDIDATE_MARGIN = 2  # extra candidates re-ranked by the exact difference-vector distances
_BLOCK_BYTES = 1 << 27  # 128 MB of similarities per block
_REFINE_BYTES = 1 << 25  # 32 MB of difference vectors per block
#: Smallest HNSW parameters faiss survives: M = 0 aborts the interpreter (SIGABRT in
#: HNSW.cpp), M = 1 crashes it (its level multiplier 1 / log M is infinite) and a negative M
#: hangs; efConstruction and efSearch below 1 leave rows without candidates.
_HNSW_MINIMUM = {"hnsw_m": 2, "ef_construction": 1, "ef_search": 1}


@dataclass(frozen=True)
class KNNGraph:
    """Each row's k nearest other rows.

    Attributes
    ----------
    indices : ndarray of shape (n_rows, k), int64
        Neighbour row numbers, nearest first; ties broken by the smaller row number.
    distances : ndarray of shape (n_rows, k), float32
        Cosine distance (1 − cos) or Euclidean distance, non-decreasing along each row.
    metric : {"cosine", "euclidean"}
    method : str
        How it was computed ("exact", "faiss", "hnsw", "pynndescent").
    params : dict
        Parameters of the search (block size, HNSW settings, ...).
    rows : ndarray of shape (n_rows,), optional
        Which rows of X the graph holds, when it covers only a sample (``None``: all rows).
    """

    indices: np.ndarray
    distances: np.ndarray
    metric: str
    method: str
    params: dict = field(default_factory=dict)
    rows: np.ndarray | None = None

    @property
    def k(self) -> int:
        return self.indices.shape[1]

    @property
    def n(self) -> int:
        return self.indices.shape[0]

    def at_k(self, k: int) -> KNNGraph:
        """The same graph cut to its first ``k <= self.k`` neighbours (no recomputation).

        Parameters
        ----------
        k : int
            Neighbourhood size of the result: each row keeps its k nearest neighbours, at
            most ``self.k`` (a larger k is refused).

        Returns
        -------
        KNNGraph with ``k`` neighbours per row
        """
        k = check_positive_int(k, "k")
        if k > self.k:
            raise ValueError(f"k={k} exceeds the graph's k={self.k}; build the graph with "
                             f"k >= {k}")
        cut = KNNGraph(self.indices[:, :k], self.distances[:, :k], self.metric, self.method,
                       {**self.params, "k": k}, self.rows)
        if "_valid_for" in self.__dict__:  # a prefix of a valid graph's columns is valid
            object.__setattr__(cut, "_valid_for", self.__dict__["_valid_for"])
        return cut


def _check_k(k: int, n: int) -> int:
    k = check_positive_int(k, "k")
    if k >= n:
        raise ValueError(f"k={k} needs at least k + 1 = {k + 1} rows (a row is not its own "
                         f"neighbour), got n={n}")
    return k


def _prepare(X: np.ndarray, metric: str) -> tuple[np.ndarray, int]:
    """float32 rows to search (memory: 1M x 384 is 1.5 GB) and the exponent ``e`` they were
    scaled by: unit rows for cosine (zero rows refused; ``e = 0``), ``X / 2**e`` for Euclidean,
    with ``2**e`` just above max|X| (exact, and safe from float32 overflow and underflow)."""
    if metric == "cosine":
        return unit_rows(X, np.float32), 0
    exponent = power_of_two_scale(X)
    out = np.empty(X.shape, np.float32)
    for rows, values in read_blocks(X):  # a memory-mapped X is read a block at a time
        np.ldexp(values, -exponent, out=out[rows])
    return out, exponent


def _check_distance_range(dist: np.ndarray, exponent: int, metric: str) -> None:
    """Refuse distances (of the scaled rows, times ``2**exponent``) that float32 can't hold."""
    if exponent == 0 or metric == "cosine":
        return
    found = dist[np.isfinite(dist) & (dist > 0)]
    if not found.size:
        return
    low, high = np.ldexp(found.min(), exponent), np.ldexp(found.max(), exponent)
    f32 = np.finfo(np.float32)
    if high > f32.max or low < f32.smallest_normal:
        raise ValueError(f"X's Euclidean distances reach from {low:.3g} to {high:.3g}, outside "
                         f"the range of float32 ({f32.smallest_normal:.2g} to {f32.max:.2g}) "
                         f"in which a KNNGraph stores them; rescale X, e.g. "
                         f"X / np.abs(X).max() (the neighbours do not change with the scale)")


def _refine(X: np.ndarray, queries: np.ndarray, candidates: np.ndarray, k: int,
            metric: str, exponent: int = 0, approximate: bool = False
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distances to candidate neighbours from difference vectors; drop self; keep the k nearest.

    Differences of close float32 vectors are exact (Sterbenz), so near-neighbour distances keep
    their relative precision (unlike |a|² + |b|² − 2a·b) and duplicates are at exactly 0. Ties
    are ordered by row number. Euclidean distances are multiplied back by ``2**exponent`` (the
    scale :func:`_prepare` divided by). Also returns, per query, whether its (k+1)-th nearest
    candidate is at distance 0 too: more than k exact duplicates, so which are listed is a
    tie-break.
    """
    block = max(1, _REFINE_BYTES // (4 * candidates.shape[1] * X.shape[1]))
    indices = np.empty((len(queries), k), np.int64)
    distances = np.empty((len(queries), k), np.float32)
    beyond = np.zeros(len(queries), bool)
    for start in range(0, len(queries), block):
        q = queries[start:start + block]
        cand = candidates[start:start + block]
        diff = X[np.maximum(cand, 0)] - X[q][:, None, :]
        d2 = np.einsum("ijk,ijk->ij", diff, diff).astype(np.float64)
        dist = d2 / 2 if metric == "cosine" else np.sqrt(d2)  # 1 - cos = |u - v|^2 / 2
        dist[cand == q[:, None]] = np.inf  # a row is not its own neighbour
        dist[cand < 0] = np.inf  # missing candidates (approximate search)
        order = np.lexsort((cand, dist), axis=-1)
        ranked = np.take_along_axis(dist, order, 1)
        _check_distance_range(ranked[:, :k], exponent, metric)
        if ranked.shape[1] > k:
            beyond[start:start + block] = ranked[:, k] == 0
        indices[start:start + block] = np.take_along_axis(cand, order[:, :k], 1)
        distances[start:start + block] = np.ldexp(ranked[:, :k], exponent)
    if not np.isfinite(distances).all():
        if approximate:
            raise RuntimeError("the approximate search returned fewer than k neighbours for "
                               "some rows; raise its ef_search / ef_construction")
        raise RuntimeError("the exact search returned fewer than k finite neighbour distances "
                           "for some rows; this is a bug in embviz, please report it")
    return indices, distances, beyond


def _refine_blocks(X: np.ndarray, queries: np.ndarray,
                   blocks: Iterable[tuple[slice, np.ndarray]], k: int, metric: str,
                   exponent: int = 0, approximate: bool = False
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`_refine` of each block of candidates as the search yields it, so no (n, k + 3)
    array of candidates is ever held (1 GB at 1M rows and k = 128)."""
    indices = np.empty((len(queries), k), np.int64)
    distances = np.empty((len(queries), k), np.float32)
    beyond = np.zeros(len(queries), bool)
    for where, cand in blocks:
        indices[where], distances[where], beyond[where] = _refine(
            X, queries[where], cand, k, metric, exponent, approximate)
    return indices, distances, beyond


def _check_ties(beyond: np.ndarray, k: int, metric: str, warn: bool = True) -> None:
    """Refuse a graph whose every row has more than k exact duplicates; warn if some do."""
    same = "rows pointing the same way" if metric == "cosine" else "identical rows"
    if beyond.all():
        raise ValueError(f"every row of X has more than k={k} exact duplicates ({same}; "
                         f"e.g. all rows identical): all its neighbours are ties at distance "
                         f"0, so the k listed would be chosen by row number and the graph, its "
                         f"hubness and intrinsic dimension would describe the row order, not "
                         f"the data; remove duplicate rows, e.g. np.unique(X, axis=0)")
    if warn and beyond.any():
        warnings.warn(f"{int(beyond.sum())} of {len(beyond)} rows of X have more than k={k} "
                      f"exact duplicates ({same}): the k listed are the lowest-numbered "
                      f"copies, which makes them hubs; remove duplicate rows (e.g. "
                      f"np.unique(X, axis=0)) before measuring hubness", UserWarning,
                      stacklevel=3)


def _torch_candidates(X: np.ndarray, queries: np.ndarray, n_cand: int, metric: str, device,
                      progress: bool) -> Iterator[tuple[slice, np.ndarray]]:
    """Top-``n_cand`` rows by float32 similarity, block by block, with torch: yields
    ``(positions in queries, candidates)``."""
    import torch

    from ._progress import progress_bar
    from .embed.device import resolve_device

    device = resolve_device(device)
    base = torch.from_numpy(X).to(device)
    sq_norms = (base * base).sum(1) if metric == "euclidean" else None
    block = max(1, min(len(queries), _BLOCK_BYTES // (4 * len(X))))
    with torch.inference_mode():
        for start in progress_bar(range(0, len(queries), block), desc="kNN (exact)",
                                  disable=not progress, leave=False):
            rows = torch.from_numpy(queries[start:start + block]).to(device)
            scores = base[rows] @ base.T  # larger = nearer
            if metric == "euclidean":  # -|a-b|^2 up to the row constant |a|^2
                scores = 2 * scores - sq_norms[None, :]
            top = scores.topk(n_cand, dim=1)
            chosen = top.indices
            # topk orders ties arbitrarily: where more rows tie at the cut than fit (exact
            # duplicates), take them by row number, as faiss and the documentation do
            tied = ((scores >= top.values[:, -1:]).sum(1) > n_cand).nonzero().squeeze(1)
            if len(tied):
                chosen[tied] = torch.sort(scores[tied], dim=1, descending=True,
                                          stable=True).indices[:, :n_cand]
            yield slice(start, start + len(rows)), chosen.cpu().numpy()


def _flat_index(X: np.ndarray, metric: str):
    """A faiss ``IndexFlat`` holding the rows ``X``."""
    import faiss

    index = (faiss.IndexFlatIP if metric == "cosine" else faiss.IndexFlatL2)(X.shape[1])
    index.add(X)
    return index


def _hnsw_index(X: np.ndarray, metric: str, m: int, ef_construction: int):
    """A faiss ``IndexHNSWFlat`` holding the rows ``X`` (added in one call)."""
    import faiss

    faiss_metric = faiss.METRIC_INNER_PRODUCT if metric == "cosine" else faiss.METRIC_L2
    index = faiss.IndexHNSWFlat(X.shape[1], m, faiss_metric)
    index.hnsw.efConstruction = ef_construction
    index.add(X)
    return index


def _stored_rows(index, d: int) -> np.ndarray:
    """The float32 rows a faiss flat index (or an HNSW index's flat storage) holds, as a
    read-only numpy view of faiss's memory, not a copy.

    faiss copies the rows it is given, so once the index exists the search's own copy can be
    dropped and this view used for the refinement instead (1.5 GB saved at 1M x 384): the same
    bits. The view is valid only while ``index`` lives.
    """
    import faiss

    storage = faiss.downcast_index(index.storage) if hasattr(index, "hnsw") else index
    rows = faiss.rev_swig_ptr(storage.get_xb(), index.ntotal * d).reshape(index.ntotal, d)
    rows.flags.writeable = False
    return rows


def _faiss_candidates(index, X: np.ndarray, queries: np.ndarray, n_cand: int, progress: bool,
                      block: int = 8192) -> Iterator[tuple[slice, np.ndarray]]:
    """Top-``n_cand`` rows by a faiss index, ``block`` queries at a time: yields
    ``(positions in queries, candidates)``."""
    from ._progress import progress_bar

    for start in progress_bar(range(0, len(queries), block), desc="kNN (exact)",
                              disable=not progress, leave=False):
        rows = queries[start:start + block]
        yield slice(start, start + len(rows)), index.search(np.ascontiguousarray(X[rows]),
                                                            n_cand)[1]


def _hnsw_candidates(index, X: np.ndarray, n_cand: int, ef_search: int
                     ) -> Iterator[tuple[slice, np.ndarray]]:
    """Candidates of every row from an HNSW index, a block of rows at a time."""
    index.hnsw.efSearch = max(ef_search, n_cand)
    for rows in row_blocks(len(X)):  # no (n, n_cand) arrays: each block is refined at once
        yield rows, index.search(X[rows], n_cand)[1]


def _pynndescent_candidates(X: np.ndarray, n_cand: int, metric: str,
                            random_state: int | None) -> np.ndarray:
    from pynndescent import NNDescent

    index = NNDescent(X, metric=metric, n_neighbors=n_cand,
                      random_state=random_state)
    return index.neighbor_graph[0].astype(np.int64)


def _has_faiss() -> bool:
    try:
        import faiss  # noqa: F401
    except ImportError:
        return False
    return True


def _exact_backend(device: str) -> str:
    """faiss's flat index on CPU when installed (its blocked GEMM + heap selection is the
    fastest exact search on CPU); torch otherwise, and always on a GPU."""
    from .embed.device import resolve_device

    return "faiss" if resolve_device(device).type == "cpu" and _has_faiss() else "torch"


def knn_graph(X, k: int = 10, metric: str = "cosine", method: str = "auto",
              device: str = "auto", hnsw_m: int = 32, ef_construction: int = 200,
              ef_search: int = 128, random_state: int | None = 0,
              progress: bool = True) -> KNNGraph:
    """The k nearest neighbours of every row of ``X`` (a row is not its own neighbour).

    Parameters
    ----------
    X : array of shape (n, d)
        numpy array or torch tensor (any device); n > k.
    k : int, default 10
        Neighbours per row. Build once for the largest k you need and use :meth:`KNNGraph.at_k`.
    metric : {"cosine", "euclidean"}
    method : {"auto", "exact", "faiss", "approximate"}
        ``exact``: blocked matrix products + top-k — torch on a GPU (or without faiss),
        faiss ``IndexFlat`` on CPU when faiss is installed (``params["backend"]`` says which);
        ``faiss``: always faiss ``IndexFlat``; ``approximate``: faiss HNSW, or pynndescent
        without faiss; ``auto``: exact up to 200,000 rows, approximate beyond.
    device : str, default "auto"
        Torch device of the exact search.
    hnsw_m, ef_construction, ef_search : int
        HNSW parameters (approximate search): links per node (M, at least 2), the candidate
        list size while building (at least 1) and while searching (at least 1; raised to
        the k + 3 candidates the search needs). Checked before faiss sees them.
    random_state : int or None, default 0
        Seed of pynndescent.
    progress : bool

    Returns
    -------
    KNNGraph
        indices (n, k) and float32 distances (n, k), nearest first; rows at the same distance
        by row number.

    Raises
    ------
    ValueError
        When every row has more than ``k`` exact duplicates (all rows identical, for cosine all
        pointing the same way): its neighbours would be nothing but ties. Some rows with that
        many duplicates give a ``UserWarning`` instead (see the module docstring, "Ties"); and
        Euclidean distances outside float32's range (rescale X).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> g = knn_graph(rng.normal(size=(100, 8)), k=5, progress=False)
    >>> g.indices.shape, g.at_k(3).distances.shape
    ((100, 5), (100, 3))
    """
    check_choice(metric, "metric", METRICS)
    check_choice(method, "method", METHODS)
    hnsw_m, ef_construction, ef_search = (
        check_positive_int(value, name, minimum=_HNSW_MINIMUM[name]) for value, name in
        ((hnsw_m, "hnsw_m"), (ef_construction, "ef_construction"), (ef_search, "ef_search")))
    random_state = check_random_state(random_state)
    return _knn_graph(check_embeddings(X, min_rows=2), k, metric, method, device, hnsw_m,
                      ef_construction, ef_search, random_state, progress)


def _knn_graph(X: np.ndarray, k: int, metric: str = "cosine", method: str = "auto",
               device: str = "auto", hnsw_m: int = 32, ef_construction: int = 200,
               ef_search: int = 128, random_state: int | None = 0,
               progress: bool = False, warn_ties: bool = True) -> KNNGraph:
    """:func:`knn_graph` of rows already checked by ``check_embeddings`` (the kernel behind
    the door: composite measures that hold checked rows call it). ``warn_ties=False`` skips
    the warning about rows with more than k exact copies (X made only of copies is still
    refused), for measures that leave such rows out themselves (TwoNN: r₁ = 0)."""
    X, exponent = _prepare(X, metric)
    k = _check_k(k, len(X))
    n_cand = min(k + 1 + _CANDIDATE_MARGIN, len(X))
    if method == "auto":
        method = "exact" if len(X) <= _AUTO_EXACT_MAX_N else "approximate"
    queries = np.arange(len(X))
    params: dict = {"k": k, "candidates": n_cand}
    index = None  # a faiss index, whose rows X then views (see _stored_rows)
    if method == "exact":
        params["backend"] = _exact_backend(device)
    if method == "faiss" or params.get("backend") == "faiss":
        index = _flat_index(X, metric)
        X = _stored_rows(index, X.shape[1])  # our copy of the rows is freed here
        cand = _faiss_candidates(index, X, queries, n_cand, progress)
    elif method == "exact":
        cand = _torch_candidates(X, queries, n_cand, metric, device, progress)
    elif _has_faiss():
        method = "hnsw"
        params.update(m=hnsw_m, ef_construction=ef_construction, ef_search=ef_search)
        index = _hnsw_index(X, metric, hnsw_m, ef_construction)
        X = _stored_rows(index, X.shape[1])
        cand = _hnsw_candidates(index, X, n_cand, ef_search)
    else:
        method = "pynndescent"
        cand = [(slice(0, len(X)), _pynndescent_candidates(X, n_cand, metric, random_state))]
    indices, distances, beyond = _refine_blocks(X, queries, cand, k, metric, exponent,
                                                approximate=method in ("hnsw", "pynndescent"))
    del X, cand, index  # the view of the index's rows goes before the index
    _check_ties(beyond, k, metric, warn=warn_ties)
    return KNNGraph(indices, distances, metric, method, params)


def check_knn_graph(graph, k: int, metric: str | None, what: str, X=None,
                    every_row: bool = True) -> KNNGraph:
    """The one check of a user-supplied :class:`KNNGraph`; returns it unchanged.

    As scikit-learn's ``kneighbors_graph`` rejects a precomputed graph whose metric differs
    from the one asked, a graph built with another metric is an error, never silently reused.
    Its contents are checked too, in O(n·k): ``indices`` and ``distances`` 2-D of the same
    shape (n, k), indices integers in [0, n) (in [0, len(X)) for a graph over a sample of
    rows, when ``X`` is given), distances finite and non-decreasing along each row.

    Parameters
    ----------
    graph : KNNGraph
    k : int
        Neighbours per row the consumer needs (``graph.k >= k``).
    metric : {"cosine", "euclidean"} or None
        The metric the consumer was asked for; must equal ``graph.metric`` (``None``: any,
        for consumers that read only the graph's ranks and distances).
    what : str
        The consumer's name, for error messages.
    X : array of shape (n, d) or EmbeddingSet, optional
        The vectors the graph should have been built from: same number of rows, and the
        nearest-neighbour distances of a few rows recomputed from ``X`` must match.
    every_row : bool, default True
        Refuse a graph over a sample of rows (``graph.rows`` set).

    Returns
    -------
    KNNGraph
        ``graph`` itself (not cut to ``k``).
    """
    vectors = None if X is None else check_embeddings(X, name="X")
    return _check_graph(graph, k, metric, what, vectors, every_row)


def _check_graph(graph, k: int, metric: str | None, what: str, vectors: np.ndarray | None = None,
                 every_row: bool = True) -> KNNGraph:
    """:func:`check_knn_graph` against ``vectors`` already checked by ``check_embeddings``
    (or none): the one graph check, for doors that hold checked rows."""
    _require_graph(graph)
    if metric is not None:
        check_choice(metric, "metric", METRICS)
        if graph.metric != metric:
            raise ValueError(f"the KNNGraph was built with metric={graph.metric!r} but {what} "
                             f"was asked for metric={metric!r}; pass metric={graph.metric!r} "
                             f"or build the graph with knn_graph(X, metric={metric!r})")
    if every_row and graph.rows is not None:
        raise ValueError(f"the KNNGraph covers a sample of {graph.n} rows (graph.rows is set); "
                         f"{what} needs the neighbours of every row")
    _check_contents(graph, what, None if vectors is None else len(vectors))
    if graph.k < k:
        raise ValueError(f"the KNNGraph holds k={graph.k} neighbour(s) per row but {what} "
                         f"needs k={k}; build it with knn_graph(X, k={k}) or larger")
    if vectors is not None:
        _check_same_points(graph, vectors)
    return graph


def _require_graph(graph, name: str = "graph") -> None:
    if not isinstance(graph, KNNGraph):
        raise TypeError(f"{name} must be a KNNGraph (embviz.neighbors.knn_graph), got "
                        f"{type(graph).__name__}")


def _check_contents(graph: KNNGraph, what: str, n_points: int | None = None) -> None:
    """Refuse a graph whose arrays are not a kNN graph: shapes, index range (``[0, n)``, or
    ``[0, n_points)`` for a graph over a sample of rows), finite non-decreasing distances.
    O(n·k) time, read a block of rows at a time (no (n, k) temporaries). A graph found valid
    remembers it (and passes it to its :meth:`~KNNGraph.at_k` cuts), so composite results
    that check one graph many times pay once."""
    if graph.__dict__.get("_valid_for", False) == n_points:
        return
    _scan_contents(graph, what, n_points)
    object.__setattr__(graph, "_valid_for", n_points)


def _scan_contents(graph: KNNGraph, what: str, n_points: int | None) -> None:
    indices, distances = np.asarray(graph.indices), np.asarray(graph.distances)
    prefix = f"the KNNGraph given to {what} is malformed:"
    if indices.ndim != 2 or indices.dtype.kind not in "iu":
        raise ValueError(f"{prefix} graph.indices must be a 2-D integer array (n, k), got "
                         f"{indices.dtype} of shape {indices.shape}")
    if distances.shape != indices.shape or distances.dtype.kind not in "fiu":
        raise ValueError(f"{prefix} graph.distances must be numbers of the shape of "
                         f"graph.indices {indices.shape}, got {distances.dtype} of shape "
                         f"{distances.shape}")
    if graph.rows is not None and len(graph.rows) != len(indices):
        raise ValueError(f"{prefix} graph.rows lists {len(graph.rows)} rows but "
                         f"graph.indices has {len(indices)}")
    n = len(indices) if graph.rows is None else n_points
    for rows in row_blocks(len(indices)):
        block, dist = indices[rows], distances[rows]
        outside = (block < 0) | (block >= n) if n is not None else block < 0
        if outside.any():
            row, position = np.argwhere(outside)[0]
            raise ValueError(f"{prefix} graph.indices must lie in [0, "
                             f"{n if n is not None else 'n'}) (row numbers), got "
                             f"{int(block[row, position])} at row {rows.start + row}, "
                             f"position {position}")
        infinite = ~np.isfinite(dist)
        if infinite.any():
            row, position = np.argwhere(infinite)[0]
            raise ValueError(f"{prefix} graph.distances must be finite, got "
                             f"{dist[row, position]} at row {rows.start + row}, position "
                             f"{position}")
        falling = np.flatnonzero((dist[:, 1:] < dist[:, :-1]).any(axis=1))
        if falling.size:
            raise ValueError(f"{prefix} graph.distances must be non-decreasing along each "
                             f"row (nearest first); row {rows.start + int(falling[0])} is not")


def _check_same_points(graph: KNNGraph, X: np.ndarray) -> None:
    """Refuse an ``X`` the graph was not built from (row count, and 5 rows' nearest distances)."""
    if len(X) != graph.n:
        raise ValueError(f"X has {len(X)} rows but the KNNGraph has {graph.n}: pass the vectors "
                         f"the graph was built from")
    rows = np.linspace(0, len(X) - 1, min(5, len(X))).astype(np.int64)
    a = X[rows].astype(np.float64)
    b = X[graph.indices[rows, 0]].astype(np.float64)
    if graph.metric == "cosine":
        a, b = unit_rows(a, name="X"), unit_rows(b, name="X")
        found = ((a - b) ** 2).sum(axis=1) / 2
    else:
        found = np.linalg.norm(a - b, axis=1)
    if not np.allclose(found, graph.distances[rows, 0], rtol=1e-3, atol=1e-5):
        raise ValueError("X does not match the KNNGraph: its distances to the graph's nearest "
                         "neighbours differ; pass the vectors the graph was built from")


def as_knn_graph(data, k: int, what: str, metric: str = "cosine", every_row: bool = True,
                 progress: bool = True) -> KNNGraph:
    """``data`` cut to ``k`` neighbours if it is a KNNGraph, else the exact graph of ``data``.

    The entry point of measures that accept either embeddings or a prebuilt graph, so one
    graph can serve many measures. A graph is checked by :func:`check_knn_graph`.

    Parameters
    ----------
    data : KNNGraph, EmbeddingSet, array of shape (n, d) or torch tensor
    k : int
        Neighbours per row the measure needs.
    what : str
        The measure's name, for error messages.
    metric : {"cosine", "euclidean"}, default "cosine"
        Of the graph built here; a given graph must have been built with it.
    every_row : bool, default True
        Refuse a graph over a sample of rows (``graph.rows`` set).
    progress : bool, default True
        Progress of the search when the graph is built here.

    Returns
    -------
    KNNGraph with ``k`` neighbours per row
    """
    k = check_positive_int(k, "k")
    if isinstance(data, KNNGraph):
        return _check_graph(data, k, metric, what, every_row=every_row).at_k(k)
    check_choice(metric, "metric", METRICS)
    X = check_embeddings(data, name="data", min_rows=2)
    if len(X) <= k:
        raise ValueError(f"data has n={len(X)} row(s) but {what} uses k={k} neighbours per "
                         f"row and needs n > k (at least {k + 1} rows)")
    return _knn_graph(X, k, metric, progress=progress)


def exact_knn_rows(X, rows, k: int = 10, metric: str = "cosine",
                   device: str = "auto") -> KNNGraph:
    """Exact neighbours of a sample of rows (against all rows): the reference for recall.

    Parameters
    ----------
    X : array of shape (n, d)
    rows : array of int, shape (m,)
        The rows whose neighbours are searched (among all n rows).
    k : int, default 10
        Neighbourhood size: each of the rows' k nearest other rows; k < n.
    metric : {"cosine", "euclidean"}, default "cosine"
    device : str, default "auto"
        Torch device of the exact search (on CPU, faiss's flat index when installed).

    Returns
    -------
    KNNGraph with ``rows`` set, indices (m, k)
    """
    check_choice(metric, "metric", METRICS)
    X = check_embeddings(X, min_rows=2)
    k = _check_k(k, len(X))
    rows = np.asarray(rows, dtype=np.int64)
    if rows.ndim != 1 or rows.size == 0 or rows.min() < 0 or rows.max() >= len(X):
        raise ValueError(f"rows must be a non-empty 1-D array of row numbers in [0, {len(X)})")
    return _exact_knn_rows(X, rows, k, metric, device)


def _exact_knn_rows(X: np.ndarray, rows: np.ndarray, k: int, metric: str,
                    device: str = "auto") -> KNNGraph:
    """:func:`exact_knn_rows` of checked rows ``X``, distinct ``rows`` and ``k < len(X)``."""
    X, exponent = _prepare(X, metric)
    n_cand = min(k + 1 + _CANDIDATE_MARGIN, len(X))
    if _exact_backend(device) == "faiss":
        index = _flat_index(X, metric)
        X = _stored_rows(index, X.shape[1])
        cand = _faiss_candidates(index, X, rows, n_cand, progress=False)
    else:
        cand = _torch_candidates(X, rows, n_cand, metric, device, progress=False)
    indices, distances, _ = _refine_blocks(X, rows, cand, k, metric, exponent)
    return KNNGraph(indices, distances, metric, "exact", {"k": k}, rows)


def subgraph_width(k: int, n: int) -> int:
    """Neighbours a graph needs so that the subgraph of any half of its rows has ``k``.

    Of a row's K neighbours, a random half of the rows holds Binomial(K, 1/2); K = 2k +
    ⌈6√(2k)⌉ + 18 puts k about six standard deviations below the mean, so a row that falls
    short (and is searched exactly by :func:`subgraph`) is rare. Capped at n − 1.

    Parameters
    ----------
    k : int
        Neighbourhood size the subgraph of a half must have (neighbours per row).
    n : int
        Rows of the full graph.

    Returns
    -------
    int
        K, the neighbours per row to build the full graph with.
    """
    return int(min(2 * k + np.ceil(6 * np.sqrt(2 * k)) + 18, n - 1))


def subgraph(graph: KNNGraph, rows, k: int, X) -> KNNGraph:
    """The k-NN graph of a subset of rows, read from the graph of all rows.

    A row's k nearest neighbours *within the subset* are the first k entries of its sorted list
    that belong to the subset; rows whose list holds fewer than k of them are searched exactly
    in ``X[rows]``. No search is repeated for the others, so the subgraph of a half-sample
    costs O(m·K), and since ``rows`` holds each row once, no point becomes its own neighbour
    (the failure of resampling with replacement).

    Parameters
    ----------
    graph : KNNGraph over all n rows of ``X``
    rows : array of int, shape (m,)
        Distinct row numbers; row i of the result is ``rows[i]``.
    k : int, k < m
        Neighbourhood size of the subgraph: each row's k nearest neighbours within ``rows``.
    X : array of shape (n, d)
        The vectors the graph was built from (for the rows searched exactly).

    Returns
    -------
    KNNGraph over the m rows, numbered 0..m-1 in the order of ``rows``
        ``params["exact_rows"]`` counts the rows searched exactly.
    """
    _require_graph(graph)
    rows = np.asarray(rows)
    if rows.ndim != 1 or (rows.size and rows.dtype.kind not in "iu"):
        raise TypeError(f"rows must be a 1-D array of row numbers (integers), got {rows.dtype} "
                        f"of shape {rows.shape}")
    rows = rows.astype(np.int64)
    if rows.size and (rows.min() < 0 or rows.max() >= graph.n):
        raise ValueError(f"rows must lie in [0, {graph.n}) (rows of the graph), got "
                         f"{rows.min()}..{rows.max()}")
    if len(np.unique(rows)) != len(rows):
        raise ValueError("rows must be distinct: a repeated row would be its own neighbour")
    return _subgraph(graph, rows, _check_k(k, len(rows)), check_embeddings(X, name="X"))


def _subgraph(graph: KNNGraph, rows: np.ndarray, k: int, X: np.ndarray) -> KNNGraph:
    """:func:`subgraph` of distinct int64 ``rows`` of ``graph``, ``k < len(rows)``, with
    ``X`` the checked rows the graph was built from (the kernel of the half-sample loops)."""
    position = np.full(graph.n, -1, dtype=np.int64)
    position[rows] = np.arange(len(rows))
    renumbered = position[graph.indices[rows]]
    inside = renumbered >= 0
    taken = inside & (np.cumsum(inside, axis=1) <= k)
    short = np.flatnonzero(taken.sum(axis=1) < k)
    taken[short] = False
    taken[short, :k] = True  # placeholders, replaced below
    indices = renumbered[taken].reshape(len(rows), k)
    distances = graph.distances[rows][taken].reshape(len(rows), k)
    if len(short):
        exact = _exact_knn_rows(X[rows], short, k, graph.metric)
        indices[short], distances[short] = exact.indices, exact.distances
    return KNNGraph(indices, distances, graph.metric, graph.method,
                    {**graph.params, "k": k, "exact_rows": len(short)})


def recall_at_k(approx: KNNGraph, exact: KNNGraph) -> float:
    """Share of the exact k nearest neighbours that the approximate graph found.

    Parameters
    ----------
    approx : KNNGraph over all rows
    exact : KNNGraph
        Exact neighbours of all rows (the same n as ``approx``), or of a sample
        (``exact.rows``, from :func:`exact_knn_rows`) of ``approx``'s rows; both graphs are
        compared at ``exact.k`` (``approx.k`` may be larger, never smaller) and must share
        their metric.

    Returns
    -------
    float in [0, 1]
    """
    _require_graph(approx, "approx")
    _require_graph(exact, "exact")
    check_knn_graph(approx, 1, None, "recall_at_k (approx)")
    if exact.metric != approx.metric:
        raise ValueError(f"approx has metric={approx.metric!r} but exact has "
                         f"metric={exact.metric!r}: compare graphs of one metric")
    _check_contents(exact, "recall_at_k (exact)", approx.n)
    if exact.rows is None and exact.n != approx.n:
        raise ValueError(f"approx has n={approx.n} rows but exact has n={exact.n}: they must "
                         f"be graphs of the same points (or exact of a sample of them, "
                         f"exact.rows set)")
    rows = np.arange(exact.n) if exact.rows is None else np.asarray(exact.rows)
    if rows.size and (rows.min() < 0 or rows.max() >= approx.n):
        raise ValueError(f"exact.rows must lie in [0, {approx.n}) (rows of approx), got "
                         f"{rows.min()}..{rows.max()}")
    if approx.k < exact.k:
        raise ValueError(f"approx has k={approx.k} < exact k={exact.k}")
    found = approx.indices[rows, :exact.k]
    hits = sum(len(np.intersect1d(a, b)) for a, b in zip(found, exact.indices))
    return hits / exact.indices.size
