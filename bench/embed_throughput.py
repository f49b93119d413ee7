"""Embedding throughput and memory: embviz vs sentence-transformers, measured in one run.

    ./dev.sh bench                # or: .venv/bin/python bench/embed_throughput.py

Part 1 — same model (all-MiniLM-L6-v2), same 5,000 texts of the default corpus, CPU, batch 64:
texts/s of ``embviz.embed.Encoder.encode`` and ``SentenceTransformer.encode`` (median of
``--repeats`` alternating runs after a warm-up), their ratio, and the largest |1 - cos| between
the two sets of vectors. Goal: ratio >= 1.2 with cos >= 0.9999.

Part 2 — peak memory of ``embed_corpus`` through the chunked cache as n grows (each size in a
fresh process, fresh cache): the peak RSS while embedding (Linux VmHWM, reset after the model
is loaded), the output array's own size, and the working memory (peak - output - the RSS before
embedding, i.e. with the model and the corpus loaded). Goal: working memory flat as n grows.
It is bounded by
one batch's activations (batch size x the longest text's tokens, capped by max_length), not by
n: the longest text of each sample is printed beside it.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def throughput(n_texts: int, repeats: int, batch_size: int) -> dict:
    from sentence_transformers import SentenceTransformer

    from embviz.datasets import load_dataset
    from embviz.embed import Encoder

    texts = load_dataset("default")["text"].tolist()[:n_texts]
    ours = Encoder("minilm", device="cpu", normalize=True, batch_size=batch_size,
                   progress=False)
    peer = SentenceTransformer(ours.model_info.path, device="cpu")
    ours.encode(texts[:batch_size])  # warm-up: load, first-call allocations
    peer.encode(texts[:batch_size], batch_size=batch_size)
    times = {"embviz": [], "sentence-transformers": []}
    for _ in range(repeats):  # alternate, so drift of a noisy machine hits both
        start = time.perf_counter()
        X = ours.encode(texts)
        times["embviz"].append(time.perf_counter() - start)
        start = time.perf_counter()
        Y = peer.encode(texts, batch_size=batch_size, convert_to_numpy=True)
        times["sentence-transformers"].append(time.perf_counter() - start)
    cos = (X * Y).sum(1) / np.linalg.norm(X, axis=1) / np.linalg.norm(Y, axis=1)
    rate = {k: n_texts / statistics.median(v) for k, v in times.items()}
    return {"texts": n_texts, "batch_size": batch_size, "repeats": repeats,
            "embviz_texts_per_s": rate["embviz"],
            "st_texts_per_s": rate["sentence-transformers"],
            "ratio": rate["embviz"] / rate["sentence-transformers"],
            "max_abs_1_minus_cos": float(np.abs(1 - cos).max()),
            "runs_s": times}


_MEMORY_CHILD = """
import json, os, sys, tempfile
os.environ["HF_HUB_OFFLINE"] = "1"
from embviz.datasets import load_dataset
from embviz.embed import Encoder, embed_corpus

def status_mb(field):
    for line in open("/proc/self/status"):
        if line.startswith(field):
            return int(line.split()[1]) / 1024

n = int(sys.argv[1])
corpus = load_dataset("wordnet", n=n, random_state=0)
Encoder("minilm", device="cpu", progress=False).encode(["warm-up"])  # model in memory
with open("/proc/self/clear_refs", "w") as fh:  # reset the peak (VmHWM) to the current RSS
    fh.write("5")
base = status_mb("VmRSS")
with tempfile.TemporaryDirectory() as cache:
    es = embed_corpus(corpus, device="cpu", progress=False, cache_dir=cache)
longest = max(es.provenance["max_length"], 0)
tokens = Encoder("minilm", device="cpu", progress=False)._load()[0](
    corpus["text"].tolist(), truncation=True, max_length=longest)["input_ids"]
print(json.dumps({"n": n, "baseline_mb": base, "peak_mb": status_mb("VmHWM"),
                  "output_mb": es.vectors.nbytes / 2**20,
                  "longest_tokens": max(map(len, tokens))}))
"""


def memory(sizes: list[int]) -> list[dict]:
    rows = []
    for n in sizes:
        start = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", _MEMORY_CHILD, str(n)], check=True,
                             capture_output=True, text=True)
        row = json.loads(out.stdout.strip().splitlines()[-1])
        row["working_mb"] = row["peak_mb"] - row["baseline_mb"] - row["output_mb"]
        row["seconds"] = time.perf_counter() - start
        rows.append(row)
        print(f"  n={n:>7,d}  peak {row['peak_mb']:7.0f} MB  output {row['output_mb']:6.0f} MB"
              f"  working {row['working_mb']:6.0f} MB  longest text {row['longest_tokens']} "
              f"tokens  ({row['seconds']:.0f} s)", flush=True)
    return rows


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=5000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--memory-sizes", default="10000,30000,100000",
                        help="comma-separated corpus sizes for part 2 ('' to skip)")
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args(argv)

    print(f"[1] throughput, minilm, {args.texts} texts, CPU, batch {args.batch_size}")
    result = {"throughput": throughput(args.texts, args.repeats, args.batch_size)}
    t = result["throughput"]
    print(f"  embviz                {t['embviz_texts_per_s']:8.1f} texts/s (median)")
    print(f"  sentence-transformers {t['st_texts_per_s']:8.1f} texts/s (median)")
    print(f"  ratio embviz / ST     {t['ratio']:8.2f}   (goal >= 1.2)")
    print(f"  max |1 - cos|         {t['max_abs_1_minus_cos']:8.1e}   (goal <= 1e-4)")
    sizes = [int(s) for s in args.memory_sizes.split(",") if s]
    if sizes:
        print("[2] peak memory of embed_corpus through the cache (fresh process per size)")
        result["memory"] = memory(sizes)
        working = [r["working_mb"] for r in result["memory"]]
        print(f"  working memory from n={sizes[0]:,} to n={sizes[-1]:,}: "
              f"{working[0]:.0f} -> {working[-1]:.0f} MB")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(result, fh, indent=2)


if __name__ == "__main__":
    main()
