"""Embedding on Dask, and a memory-mapped million-vector set through graph -> report -> map.

    .venv/bin/python bench/embed_dask.py                      # both parts
    .venv/bin/python bench/embed_dask.py --n-texts 0          # part 2 only
    .venv/bin/python bench/embed_dask.py --n 0                # part 1 only

Part 1 — ``--n-texts`` (20,000) WordNet glosses embedded with the default model (minilm, CPU)
by one process (torch on every core) and by a ``LocalCluster`` of 2 single-threaded worker
processes (``embed_corpus(..., client=)``; the workers load the model on a first small job,
timed apart), each into its own empty cache: texts/s of both,
their ratio (on 2 cores expect about 1x: the point is that the same code scales out), the
largest difference between the two sets of vectors, and the driver's peak memory.

Part 2 — ``--n`` (1,000,000) x 384 clustered synthetic vectors (``bench/knn_graph.py``'s
generator), written batch by batch to a Parquet file with a text and a label column, then, in
a fresh process: ``read_vector_file(..., mmap_path=)`` streams them into a memory-mapped .npy,
and the explorer's pipeline runs on the map: the cosine kNN graph (HNSW above 200,000 points,
k = 128 for local ID), the geometry report on that graph, and the PCA map (the explorer's
default above 200,000 points). Prints the time and the peak RSS after each step (goal: peak
RSS <= 6 GB); each step's peak is its own (the high-water mark is reset before it). What
must be in memory at once: while faiss builds the HNSW index, the unit rows (n·d float32)
and faiss's copy of them; then faiss's copy (the search refines from it), its links and the
graph (n·k int64 + float32); in the report, the graph and the report's unit rows. Everything
else is read from the memory map block by block, and the map's pages are handed back after
each block (``embviz._blocks.read_blocks``), so they do not add up in the RSS.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
_START_ENVIRON = dict(os.environ)


def _status_gb(field: str) -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 2**20
    return float("nan")


def _reset_peak() -> None:
    with open("/proc/self/clear_refs", "w") as fh:  # VmHWM := VmRSS from here on
        fh.write("5")


# ----------------------------------------------------------------------------- part 1
def _timed_embed(texts, cache: Path, client=None) -> tuple[object, float, float]:
    from embviz.embed import embed_corpus

    _reset_peak()
    start = time.perf_counter()
    data = embed_corpus(texts, device="cpu", cache_dir=cache, chunk_size=500, progress=False,
                        client=client)
    return data, time.perf_counter() - start, _status_gb("VmHWM")


def part_dask(n_texts: int) -> None:
    import numpy as np
    from distributed import Client, LocalCluster

    from embviz.datasets import load_dataset
    from embviz.embed import Encoder

    texts = load_dataset("wordnet", n=n_texts, random_state=0)["text"].tolist()
    Encoder("minilm", device="cpu", progress=False).encode(texts[:8])  # load once, untimed
    with tempfile.TemporaryDirectory() as tmp:
        single, single_s, single_peak = _timed_embed(texts, Path(tmp) / "single")
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                          dashboard_address=None) as cluster, Client(cluster) as client:
            start = time.perf_counter()  # each worker loads the model once: untimed below
            _timed_embed(texts[:16], Path(tmp) / "warm-up", client)
            warm_up_s = time.perf_counter() - start
            dask, dask_s, driver_peak = _timed_embed(texts, Path(tmp) / "dask", client)
    diff = float(np.abs(single.vectors - dask.vectors).max())
    print(f"part 1: {n_texts:,} WordNet glosses, minilm on CPU, chunks of 500")
    print(f"  single process            {n_texts / single_s:8.1f} texts/s  ({single_s:.1f} s, "
          f"peak RSS {single_peak:.2f} GiB)")
    print(f"  LocalCluster 2 x 1 thread {n_texts / dask_s:8.1f} texts/s  ({dask_s:.1f} s, "
          f"driver peak RSS {driver_peak:.2f} GiB; before it, the workers loaded the model "
          f"in {warm_up_s:.1f} s)")
    print(f"  ratio dask / single {single_s / dask_s:.2f} (about 1 on 2 cores); max |diff| "
          f"of the vectors {diff:.2e}")


# ----------------------------------------------------------------------------- part 2
def write_parquet(path: Path, n: int, d: int, batch: int = 65_536) -> None:
    """Clustered vectors, as ``bench/knn_graph.py`` makes them, written batch by batch."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    clusters, intrinsic = 200, 16
    rng = np.random.default_rng(0)
    centers = rng.normal(size=(clusters, d)).astype(np.float32)
    bases = rng.normal(size=(clusters, intrinsic, d)).astype(np.float32) / np.sqrt(intrinsic)
    schema = pa.schema([("text", pa.string()), ("label", pa.string()),
                        ("embedding", pa.list_(pa.float32(), d))])
    with pq.ParquetWriter(path, schema) as writer:
        for start in range(0, n, batch):
            m = min(batch, n - start)
            label = rng.integers(0, clusters, m)
            z = rng.normal(size=(m, intrinsic)).astype(np.float32)
            X = centers[label] + np.einsum("ni,nid->nd", z, bases[label]) * 0.5
            X += rng.normal(size=X.shape).astype(np.float32) * 0.02
            writer.write_table(pa.table({
                "text": [f"document {i}" for i in range(start, start + m)],
                "label": [f"c{c:03d}" for c in label],
                "embedding": pa.FixedSizeListArray.from_arrays(pa.array(X.ravel()), d)},
                schema))


def pipeline(parquet: str, npy: str) -> dict:
    """In a fresh process: Parquet -> memory map -> graph -> report -> PCA map."""
    from embviz.exploration import Exploration
    from embviz.sources import read_vector_file

    steps = {}

    def step(name, work):
        _reset_peak()  # each step's own peak
        start = time.perf_counter()
        result = work()
        steps[name] = {"seconds": time.perf_counter() - start, "peak_gb": _status_gb("VmHWM"),
                       "rss_gb": _status_gb("VmRSS")}
        return result

    data = step("parquet -> memory map", lambda: read_vector_file(
        parquet, "embedding", label_column="label", mmap_path=npy))
    steps["storage"] = data.provenance["source"]["storage"]
    exploration = Exploration(data, progress=False, map_cache=False)
    sizes = exploration.report_sizes()
    graph = step(f"kNN graph (k={sizes['local_k']})",
                 lambda: exploration.graph(sizes["local_k"]))
    steps["graph_method"] = graph.method
    table = step("geometry report", exploration.geometry)
    step("PCA map", lambda: exploration.coords("pca"))
    steps["report"] = table[["metric", "value"]].to_dict("records")
    return steps


def part_memmap(n: int, d: int, folder: Path) -> None:
    parquet, npy = folder / "vectors.parquet", folder / "vectors.npy"
    start = time.perf_counter()
    write_parquet(parquet, n, d)
    print(f"part 2: {n:,} x {d} vectors written to Parquet in "
          f"{time.perf_counter() - start:.0f} s ({parquet.stat().st_size / 2**30:.2f} GiB)")
    code = (f"import json, sys; sys.path.insert(0, {os.path.dirname(__file__)!r}); "
            f"from embed_dask import pipeline; "
            f"print(json.dumps(pipeline({str(parquet)!r}, {str(npy)!r})))")
    # a LocalCluster (part 1) sets OMP_NUM_THREADS=1 etc. in this process's environment for
    # its workers: the pipeline gets the environment this script started with
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=_START_ENVIRON)
    if out.returncode:
        sys.exit(out.stderr)
    steps = json.loads(out.stdout.strip().splitlines()[-1])
    total = 0.0
    for name, value in steps.items():
        if isinstance(value, dict):
            total += value["seconds"]
            print(f"  {name:26s} {value['seconds']:8.1f} s   peak RSS {value['peak_gb']:5.2f} "
                  f"GiB   RSS after {value['rss_gb']:5.2f} GiB")
    peak = max(v["peak_gb"] for v in steps.values() if isinstance(v, dict))
    print(f"  total {total:.0f} s; peak RSS {peak:.2f} GiB (goal <= 6 GB = 5.59 GiB); vectors "
          f"{steps['storage']}; graph {steps['graph_method']}")
    print("  report: " + ", ".join(f"{r['metric']}={r['value']:.4g}" for r in steps["report"]))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-texts", type=int, default=20_000, help="part 1 (0 skips it)")
    parser.add_argument("--n", type=int, default=1_000_000, help="part 2 (0 skips it)")
    parser.add_argument("--d", type=int, default=384)
    parser.add_argument("--folder", type=Path, help="where part 2 writes its files "
                                                    "(default: a temporary folder)")
    args = parser.parse_args(argv)
    if args.n_texts:
        part_dask(args.n_texts)
    if args.n:
        with tempfile.TemporaryDirectory() as tmp:
            folder = args.folder or Path(tmp)
            folder.mkdir(parents=True, exist_ok=True)
            part_memmap(args.n, args.d, folder)


if __name__ == "__main__":
    main()
