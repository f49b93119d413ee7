"""kNN graph benchmarks: exact search against scikit-learn and faiss, approximate at 1M.

    .venv/bin/python bench/knn_graph.py                       # both parts
    .venv/bin/python bench/knn_graph.py --approx-n 0          # exact part only

Part 1 — exact kNN, k = 10, cosine, 50k x 384 (clustered synthetic data): embviz
``knn_graph(method="exact")`` (blocked torch top-k + float64 refinement) vs scikit-learn
``NearestNeighbors(algorithm="brute")`` vs faiss ``IndexFlatIP`` on unit rows. Median of
``--repeats`` alternating runs. Goals: >= 3x scikit-learn, >= 0.8x faiss, same neighbours.

Part 2 — approximate kNN (faiss HNSW through ``knn_graph(method="approximate")``) on 1M x 384
clustered data of low intrinsic dimension: build+search time, peak RSS, and recall@10 against
exact neighbours of 2,000 sampled rows. Goal: recall@10 >= 0.95.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np


def clustered(n: int, d: int = 384, clusters: int = 200, intrinsic: int = 16,
              seed: int = 0) -> np.ndarray:
    """Gaussian clusters, each spread over a random ``intrinsic``-dimensional subspace."""
    rng = np.random.default_rng(seed)
    centers = rng.normal(size=(clusters, d)).astype(np.float32)
    bases = rng.normal(size=(clusters, intrinsic, d)).astype(np.float32) / np.sqrt(intrinsic)
    label = rng.integers(0, clusters, n)
    X = np.empty((n, d), np.float32)
    for start in range(0, n, 20_000):
        rows = slice(start, min(n, start + 20_000))
        z = rng.normal(size=(rows.stop - rows.start, intrinsic)).astype(np.float32)
        X[rows] = centers[label[rows]] + np.einsum("ni,nid->nd", z, bases[label[rows]]) * 0.5
        X[rows] += rng.normal(size=X[rows].shape).astype(np.float32) * 0.02
    return X


def _status_gb(field: str) -> float:
    """A memory field of /proc/self/status (Linux), in GB."""
    with open("/proc/self/status") as fh:
        line = next(line for line in fh if line.startswith(field))
    return int(line.split()[1]) / 2**20


def _timed(fn):
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def exact_part(n: int, k: int, repeats: int) -> None:
    import faiss
    from sklearn.neighbors import NearestNeighbors

    from embviz.neighbors import knn_graph

    X = clustered(n)
    U = X / np.linalg.norm(X, axis=1, keepdims=True)

    def ours():
        return knn_graph(X, k, metric="cosine", method="exact", progress=False).indices

    def sklearn():
        nn = NearestNeighbors(n_neighbors=k + 1, metric="cosine", algorithm="brute").fit(X)
        return nn.kneighbors(X, return_distance=False)[:, 1:]

    def flat_ip():
        index = faiss.IndexFlatIP(U.shape[1])
        index.add(U)
        return index.search(U, k + 1)[1][:, 1:]

    peers = {"embviz": ours, "scikit-learn brute": sklearn, "faiss IndexFlatIP": flat_ip}
    times = {name: [] for name in peers}
    results = {}
    ours()  # warm-up (thread pools, first allocations)
    for _ in range(repeats):
        for name, fn in peers.items():
            seconds, results[name] = _timed(fn)
            times[name].append(seconds)
    med = {name: statistics.median(t) for name, t in times.items()}
    print(f"[1] exact kNN, k={k}, cosine, {n:,} x {X.shape[1]} (median of {repeats})")
    for name in peers:
        agree = (np.sort(results[name], 1) == np.sort(results["embviz"], 1)).mean()
        speedup = med[name] / med["embviz"]
        print(f"  {name:20s} {med[name]:7.2f} s   speed-up of embviz {speedup:5.2f}x"
              f"   same neighbours {agree:.4f}")
    print(f"  goals: >= 3x scikit-learn (got {med['scikit-learn brute'] / med['embviz']:.2f}x), "
          f">= 0.8x faiss (got {med['faiss IndexFlatIP'] / med['embviz']:.2f}x)")


def approximate_part(n: int, k: int) -> None:
    from embviz.neighbors import exact_knn_rows, knn_graph, recall_at_k

    X = clustered(n, seed=1)
    with open("/proc/self/clear_refs", "w") as fh:  # reset the peak RSS (VmHWM) to now
        fh.write("5")
    rss_before = _status_gb("VmRSS")
    seconds, graph = _timed(lambda: knn_graph(X, k, method="approximate", progress=False))
    peak = _status_gb("VmHWM")
    rows = np.random.default_rng(0).choice(n, 2000, replace=False)
    exact = exact_knn_rows(X, rows, k)
    print(f"[2] approximate kNN ({graph.method}, {graph.params}), k={k}, {n:,} x {X.shape[1]}")
    print(f"  build + search {seconds:7.1f} s   peak RSS during the search {peak:5.2f} GB "
          f"(before it {rss_before:.2f} GB, of which the data {X.nbytes / 2**30:.2f} GB)")
    print(f"  recall@{k} on 2,000 sampled rows: {recall_at_k(graph, exact):.4f} (goal >= 0.95)")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=50_000)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--approx-n", type=int, default=1_000_000)
    args = parser.parse_args(argv)
    if args.n:
        exact_part(args.n, args.k, args.repeats)
    if args.approx_n:
        approximate_part(args.approx_n, args.k)


if __name__ == "__main__":
    main()
