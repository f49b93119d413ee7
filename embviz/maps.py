"""2-D / 3-D maps of an embedding cloud: PCA, and UMAP from the shared kNN graph."""

from __future__ import annotations

import numpy as np

from ._blocks import read_blocks, scaled_moments
from ._validation import check_choice, check_embeddings, check_positive_int

__all__ = ["pca_map", "umap_map"]


def pca_map(X, n_components: int = 2) -> np.ndarray:
    """Project onto the top principal components.

    Parameters
    ----------
    X : array of shape (n, d)
    n_components : int, default 2
        Principal components kept: 2 or 3 for a map; at most ``d``.

    Returns
    -------
    ndarray of shape (n, n_components), float32
        Coordinates along PC1, PC2, ...; each axis's sign is fixed so that its largest
        loading is positive (deterministic across runs and platforms).

    Notes
    -----
    The covariance and the projection are computed block by block of rows in float64, so a
    memory-mapped ``X`` (:func:`embviz.sources.open_npy`) is read, never copied: the memory
    is the (d, d) covariance, one block and the (n, n_components) output.
    """
    X = check_embeddings(X, min_rows=2)
    n_components = check_positive_int(n_components, "n_components")
    if n_components > X.shape[1]:
        raise ValueError(f"n_components={n_components} exceeds the dimension d={X.shape[1]}")
    mean, scatter = scaled_moments(X)
    _, vectors = np.linalg.eigh(scatter)
    axes = vectors[:, ::-1][:, :n_components]
    axes *= np.sign(axes[np.abs(axes).argmax(axis=0), range(n_components)])
    out = np.empty((len(X), n_components), np.float32)
    for rows, values in read_blocks(X):
        out[rows] = (values.astype(np.float64) - mean) @ axes
    return out


def umap_map(X, n_components: int = 2, n_neighbors: int = 15, min_dist: float = 0.1,
             metric: str = "cosine", graph=None, random_state: int | None = 0,
             progress: bool = True) -> np.ndarray:
    """UMAP coordinates, built on the shared kNN graph instead of UMAP's own search.

    Parameters
    ----------
    X : array of shape (n, d)
        n > n_neighbors.
    n_components : {2, 3}, default 2
        Dimensions (components) of the map.
    n_neighbors : int >= 2, default 15
        UMAP's neighbourhood size, counting the point itself (UMAP's convention): the graph
        supplies the ``n_neighbors - 1`` nearest other points.
    min_dist : float, default 0.1
    metric : {"cosine", "euclidean"}, default "cosine"
    graph : KNNGraph, optional
        :func:`embviz.neighbors.knn_graph` over all rows of ``X`` with this ``metric`` and at
        least ``n_neighbors - 1`` neighbours (the same graph the hubness and intrinsic
        dimension measures use), checked by :func:`~embviz.neighbors.check_knn_graph`
        (a graph of another metric, or of other points, is an error). Built when omitted.
    random_state : int, optional
        Seed; ``None`` lets UMAP run its layout in parallel (faster, not reproducible).
    progress : bool, default True

    Returns
    -------
    ndarray of shape (n, n_components), float32

    References
    ----------
    McInnes, Healy & Melville (2018), "UMAP: Uniform Manifold Approximation and Projection for
    Dimension Reduction", arXiv:1802.03426.
    """
    X = check_embeddings(X, min_rows=3)
    n_components = _check_map_components(n_components)
    n_neighbors = check_positive_int(n_neighbors, "n_neighbors", minimum=2)
    if n_neighbors >= len(X):
        raise ValueError(f"n_neighbors={n_neighbors} must be smaller than the number of rows "
                         f"n={len(X)}")
    check_choice(metric, "metric", ["cosine", "euclidean"])
    graph = _map_graph(graph, X, n_neighbors - 1, metric, progress)
    indices = np.hstack([np.arange(len(X))[:, None], graph.indices[:, :n_neighbors - 1]])
    distances = np.hstack([np.zeros((len(X), 1), np.float32),
                           graph.distances[:, :n_neighbors - 1]])
    return _fit_umap(X, indices, distances, n_components, n_neighbors, min_dist, metric,
                     random_state)


def _check_map_components(n_components) -> int:
    if n_components not in (2, 3):
        raise ValueError(f"n_components must be 2 or 3 for a map, got {n_components!r}")
    return int(n_components)


def _map_graph(graph, X: np.ndarray, k: int, metric: str, progress: bool):
    """The given graph, checked by :func:`~embviz.neighbors.check_knn_graph`, else one built."""
    from .neighbors import check_knn_graph, knn_graph

    if graph is None:
        return knn_graph(X, k=k, metric=metric, progress=progress)
    return check_knn_graph(graph, k, metric, "umap_map", X=X)


def _fit_umap(X, indices, distances, n_components, n_neighbors, min_dist, metric,
              random_state) -> np.ndarray:
    import warnings

    import umap

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*knn_search_index.*")
        warnings.filterwarnings("ignore", message=".*n_jobs value.*")
        reducer = umap.UMAP(n_components=n_components, n_neighbors=n_neighbors,
                            min_dist=min_dist, metric=metric, random_state=random_state,
                            precomputed_knn=(indices, distances, None))
        return reducer.fit_transform(X).astype(np.float32)
