"""Geometry reports: every measure of an embedding cloud from one shared kNN graph.

``geometry_report`` builds one kNN graph (at the largest neighbourhood any measure needs) and
derives intrinsic dimension, local intrinsic dimension and hubness from it; isotropy comes from
the vectors' second moments. ``layerwise_report`` and ``dimensionwise_report`` repeat it over
layers and over first-d truncations.

``geometry_report`` is a door (see :mod:`embviz._validation`): it checks the vectors once and a
given graph once, then calls the measures' kernels (``_twonn``, ``_mle``, ``_occurrence``, ...),
never the public measures, which would check again. The region card and the explorer, which
hold checked rows and their graph, call its kernel ``_report_on_graph``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .._blocks import power_of_two_scale, read_blocks, scaled_moments, unit_rows
from .._validation import check_choice, check_embeddings, check_positive_int, check_replicates
from ..neighbors import KNNGraph, _check_graph, subgraph_width
from .hubness import (
    _antihub_share,
    _hub_share,
    _knn_error,
    _label_codes,
    _occurrence,
    _robin_hood,
    _skewness,
)
from .id_calibration import calibrated_on_graph
from .intrinsic_dim import _local_intrinsic_dimension, _mle, _pca_dimension, _twonn
from .isotropy import (
    _average_cosine,
    average_cosine,
    effective_rank,
    effective_rank_from_gram_eigenvalues,
    isoscore,
    isoscore_from_variances,
    partition_isotropy,
    top_pc_variance_share,
)
from .report_intervals import half_sampling_intervals

__all__ = ["dimensionwise_report", "geometry_report", "layerwise_report"]

_COLUMNS = ["metric", "value", "ci_low", "ci_high", "parameters"]
_ISOTROPY = {"isoscore": isoscore, "partition_isotropy": partition_isotropy,
             "average_cosine": average_cosine, "effective_rank": effective_rank,
             "top_pc_variance_share": top_pc_variance_share}


def _vectors(data) -> np.ndarray:
    return check_embeddings(data, name="data", min_rows=3)


def _isotropy_values(X: np.ndarray, dtype=np.float64) -> list[float]:
    """The five isotropy measures of one sample, in ``_ISOTROPY`` order, from one Gram matrix.

    The uncentred second moment WᵀW gives the partition function's directions, and minus the
    mean's outer product the covariance spectrum of the others (the scale-free measures need
    nothing else): the same values as the public functions, at a third of their cost, which
    matters when every half-sample recomputes them. The half-samples use ``float32``
    products (twice as fast): only differences between a half and its complement enter an
    interval, and rounding that both share cancels there. Everything is accumulated block by
    block (:func:`~embviz._blocks.read_blocks`), so a memory-mapped ``X`` is never copied.
    """
    mean, gram = scaled_moments(X, power_of_two_scale(X), center=False, dtype=dtype)
    cov = (gram - len(X) * np.outer(mean, mean)) / (len(X) - 1)
    variances = np.clip(np.linalg.eigvalsh(cov)[::-1], 0.0, None)
    _, directions = np.linalg.eigh(gram)
    log_z = _column_logsumexp(X, directions.astype(dtype), dtype)
    return [isoscore_from_variances(variances), float(np.exp(log_z.min() - log_z.max())),
            _average_cosine(X), effective_rank_from_gram_eigenvalues(variances),
            float(variances[0] / variances.sum())]


def _column_logsumexp(X: np.ndarray, directions: np.ndarray, dtype) -> np.ndarray:
    """log Σ_i exp(x_i · c) for every column c of ``directions``, streamed over row blocks
    (a running maximum keeps every exponent ≤ 0)."""
    top = np.full(directions.shape[1], -np.inf)
    total = np.zeros(directions.shape[1])
    for _, values in read_blocks(X):
        projections = values.astype(dtype) @ directions
        new_top = np.maximum(top, projections.max(axis=0))
        total = total * np.exp(top - new_top) + np.exp(projections - new_top).sum(
            axis=0, dtype=np.float64)
        top = new_top
    return np.log(total) + top


def _measures(X: np.ndarray, space: np.ndarray, graph: KNNGraph, codes, k: int, mle_k: int,
              pca=_pca_dimension, dtype=np.float64, warn: bool = True) -> dict[str, float]:
    """Every report measure but local ID, on one sample: its vectors ``X``, the rows ``space``
    in which distances are taken, its k-NN graph and its label codes (or None), all checked;
    ``pca`` computes the PCA dimension and ``dtype`` the isotropy products (the halves use the
    PCA dimension's continuous form and float32, and ``warn=False``: the full sample's
    warnings were given once)."""
    values = dict(zip(_ISOTROPY, _isotropy_values(X, dtype)))
    occurrence = _occurrence(graph.at_k(k))
    values.update(twonn=_twonn(graph, "linear", 0.1, warn),
                  twonn_mle=_twonn(graph, "mle", 0.1, warn),
                  mle=_mle(graph, mle_k, warn=warn),
                  pca_dimension=pca(space, threshold=0.9),
                  hubness_skewness=_skewness(occurrence),
                  robin_hood=_robin_hood(occurrence, k),
                  hub_occurrence=_hub_share(occurrence, k, 2.0),
                  antihub_occurrence=_antihub_share(occurrence))
    if codes is not None:
        values["knn_error"] = _knn_error(graph, codes, k)
    return values


def _fractional_pca_dimension(X: np.ndarray, threshold: float = 0.9) -> float:
    """:func:`pca_dimension` before rounding up: where the cumulative explained variance
    crosses ``threshold``, interpolated between components.

    The integer's half-sample values tie (all halves often give the same count), which would
    make its spread, and so its interval, zero; the continuous crossing point has the same
    spread without the ties.
    """
    from .isotropy import scaled_pca_variances

    variances, _ = scaled_pca_variances(X)
    explained = np.r_[0.0, np.cumsum(variances) / variances.sum()]
    q = int(np.argmax(explained >= threshold - 1e-12))  # explained[q - 1] < threshold
    step = explained[q] - explained[q - 1]
    return float(q - 1 + (threshold - explained[q - 1]) / step) if step > 0 else float(q)


#: The range of each bounded measure: its interval is clipped to it (θₙ lies inside).
_RANGES = {**dict.fromkeys(["isoscore", "partition_isotropy", "top_pc_variance_share",
                            "robin_hood", "hub_occurrence", "antihub_occurrence", "knn_error"],
                           (0.0, 1.0)),
           "average_cosine": (-1.0, 1.0), "effective_rank": (1.0, np.inf),
           "hubness_skewness": (-np.inf, np.inf)}


def _parameters(k: int, mle_k: int, local_k: int, graph, calibrated_rows: int
                ) -> dict[str, str]:
    """The ``parameters`` text of each row (the metric is appended where it matters); each
    intrinsic dimension names the scale it was read at, the mean distance to the farthest
    neighbour it uses (chord distance for cosine)."""
    from .intrinsic_dim import _graph_distances

    scale = _graph_distances(graph).mean(axis=0)

    def at(rank: int) -> str:
        return f"scale={scale[rank - 1]:.3g} (neighbour {rank})"

    return {"twonn": f"discard=0.1, {at(2)}", "twonn_mle": f"discard=0.1 (censored), {at(2)}",
            "twonn_calibrated": f"discard=0.1, calibrated on the uniform ball at "
                                f"n={calibrated_rows:,}, {at(2)}",
            "mle": f"k={mle_k}, {at(mle_k)}", "pca_dimension": "variance=0.9",
            "local_intrinsic_dimension_mean": f"local_k={local_k}, {at(local_k)}",
            "local_intrinsic_dimension_median": f"local_k={local_k}, {at(local_k)}",
            "hubness_skewness": f"k={k}", "robin_hood": f"k={k}",
            "hub_occurrence": f"k={k}, hub_size=2", "antihub_occurrence": f"k={k}",
            "knn_error": f"k={k}"}


def geometry_report(data, k: int = 10, metric: str = "cosine", mle_k: int = 20,
                    local_k: int = 128, labels=None,
                    ci: bool = False, n_resamples: int = 40, random_state: int | None = 0,
                    graph=None, progress: bool = True) -> pd.DataFrame:
    """Isotropy, intrinsic dimension (global and local) and hubness, from one kNN graph.

    Intrinsic dimension rows name the scale they were read at (``scale=`` in
    ``parameters``: the mean distance to the farthest neighbour used). ``twonn_calibrated``
    is TwoNN with a finite-sample correction and its own interval, always given
    (:func:`~embviz.metrics.id_calibration.calibrated_twonn`: the TwoNN ratios of the
    report's graph, or of disjoint subsets above 10,000 rows).

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
        point; the report gives its mean and median.
    labels : array of length n, optional
        Adds the leave-one-out k-NN classification error.

    ci : bool, default False
        Add a 95% interval to every measure: half-sampling (:mod:`embviz.metrics.resampling`)
        — ``n_resamples`` halves of ⌊n/2⌋ distinct rows, every measure recomputed on each
        half, neighbour-based ones on the half's own k-NN graph read from the report's graph
        (built about twice as wide for this), and the spread rescaled to size n. It is an
        interval for θₙ, the measure's mean over samples of n rows from the population (ID
        and hubness estimators depend on n). Local ID is recomputed for
        :data:`~embviz.metrics.report_intervals.LOCAL_PROBES` points of the first
        :data:`~embviz.metrics.report_intervals.LOCAL_RESAMPLES` halves. Each row's
        ``parameters`` names the method; coverage is tested in
        ``tests/test_interval_coverage.py``. Duplicated rows never enter a neighbour search.
    n_resamples : int, default 40
        Half-samples (10 to 1,000,000): 20 halves and their complements estimate the standard
        error to about ±16%, and the t quantile with 19 degrees of freedom allows for that.
    random_state : int or None, default 0
        Seeds the half-samples.
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
    return _checked_report(_vectors(data), k, metric, mle_k, local_k, labels, ci, n_resamples,
                           random_state, graph, progress)


def _checked_report(X: np.ndarray, k: int = 10, metric: str = "cosine", mle_k: int = 20,
                    local_k: int = 128, labels=None, ci: bool = False, n_resamples: int = 40,
                    random_state: int | None = 0, graph=None,
                    progress: bool = True) -> pd.DataFrame:
    """:func:`geometry_report` of rows ``X`` already checked by ``check_embeddings``: the rest
    of the door (parameters, labels, a given graph, each checked once), then the kernel."""
    check_choice(metric, "metric", ["cosine", "euclidean"])
    k_max = max(check_positive_int(k, "k"), check_positive_int(mle_k, "mle_k"),
                check_positive_int(local_k, "local_k"))
    if k_max >= len(X):
        raise ValueError(f"the report needs more than max(k, mle_k, local_k) = {k_max} "
                         f"rows, got n={len(X)}; lower local_k")
    if ci:
        n_resamples = check_replicates(n_resamples, "n_resamples", minimum=10)
    codes = None if labels is None else _label_codes(_label_array(labels, len(X)), len(X))[0]
    space = _space(X, metric)
    width = subgraph_width(k_max, len(X)) if ci else k_max
    graph = _report_graph(space, k_max, width, metric, graph, progress)
    return _report_on_graph(X, graph, k, mle_k, local_k, codes, ci, n_resamples, random_state,
                           progress, space)


def _space(X: np.ndarray, metric: str) -> np.ndarray:
    """The rows in which the metric's distances are Euclidean: unit rows for cosine."""
    return unit_rows(X, X.dtype) if metric == "cosine" else X


def _report_on_graph(X: np.ndarray, graph: KNNGraph, k: int, mle_k: int, local_k: int,
                    codes=None, ci: bool = False, n_resamples: int = 40,
                    random_state: int | None = 0, progress: bool = False,
                    space: np.ndarray | None = None) -> pd.DataFrame:
    """The kernel of :func:`geometry_report`: nothing is checked.

    Parameters
    ----------
    X : ndarray of shape (n, d)
        Rows checked by ``check_embeddings``.
    graph : KNNGraph
        Of ``space`` over every row, with at least max(k, mle_k, local_k) neighbours (and
        :func:`~embviz.neighbors.subgraph_width` of it with ``ci``), built with the report's
        metric.
    k, mle_k, local_k : int
        Each below n (and, with ``ci``, max(k, mle_k) below n / 2 - 1).
    codes : ndarray of shape (n,), int, optional
        Label codes (``pd.factorize``), for the k-NN error.
    ci, n_resamples, random_state, progress
        As in :func:`geometry_report` (``n_resamples`` checked).
    space : ndarray of shape (n, d), optional
        The rows in which distances are Euclidean (unit rows of ``X`` for cosine); computed
        when not given.

    Returns
    -------
    pandas.DataFrame
        The report's long table.
    """
    metric = graph.metric
    space = _space(X, metric) if space is None else space
    estimates = _measures(X, space, graph, codes, k, mle_k)
    local = _local_intrinsic_dimension(graph.at_k(local_k), space, local_k,
                                       unit=metric == "cosine", progress=progress)
    finite = local[np.isfinite(local)]
    estimates.update(local_intrinsic_dimension_mean=float(finite.mean()),
                     local_intrinsic_dimension_median=float(np.median(finite)))
    calibrated = calibrated_on_graph(space, graph, metric, progress)
    estimates["twonn_calibrated"] = calibrated.dimension
    intervals = {"twonn_calibrated": (calibrated.ci_low, calibrated.ci_high,
                                      "simulated spread at n, through the calibration")}
    if ci:
        def measures(X_half, space_half, graph_half, rows):
            return _measures(X_half, space_half, graph_half,
                             None if codes is None else codes[rows], k, mle_k,
                             pca=_fractional_pca_dimension, dtype=np.float32, warn=False)

        intervals.update(half_sampling_intervals(
            {name: value for name, value in estimates.items()
             if not name.startswith("local") and name != "twonn_calibrated"},
            measures, local, X, space, graph, {"k": max(k, mle_k), "local_k": local_k},
            n_resamples, random_state, progress))
    return _table(X, estimates, intervals,
                  _parameters(k, mle_k, local_k, graph, calibrated.rows_per_subset), metric)


def _label_array(labels, n: int) -> np.ndarray:
    labels = np.asarray(labels)
    if labels.shape != (n,):
        raise ValueError(f"labels must have length n={n}, got shape {labels.shape}")
    return labels


def _table(X, estimates: dict, intervals: dict, parameters: dict, metric: str) -> pd.DataFrame:
    """The long table, rows in the order of the report; the metric and the interval's method
    are appended to each row's parameters."""
    rows = [("n", len(X), np.nan, np.nan, ""), ("d", X.shape[1], np.nan, np.nan, "")]
    for name in [*_ISOTROPY, "twonn", "twonn_mle", "twonn_calibrated", "mle", "pca_dimension",
                 "local_intrinsic_dimension_mean", "local_intrinsic_dimension_median",
                 "hubness_skewness", "robin_hood", "hub_occurrence", "antihub_occurrence",
                 "knn_error"]:
        if name not in estimates:
            continue
        low, high, method = intervals.get(name, (np.nan, np.nan, ""))
        low, high = np.clip([low, high], *_RANGES.get(name, (0.0, np.inf)))
        text = parameters.get(name, "")
        if name not in _ISOTROPY:
            text = f"{text}, metric={metric}".lstrip(", ")
        if method:
            text = f"{text}, ci={method}".lstrip(", ")
        rows.append((name, estimates[name], low, high, text))
    return pd.DataFrame(rows, columns=_COLUMNS)


def _report_graph(space: np.ndarray, k_max: int, width: int, metric: str, graph,
                  progress: bool):
    """The given graph (checked once, against ``space``; widened to ``width`` neighbours by a
    new search when intervals need more), else the graph of ``space``."""
    from ..neighbors import _knn_graph

    if graph is not None:
        graph = _check_graph(graph, k_max, metric, "geometry_report", space)
        if graph.k >= width:
            return graph
    return _knn_graph(space, width, metric, progress=progress)


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
    if not tables:
        raise ValueError("layers is empty: give at least one layer (an array (n, d) or an "
                         "EmbeddingSet)")
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
        table = _checked_report(np.ascontiguousarray(X[:, : int(m)]), **kwargs)
        table.insert(0, "dims", int(m))
        tables.append(table)
    return pd.concat(tables, ignore_index=True)
