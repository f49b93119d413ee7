"""Half-sampling intervals for every measure of :func:`~embviz.metrics.geometry_report`.

Each of ``n_resamples`` half-samples S (⌊n/2⌋ distinct rows: ``n_resamples / 2`` random halves
and their complements, :func:`complementary_halves`) gets every measure recomputed on it: the
isotropy measures and the PCA dimension from its rows, the neighbour-based measures from its
own k-NN graph, which is read from the report's graph (:func:`~embviz.neighbors.subgraph`; the
report builds it wide enough that a half keeps every neighbourhood it needs), never rebuilt.
The differences between a half and its complement, rescaled to size n, give the interval of
θₙ = E[Tₙ] (:func:`complementary_interval`). Everything here takes checked rows and graphs
and calls kernels only (the report checked them once, at its door).

Local intrinsic dimension is the exception in cost: it is recomputed on the half's graph for
``LOCAL_PROBES`` random points of S (every point when S is smaller) in the first
``LOCAL_RESAMPLES`` halves (half of them complements). Resampling the per-point values instead
would treat them as independent, but neighbouring points share most of their neighbourhood:
measured on 2,000 WordNet glosses (minilm, L = 128), the mean's standard deviation across
samples is 0.49 while per-point resampling gives 0.08. The probes' own selection noise (which
points of S were probed) is estimated by simulation from the report's per-point values and
subtracted from the halves' variance; the t interval then uses Satterthwaite's degrees of
freedom.
"""

from __future__ import annotations

import numpy as np

from ..neighbors import _subgraph
from ..stats import wilson_interval
from .resampling import HALF_SAMPLING, complementary_halves, complementary_interval

__all__ = ["LOCAL_PROBES", "LOCAL_RESAMPLES", "half_sampling_intervals"]

#: Points of a half-sample whose local ID is recomputed (all of them when the half is smaller).
LOCAL_PROBES = 1000
#: Half-samples that recompute local ID (at most ``n_resamples``).
LOCAL_RESAMPLES = 16
_SELECTION_SIMULATIONS = 400


def half_sampling_intervals(estimates: dict, measures, local_values, X, space, graph,
                            sizes: dict, n_resamples: int, random_state,
                            progress: bool = False) -> dict:
    """(low, high, method) per measure of the report, from ``n_resamples`` half-samples.

    Parameters
    ----------
    estimates : dict[str, float]
        ``measures`` on all n rows.
    measures : callable (X_half, space_half, graph_half, rows) -> dict[str, float]
        The report's measures other than local ID, on one sample and its graph.
    local_values : ndarray of shape (n,)
        The report's per-point local ID (NaN where undefined).
    X, space : ndarray of shape (n, d)
        The vectors and the rows in which distances are taken (unit rows for cosine).
    graph : KNNGraph over the n rows of ``space``, wide enough for
        :func:`~embviz.neighbors.subgraph_width` of the largest neighbourhood.
    sizes : dict
        ``k`` (the largest neighbourhood of ``measures``) and ``local_k``.
    n_resamples : int
    random_state : int or None
    progress : bool

    Returns
    -------
    dict mapping metric name to (ci_low, ci_high, method description)
    """
    from .._progress import progress_bar

    rng = np.random.default_rng(random_state)
    n = len(X)
    splits = complementary_halves(n, n_resamples // 2, rng)
    m = splits.shape[2]
    if sizes["k"] >= m:
        raise ValueError(f"intervals need half-samples of more than max(k, mle_k) = "
                         f"{sizes['k']} rows: n >= {2 * sizes['k'] + 2}, got n={n}")
    local_fits = sizes["local_k"] < m  # else local ID gets no interval (see below)
    width = sizes["local_k"] if local_fits else sizes["k"]
    probes = min(m, LOCAL_PROBES)
    halves: list[dict] = [{}, {}]  # name -> values on the first halves, on their complements
    with _one_blas_thread():
        for p, split in enumerate(progress_bar(splits, desc="half-samples",
                                               disable=not progress, leave=False)):
            for side, rows in enumerate(split):
                half_graph = _subgraph(graph, rows, width, space)
                values = measures(X[rows], space[rows], half_graph, rows)
                if local_fits and p < LOCAL_RESAMPLES // 2:
                    local = _probe_local_id(half_graph, space[rows], probes,
                                            sizes["local_k"], rng)
                    values.update(local_intrinsic_dimension_mean=np.nanmean(local),
                                  local_intrinsic_dimension_median=np.nanmedian(local))
                for name, value in values.items():
                    halves[side].setdefault(name, []).append(value)
    method = f"{HALF_SAMPLING} (n_resamples={2 * len(splits)})"
    intervals = {name: (*complementary_interval(estimate, halves[0][name], halves[1][name],
                                                n), method)
                 for name, estimate in estimates.items()}
    if "pca_dimension" in estimates:
        intervals["pca_dimension"] = _with_rounding(estimates["pca_dimension"],
                                                    intervals["pca_dimension"], len(splits))
    if "antihub_occurrence" in estimates:
        intervals["antihub_occurrence"] = _rare_share(estimates["antihub_occurrence"], n,
                                                      intervals["antihub_occurrence"])
    local_names = ("local_intrinsic_dimension_mean", "local_intrinsic_dimension_median")
    if not local_fits:
        reason = (f"none: a half-sample of {m} rows cannot hold a neighbourhood of "
                  f"local_k={sizes['local_k']} (n >= {2 * sizes['local_k'] + 2} needed)")
        return {**intervals, **dict.fromkeys(local_names, (np.nan, np.nan, reason))}
    n_local = len(halves[0][local_names[0]])
    local_method = (f"{HALF_SAMPLING} (n_resamples={2 * n_local}, local ID of {probes:,} "
                    f"points per half)")
    finite = local_values[np.isfinite(local_values)]
    for name, stat in zip(local_names, (np.mean, np.median)):
        selection = _selection_variance(finite, stat, m, probes, rng)
        intervals[name] = (*_probe_interval(float(stat(finite)), halves[0][name],
                                            halves[1][name], selection, n), local_method)
    return intervals


def _one_blas_thread():
    """The half-samples run on one BLAS thread, as the drift comparisons' do
    (``embviz.drift.compare``): each half's three d × d eigendecompositions (isotropy and the
    PCA dimension) gain nothing from threads and, on a busy machine, lose many times over
    (measured on 2 busy shared cores, d = 384: ``eigh`` 1.9 s on 2 threads, 0.2 s on one;
    ``eigvalsh`` 0.8 s and 0.07 s), and ``tests/test_interval_coverage.py`` runs on one thread
    for the same reason. The halves' rounding is then also the same on every machine."""
    import contextlib

    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - it comes with scikit-learn
        return contextlib.nullcontext()
    return threadpool_limits(1)


def _with_rounding(estimate: float, interval: tuple, n_pairs: int,
                   confidence: float = 0.95) -> tuple:
    """The PCA dimension's interval: the spread of its continuous crossing point (the halves'
    values) plus the variance 1/12 of rounding it up to an integer (a uniform fraction)."""
    from scipy import stats

    t = stats.t.ppf((1 + confidence) / 2, n_pairs - 1)
    se = (interval[1] - interval[0]) / (2 * t)
    half = t * np.sqrt(se**2 + 1 / 12)
    return (estimate - half, estimate + half,
            f"{interval[2]}, spread of the interpolated crossing point + rounding")


def _rare_share(share: float, n: int, interval: tuple) -> tuple:
    """A share of points widened to the Wilson score interval of its count among n.

    Anti-hubs are rare and isolated (often none at all in a sample of thousands): their count
    is close to binomial, and half-samples that all hold none would give a zero-width
    interval. The hull of both keeps the half-sampling interval where anti-hubs cluster.
    """
    wilson = wilson_interval(round(share * n), n)
    return (min(interval[0], float(wilson.ci_low)), max(interval[1], float(wilson.ci_high)),
            f"{interval[2]} and Wilson score interval of the count")


def _probe_local_id(half_graph, half_space: np.ndarray, probes: int, local_k: int,
                    rng: np.random.Generator) -> np.ndarray:
    """Local ID, within one half-sample, of ``probes`` of its points (all when equal)."""
    from .intrinsic_dim import local_id_rows

    m = half_graph.n
    rows = np.arange(m) if probes >= m else np.sort(rng.choice(m, probes, replace=False))
    values, _ = local_id_rows(half_graph, half_space, rows, local_k,
                              unit=half_graph.metric == "cosine")  # unit rows already
    return values


def _selection_variance(values: np.ndarray, stat, m: int, probes: int,
                        rng: np.random.Generator) -> float:
    """Variance of stat(probes of a half) − stat(the whole half), simulated from ``values``."""
    if probes >= m or len(values) < m:
        return 0.0
    diffs = np.empty(_SELECTION_SIMULATIONS)
    for i in range(_SELECTION_SIMULATIONS):
        half = rng.choice(values, m, replace=False)
        diffs[i] = stat(rng.choice(half, probes, replace=False)) - stat(half)
    return float(diffs.var(ddof=1))


def _probe_interval(estimate: float, first, second, selection: float, n: int,
                    confidence: float = 0.95) -> tuple[float, float]:
    """Complementary-halves t interval with the probes' selection variance removed from each
    half's (Satterthwaite's degrees of freedom)."""
    from scipy import stats

    diff = np.asarray(first, np.float64) - np.asarray(second, np.float64)
    diff = diff[np.isfinite(diff)]
    if diff.size < 2 or not np.isfinite(estimate):
        return (float("nan"), float("nan"))
    total = np.mean(diff**2) / 2  # Var(stat of one half's probes)
    between = total - selection  # Var(stat of one half)
    if between <= 0:
        return (float("nan"), float("nan"))
    df = diff.size * (between / total) ** 2
    half = stats.t.ppf((1 + confidence) / 2, max(df, 1.0)) * np.sqrt((n // 2) / n * between)
    return (estimate - half, estimate + half)
