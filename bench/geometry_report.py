"""The full geometry report at scale: its time against its kNN graph alone, and its memory.

    .venv/bin/python bench/geometry_report.py            # 100k x 384
    .venv/bin/python bench/geometry_report.py --n 20000

Data: clustered synthetic embeddings of low intrinsic dimension (``bench/knn_graph.py``'s
generator). The report builds one kNN graph at k = 128 (local ID's L; a cosine graph of the
unit rows by default) and derives everything from it. Goals: report time <= 1.5x the time of
building that graph alone; peak memory < 4 GB.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from knn_graph import _status_gb, clustered


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--d", type=int, default=384)
    args = parser.parse_args(argv)
    import numpy as np

    from embviz.metrics import geometry_report
    from embviz.neighbors import knn_graph

    X = clustered(args.n, args.d)
    unit = X / np.linalg.norm(X, axis=1, keepdims=True)
    with open("/proc/self/clear_refs", "w") as fh:  # peak RSS from here on
        fh.write("5")
    before = _status_gb("VmRSS")
    start = time.perf_counter()
    knn_graph(unit, k=128, metric="cosine", progress=False)  # the report's own graph
    graph_s = time.perf_counter() - start
    start = time.perf_counter()
    table = geometry_report(X, progress=False)
    report_s = time.perf_counter() - start
    peak = _status_gb("VmHWM")
    print(table.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    print(f"\n{args.n:,} x {args.d}: kNN graph alone (k=128) {graph_s:.1f} s; full report "
          f"{report_s:.1f} s; ratio {report_s / graph_s:.2f} (goal <= 1.5)")
    print(f"peak RSS {peak:.2f} GB (before: {before:.2f} GB, data {X.nbytes / 2**30:.2f} GB; "
          f"goal < 4 GB)")


if __name__ == "__main__":
    main()
