"""Exact and near duplicates within a corpus, and near duplicates across two (leakage).

Both read the shared kNN graph: two rows are near duplicates when one lists the other among
its k nearest at a distance <= ``threshold``; groups are the connected components of those
edges (single linkage), exact groups those of the edges at distance 0 (the graph's distances
are refined from difference vectors, so identical rows — for cosine, rows pointing the same
way — are at exactly 0). Work O(n·k); no pairwise matrix.

What the graph cannot see: a pair neither of whose rows lists the other, which happens only
when both have k nearer rows within the threshold — then both sit in groups of more than k
rows, which may be reported as two groups. Raise k to merge them.

The default threshold, 0.05 in cosine distance (cos >= 0.95), was set on WordNet glosses
with all-MiniLM-L6-v2: copies that differ by an article, a semicolon, a comma or spacing lie
at 0.000–0.035 from their original, a trailing full stop at 0.010–0.054; the nearest two
distinct glosses lie at 0.12 among 2,000 and at 0.052 among 5,000 ("a railroad track
narrower than the standard" / "railroad track having the standard width"). A one-letter typo
can move a text by 0.05–0.22 (the tokenizer sees a new word). No threshold separates every
edit from every pair of distinct texts; other models need their own.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .._tables import measures_table
from .._validation import check_number, texts_of
from ..drift._inputs import check_samples
from ._inputs import number_by_size, vectors_and_graph

__all__ = ["DUPLICATE_THRESHOLD", "Duplicates", "duplicates", "leakage"]

#: Cosine distance (1 − cos) up to which two texts count as near duplicates.
DUPLICATE_THRESHOLD = 0.05


@dataclass(frozen=True)
class Duplicates:
    """Groups of near-duplicate rows and what removing them changes.

    Attributes
    ----------
    groups : pandas.DataFrame, one row per point in a group
        ``group`` (0 = the largest), ``exact_group`` (rows identical to each other share it;
        -1 when the row has no exact copy), ``row``, ``size`` (of its group),
        ``nearest_distance`` (to the nearest other member), ``text`` when known; by group,
        then row.
    keep : ndarray of shape (n,), bool
        False on every row of a group but its first: ``X[keep]`` is the corpus without
        duplicates.
    threshold : float
    parameters : dict

    The counts are :meth:`table`.
    """

    groups: pd.DataFrame
    keep: np.ndarray
    _table: pd.DataFrame = field(repr=False)
    threshold: float
    parameters: dict = field(default_factory=dict)

    def table(self) -> pd.DataFrame:
        """``metric, value, ci_low, ci_high, parameters``: ``n_groups``, ``n_exact_groups``,
        ``points_in_groups``, ``n_removed`` (rows ``keep`` drops), ``n_exact_removed`` (of
        them, exact copies), ``excluded_by_intrinsic_dimension`` (rows whose nearest
        neighbour is at distance 0: TwoNN, MLE and local ID leave them out, with a
        warning)."""
        return self._table.copy()


def duplicates(data, threshold: float = DUPLICATE_THRESHOLD, k: int = 10, graph=None,
               texts=None, metric: str = "cosine", progress: bool = True) -> Duplicates:
    """Exact and near-duplicate groups, from the kNN graph.

    Parameters
    ----------
    data : EmbeddingSet or array of shape (n, d)
    threshold : float >= 0, default 0.05
        Largest distance of a near duplicate, in the graph's units (1 − cos for cosine; see
        the module notes for how the default was set). 0: exact duplicates only.
    k : int, default 10
        Neighbours per row searched for duplicates.
    graph : KNNGraph, optional
        The shared graph of ``data`` with at least ``k`` neighbours and ``metric``.
    texts : sequence of str, optional
        Texts of an array ``data`` (an EmbeddingSet's are used otherwise).
    metric : {"cosine", "euclidean"}, default "cosine"
    progress : bool, default True

    Returns
    -------
    Duplicates

    Examples
    --------
    >>> X = np.array([[1.0, 0], [2, 0], [0, 1], [0.1, 1], [-1, -1], [1, -3]])
    >>> found = duplicates(X, k=2, progress=False)
    >>> found.groups[["group", "exact_group", "row"]].values.tolist()
    [[0, 0, 0], [0, 0, 1], [1, -1, 2], [1, -1, 3]]
    >>> int(found.keep.sum())
    4
    """
    threshold = check_number(threshold, "threshold", 0, np.inf)
    X, graph = vectors_and_graph(data, graph, k, metric, "duplicates", progress)
    texts = texts_of(data, len(X), texts)
    distances = graph.distances[:, :k]
    near = _components(graph.indices[:, :k], distances <= threshold)
    exact = _components(graph.indices[:, :k], distances == 0)
    groups = _group_table(near, exact, graph, k, threshold, texts)
    keep = np.ones(len(X), bool)
    keep[groups["row"][groups["group"].duplicated()]] = False
    exact_removed = int(groups.loc[groups["exact_group"] >= 0, "exact_group"].duplicated().sum())
    parameters = {"threshold": threshold, "k": k, "metric": graph.metric}
    rows = [("n_groups", groups["group"].nunique()),
            ("n_exact_groups", groups.loc[groups["exact_group"] >= 0, "exact_group"].nunique()),
            ("points_in_groups", len(groups)), ("n_removed", int((~keep).sum())),
            ("n_exact_removed", exact_removed),
            ("excluded_by_intrinsic_dimension", int((graph.distances[:, 0] == 0).sum()))]
    table = measures_table(({"metric": name, "value": value} for name, value in rows),
                           parameters)
    return Duplicates(groups, keep, table, threshold, parameters)


def _components(indices: np.ndarray, linked: np.ndarray) -> np.ndarray:
    """Group number of each row by the linked edges (-1 for rows in no edge), groups
    numbered by decreasing size, then by their first row."""
    import scipy.sparse as sp
    from scipy.sparse.csgraph import connected_components

    n = len(indices)
    rows, cols = np.nonzero(linked)
    adjacency = sp.csr_matrix((np.ones(len(rows)), (rows, indices[rows, cols])), shape=(n, n))
    _, labels = connected_components(adjacency, directed=True, connection="weak")
    sizes = np.bincount(labels)
    labels[sizes[labels] == 1] = -1
    grouped = labels >= 0
    labels[grouped] = number_by_size(np.unique(labels[grouped], return_inverse=True)[1])
    return labels


def _group_table(near: np.ndarray, exact: np.ndarray, graph, k: int, threshold: float,
                 texts) -> pd.DataFrame:
    rows = np.flatnonzero(near >= 0)
    same = near[graph.indices[rows, :k]] == near[rows, None]
    nearest = np.where(same & (graph.distances[rows, :k] <= threshold),
                       graph.distances[rows, :k], np.inf).min(axis=1)
    table = pd.DataFrame({"group": near[rows], "exact_group": exact[rows], "row": rows,
                          "size": np.bincount(near[rows])[near[rows]] if len(rows) else [],
                          "nearest_distance": nearest.astype(np.float64)})
    if texts is not None:
        table["text"] = [texts[r] for r in rows]
    return table.sort_values(["group", "row"], kind="stable").reset_index(drop=True)


def leakage(a, b, threshold: float = DUPLICATE_THRESHOLD, k: int = 10, metric: str = "cosine",
            progress: bool = True) -> pd.DataFrame:
    """Rows of ``b`` with a near duplicate in ``a`` (train vs test, two corpora).

    Found on the kNN graph of the pooled rows (``a`` first): a row of ``b`` leaks when one of
    its k nearest pooled rows is a row of ``a`` within ``threshold``. (A row of ``b`` with k
    near copies inside ``b`` closer than its match in ``a`` would hide it: raise k.)

    Parameters
    ----------
    a : EmbeddingSet or array of shape (n_a, d)
        The reference set (e.g. training data).
    b : EmbeddingSet or array of shape (n_b, d)
        The set checked against it (e.g. test data).
    threshold : float >= 0, default 0.05
        As in :func:`duplicates` (1 − cos for cosine).
    k : int, default 10
        Neighbourhood size: how many nearest pooled rows of each row of ``b`` are searched
        for a match in ``a``.
    metric : {"cosine", "euclidean"}, default "cosine"
    progress : bool, default True

    Returns
    -------
    pandas.DataFrame, one row per leaking row of ``b``, nearest pair first
        ``row_b``, ``text_b``, ``row_a`` (its nearest row of ``a``), ``text_a``, ``distance``,
        ``n_matches`` (rows of ``a`` within the threshold among its k neighbours); the text
        columns when EmbeddingSets are given.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> train, test = rng.normal(size=(50, 8)), rng.normal(size=(20, 8))
    >>> test[3] = train[7] * 1.001
    >>> leakage(train, test, progress=False)[["row_b", "row_a"]].values.tolist()
    [[3, 7]]
    """
    threshold = check_number(threshold, "threshold", 0, np.inf)
    A, B = check_samples(a, b, min_rows=1)
    pooled, graph = vectors_and_graph(np.concatenate([A, B]), None, k, metric, "leakage",
                                      progress)
    n_a = len(A)
    neighbours = graph.indices[n_a:, :k]
    match = (neighbours < n_a) & (graph.distances[n_a:, :k] <= threshold)
    leaking = np.flatnonzero(match.any(axis=1))
    first = match[leaking].argmax(axis=1)  # nearest first: the first match is the nearest
    frame = pd.DataFrame({"row_b": leaking, "row_a": neighbours[leaking, first],
                          "distance": graph.distances[n_a + leaking, first].astype(np.float64),
                          "n_matches": match[leaking].sum(axis=1)})
    texts_a, texts_b = texts_of(a, len(A)), texts_of(b, len(B))
    if texts_b is not None:
        frame.insert(1, "text_b", [texts_b[r] for r in frame["row_b"]])
    if texts_a is not None:
        frame.insert(frame.columns.get_loc("row_a") + 1, "text_a",
                     [texts_a[r] for r in frame["row_a"]])
    return frame.sort_values(["distance", "row_b"], kind="stable").reset_index(drop=True)
