"""Hubness benchmarks: measures from a shared kNN graph vs recomputing them with scikit-learn,
and the cost of the full hubness-reduction comparison table.

    .venv/bin/python bench/hubness_vs_peers.py               # 20k x 384, 3 repeats
    .venv/bin/python bench/hubness_vs_peers.py --n 5000      # quicker

Data: ``--n`` x 384 synthetic clustered vectors (20 labelled Gaussian clusters with
anisotropic noise around a common offset: k-skewness ~ 9 under cosine, k-NN error ~ 0.3),
cosine, k = 10.

Part 1 — k-occurrence + k-skewness:
  embviz (shared graph)  ``k_occurrence(graph)`` + ``hubness_skewness(graph)`` on a KNNGraph
                         built once (what every later measure at k <= k_max reuses);
  embviz (end to end)    ``knn_graph(X, 10)`` followed by the same two measures;
  scikit-learn + numpy   ``NearestNeighbors(algorithm="brute", metric="cosine")``,
                         ``kneighbors()`` (self excluded), ``np.bincount``, ``scipy.stats.skew``.
Medians of ``--repeats`` alternating runs after a warm-up; ratios are peer time / embviz time;
"same N_k" is the share of points whose k-occurrence equals scikit-learn's. scikit-learn
ranks float32 input by float32 distances, embviz by distances summed in float64, so a near-tie
at the k-th neighbour can differ (at 20k: 1 list in 20,000; on float64 input they agree
exactly).

Part 2 — ``hubness_reduction_table`` over the 8 default methods (n_candidates = 100): median
wall time of ``--repeats`` runs, and the table of the last run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def clustered(n: int, d: int = 384, clusters: int = 20, spread: float = 0.25,
              seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Labelled Gaussian clusters with anisotropic noise around a common offset.

    Centres ~ N(0, spread²·I); noise sd 0.5-1.5 across dimensions; one shared offset
    ~ N(0, I), the common direction that makes embedding spaces anisotropic (and hubby under
    cosine).
    """
    rng = np.random.default_rng(seed)
    centers = rng.normal(size=(clusters, d)).astype(np.float32) * spread
    labels = rng.integers(0, clusters, n)
    noise_sd = np.linspace(0.5, 1.5, d, dtype=np.float32)
    offset = rng.normal(size=d).astype(np.float32)
    X = centers[labels] + rng.normal(size=(n, d)).astype(np.float32) * noise_sd + offset
    return X.astype(np.float32), labels


def _timed(fn):
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def measures_part(X: np.ndarray, k: int, repeats: int) -> None:
    from scipy import stats
    from sklearn.neighbors import NearestNeighbors

    from embviz.metrics.hubness import hubness_skewness, k_occurrence
    from embviz.neighbors import knn_graph

    build_s, graph = _timed(lambda: knn_graph(X, k, metric="cosine", progress=False))

    def shared():
        return k_occurrence(graph, k), hubness_skewness(graph, k)

    def end_to_end():
        g = knn_graph(X, k, metric="cosine", progress=False)
        return k_occurrence(g, k), hubness_skewness(g, k)

    def sklearn_numpy():
        nn = NearestNeighbors(n_neighbors=k, metric="cosine", algorithm="brute").fit(X)
        occurrence = np.bincount(nn.kneighbors(return_distance=False).ravel(), minlength=len(X))
        return occurrence, float(stats.skew(occurrence))

    peers = {"embviz (shared graph)": shared, "embviz (end to end)": end_to_end,
             "scikit-learn + numpy": sklearn_numpy}
    times = {name: [] for name in peers}
    results = {}
    for fn in peers.values():  # warm-up: thread pools, torch import, first allocations
        fn()
    for _ in range(repeats):
        for name, fn in peers.items():
            seconds, results[name] = _timed(fn)
            times[name].append(seconds)
    med = {name: statistics.median(t) for name, t in times.items()}
    peer = med["scikit-learn + numpy"]
    print(f"[1] k-occurrence + k-skewness, k={k}, cosine, {len(X):,} x {X.shape[1]} "
          f"(median of {repeats}; the shared graph took {build_s:.2f} s to build, once)")
    print(f"  {'':24s} {'median s':>10s} {'scikit-learn / this':>20s} {'skewness':>9s} "
          f"{'same N_k':>9s}")
    for name in peers:
        same = np.mean(results[name][0] == results["scikit-learn + numpy"][0])
        print(f"  {name:24s} {med[name]:10.4f} {peer / med[name]:19.1f}x "
              f"{results[name][1]:9.4f} {same:9.5f}")


def table_part(X: np.ndarray, labels: np.ndarray, k: int, repeats: int) -> None:
    import pandas as pd

    from embviz.metrics.hubness_reduction import METHODS, hubness_reduction_table

    times = []
    for _ in range(repeats):
        seconds, table = _timed(lambda: hubness_reduction_table(
            X, labels, k=k, random_state=0, progress=False))
        times.append(seconds)
    print(f"\n[2] hubness_reduction_table, {len(METHODS)} methods, k={k}, n_candidates=100, "
          f"{len(X):,} x {X.shape[1]}: median {statistics.median(times):.1f} s of {repeats} "
          f"(runs: {', '.join(f'{t:.1f}' for t in times)} s)")
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(table.to_string(index=False, float_format=lambda v: f"{v:.4g}"))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--skip-table", action="store_true")
    args = parser.parse_args(argv)
    X, labels = clustered(args.n)
    measures_part(X, args.k, args.repeats)
    if not args.skip_table:
        table_part(X, labels, args.k, args.repeats)


if __name__ == "__main__":
    main()
