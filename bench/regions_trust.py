"""Regions, map trust, duplicates and outliers at 100k and 1M points: time and peak memory.

    nice .venv/bin/python bench/regions_trust.py                 # 100k and 1M x 384
    nice .venv/bin/python bench/regions_trust.py --sizes 100000  # 100k only (~3 min)

Data: a synthetic mixture (Gaussian clusters of ``--per-cluster`` points, each over a random
16-d subspace, far apart) in 384 dimensions, with 0.5% planted exact copies and 0.5% near copies
(cosine distance ~0.002), and texts of three cluster words plus five shared ones. The shared
kNN graph (k = 30, cosine) is computed exactly *within each cluster*: the clusters are
separated, so this is the exact graph of all points (checked: recall@10 against the exact
search of 200 sampled rows over all rows). The map is PCA (the explorer's default above
200,000 points). Every step runs on one thread (threadpoolctl, faiss) and is timed alone with
its own peak RSS (``/proc/self/clear_refs``, then VmHWM).

Peer: ``sklearn.manifold.trustworthiness`` on the largest size it handles here (10,000
points: it holds two n×n matrices), against ``map_trust`` with exact ranks and with the
default reference-row estimate: time ratio and the difference of the values.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from knn_graph import _status_gb

_VOCAB = np.array(["amber", "basalt", "cedar", "delta", "ember", "fjord", "garnet", "harbor",
                   "iris", "jasper", "kelp", "lagoon", "maple", "nectar", "onyx", "prairie",
                   "quartz", "reef", "sierra", "tundra", "umber", "valley", "willow", "yarrow",
                   "zephyr", "birch", "coral", "dune", "estuary", "flint"])
_SHARED = np.array(["thing", "place", "kind", "sort", "part", "way", "form", "type", "matter",
                    "piece", "manner", "state"])


def mixture(n: int, d: int, clusters: int, seed: int = 0):
    """Vectors (n, d) float32, cluster of each row, texts, and the planted copies' rows
    (row t is a copy of row t - 1)."""
    rng = np.random.default_rng(seed)
    centers = rng.normal(size=(clusters, d)).astype(np.float32)
    bases = rng.normal(size=(clusters, 16, d)).astype(np.float32) / 4
    cluster = np.sort(rng.integers(0, clusters, n))
    X = np.empty((n, d), np.float32)
    for start in range(0, n, 20_000):
        rows = slice(start, min(n, start + 20_000))
        z = rng.normal(size=(rows.stop - rows.start, 16)).astype(np.float32)
        X[rows] = centers[cluster[rows]] + np.einsum("ni,nid->nd", z, bases[cluster[rows]])
        X[rows] += rng.normal(size=X[rows].shape).astype(np.float32) * 0.05
    # 1% of rows become copies of the row before them (same cluster): half exact, half near
    targets = rng.choice(np.arange(1, n), n // 100, replace=False)
    targets = targets[cluster[targets] == cluster[targets - 1]]
    targets = np.sort(targets[~np.isin(targets - 1, targets)])
    X[targets] = X[targets - 1]
    near = targets[1::2]  # cosine distance ~0.002: noise of 6% of the norm
    noise = rng.normal(size=(len(near), d)).astype(np.float32) / np.sqrt(d)
    X[near] += 0.06 * np.linalg.norm(X[near], axis=1, keepdims=True) * noise
    words = _VOCAB[(cluster[:, None] * 7 + np.arange(3)) % len(_VOCAB)]
    words = np.c_[words, rng.choice(_SHARED, (n, 5))]
    texts = [" ".join(row) for row in words]
    return X, cluster, texts, targets


def cluster_graph(X: np.ndarray, cluster: np.ndarray, k: int):
    """The exact cosine kNN graph, searched within each cluster."""
    from embviz.neighbors import KNNGraph, knn_graph

    indices = np.empty((len(X), k), np.int64)
    distances = np.empty((len(X), k), np.float32)
    bounds = np.flatnonzero(np.diff(np.r_[-1, cluster, -2]))
    for start, stop in zip(bounds[:-1], bounds[1:]):
        found = knn_graph(X[start:stop], k=k, method="exact", progress=False)
        indices[start:stop] = found.indices + start
        distances[start:stop] = found.distances
    return KNNGraph(indices, distances, "cosine", "exact (within clusters)", {"k": k})


def _step(name: str, fn, rows: list):
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")
    start = time.perf_counter()
    out = fn()
    seconds = time.perf_counter() - start
    rows.append((name, seconds, _status_gb("VmHWM")))
    print(f"  {name:<34} {seconds:8.1f} s   peak RSS {rows[-1][2]:5.2f} GB", flush=True)
    return out


def run_size(n: int, d: int, clusters: int) -> None:
    from embviz.landscape import duplicates, map_trust, outliers, region_card, regions
    from embviz.maps import pca_map
    from embviz.neighbors import exact_knn_rows, recall_at_k

    X, cluster, texts, planted = mixture(n, d, clusters)
    print(f"\n{n:,} x {d} ({clusters} clusters, {len(planted):,} planted copies; data "
          f"{X.nbytes / 2**30:.2f} GB)", flush=True)
    rows: list = []
    graph = _step("kNN graph k=30 (within clusters)", lambda: cluster_graph(X, cluster, 30),
                  rows)
    sample = np.random.default_rng(1).choice(n, 200, replace=False)
    print(f"  recall@10 of that graph vs exact search of 200 rows over all rows: "
          f"{recall_at_k(graph, exact_knn_rows(X, sample, 10)):.3f}")
    coords = _step("PCA map", lambda: pca_map(X, 2), rows)
    trust = _step("map_trust (k=10)", lambda: map_trust(X, coords, graph=graph,
                                                         progress=False), rows)
    dups = _step("duplicates (threshold 0.05)", lambda: duplicates(X, graph=graph, texts=texts,
                                                                    progress=False), rows)
    _step("outliers (kNN distance, LOF, depth)", lambda: outliers(X, graph=graph,
                                                                    progress=False), rows)
    found = _step("regions (k=15, 3 levels, named)",
                  lambda: regions(X, coords=coords, graph=graph, texts=texts, progress=False),
                  rows)
    _step("region_card (largest region)", lambda: region_card(
        X, found.members(0), graph=graph, n_permutations=200, progress=False), rows)
    group = np.full(n, -1)
    group[dups.groups["row"]] = dups.groups["group"]
    caught = np.mean((group[planted] >= 0) & (group[planted] == group[planted - 1]))
    other = dups.groups["group"].nunique() - len(np.unique(group[planted][group[planted] >= 0]))
    counts = found.regions.groupby("level")["region"].count().tolist()
    print(f"  {trust.summary()}\n  duplicates: {caught:.1%} of the planted copies found with "
          f"their original, {other} other groups (close pairs of the mixture itself); regions "
          f"per level {counts}, largest "
          f"{found.regions['name'].iloc[0]!r}")


def peer(n: int = 10_000, d: int = 384) -> None:
    from sklearn.manifold import trustworthiness

    from embviz.landscape import map_trust
    from embviz.maps import pca_map
    from embviz.neighbors import knn_graph

    X, _, _, _ = mixture(n, d, 20, seed=2)
    coords = pca_map(X, 2)
    graph = knn_graph(X, k=30, progress=False)
    start = time.perf_counter()
    reference = trustworthiness(X, coords, n_neighbors=10, metric="cosine")
    sk_s = time.perf_counter() - start
    start = time.perf_counter()
    exact = map_trust(X, coords, graph=graph, n_reference=n, progress=False)
    exact_s = time.perf_counter() - start
    start = time.perf_counter()
    estimated = map_trust(X, coords, graph=graph, progress=False)
    estimated_s = time.perf_counter() - start
    t_exact, t_est = (result.table().set_index("metric").loc["trustworthiness", "value"]
                      for result in (exact, estimated))
    print(f"\npeer: trustworthiness of a PCA map, {n:,} x {d}, k=10 (cosine)\n"
          f"  sklearn.manifold.trustworthiness  {sk_s:6.1f} s  T = {reference:.6f}\n"
          f"  map_trust, exact ranks            {exact_s:6.1f} s  T = {t_exact:.6f} "
          f"(|diff| {abs(t_exact - reference):.1e}; {sk_s / exact_s:.1f}x faster)\n"
          f"  map_trust, 1,000 reference rows   {estimated_s:6.1f} s  T = {t_est:.6f} "
          f"(|diff| {abs(t_est - reference):.1e}; {sk_s / estimated_s:.1f}x faster)")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--d", type=int, default=384)
    parser.add_argument("--per-cluster", type=int, default=1000,
                        help="points per cluster (the mixture has n / this many)")
    args = parser.parse_args(argv)
    import faiss
    from threadpoolctl import threadpool_limits

    faiss.omp_set_num_threads(1)
    warnings.simplefilter("ignore")  # planted exact copies: TwoNN's exclusion warnings
    with threadpool_limits(1):
        print(f"one thread; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        peer(d=args.d)
        for n in args.sizes:
            run_size(n, args.d, max(1, n // args.per_cluster))


if __name__ == "__main__":
    main()
