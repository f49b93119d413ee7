"""Drift benchmarks: the MMD permutation test at scale against alibi-detect, p-value agreement,
and power versus sample size of every two-sample test.

    .venv/bin/python bench/drift_mmd.py            # n up to 20,000 per side (~15-30 min)
    .venv/bin/python bench/drift_mmd.py --quick    # n up to 2,000 per side

Data: MiniLM (384-d, CPU) embeddings of KJV and WEB Bible verses (``load_dataset("bible")``),
embedded once and cached on disk; KJV takes ``--real-max`` verses in one random order, WEB as
many in the reverse order (no verse on both sides). Embedding runs at ~20 texts/s on this
shared 2-core machine, so 40,000 verses would take over half an hour: sizes above
``--real-max`` per side time the test on synthetic unit vectors of the same shape (d = 384,
a Gaussian mixture around a common offset, like embedding clouds). The cost of the test
depends on n, d and P only, not on the values; the ``data`` column says which was used.

[1] Time and peak memory of ``mmd_test`` (RBF, median bandwidth, P permutations, no bootstrap)
    against alibi-detect's ``MMDDrift`` (pytorch backend, CPU) at EQUAL permutations and the
    same bandwidth. alibi-detect runs in its own virtual environment (it breaks the project's
    transformers), created under ``~/.cache/embviz/bench-venvs/alibi`` on first use, in a
    subprocess capped at ``--alibi-memory-gb`` of address space (it holds the full (N, N)
    kernel: 6.4 GB at 20k per side, more while permuting). Peak = VmHWM − RSS before the
    call (the data and the libraries are not counted), in GB.
[2] p-value agreement with alibi-detect on data with a mid-range p-value (KJV against KJV
    with a few WEB verses mixed in), P = 1,000: |Δp| in units of its Monte-Carlo standard
    error sqrt(2 p (1 − p) / P).
[3] Power (share of p < 0.05 over R resamples) versus n per side, KJV vs WEB (disjoint verse
    sets), for every test; and the false-positive rate at the same sizes (KJV vs KJV).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ALIBI_VENV = Path.home() / ".cache" / "embviz" / "bench-venvs" / "alibi"
WORKER = Path(__file__).with_name("drift_alibi_worker.py")


def _status_gb(field: str) -> float:
    """A memory field of /proc/self/status (Linux), in GB."""
    with open("/proc/self/status") as fh:
        line = next(line for line in fh if line.startswith(field))
    return int(line.split()[1]) / 2**20


def _reset_peak() -> None:
    try:
        with open("/proc/self/clear_refs", "w") as fh:  # reset VmHWM to the current RSS
            fh.write("5")
    except OSError:
        pass


def synthetic_sides(n: int, d: int = 384, seed: int = 0):
    """Two (n, d) float32 clouds of unit vectors: 20 Gaussian clusters around one offset,
    the second with slightly different cluster weights (a small drift)."""
    rng = np.random.default_rng(seed)
    centers = rng.normal(size=(20, d)) * 0.3 + rng.normal(size=d)

    def cloud(weights):
        X = centers[rng.choice(20, n, p=weights)] + rng.normal(size=(n, d))
        return (X / np.linalg.norm(X, axis=1, keepdims=True)).astype(np.float32)

    w = np.full(20, 1 / 20)
    return cloud(w), cloud(np.r_[w[:10] * 1.1, w[10:] * 0.9])


def bible_sides(n_max: int, seed: int = 0):
    """(KJV, WEB) EmbeddingSets of n_max verses each; WEB in the reverse verse order."""
    from embviz.datasets import load_dataset
    from embviz.embed import embed_corpus

    bible = load_dataset("bible")
    order = np.random.default_rng(seed).permutation(bible["verse"].unique())
    kjv = bible[bible["group"] == "KJV"].set_index("verse").loc[order[:n_max]]
    web = bible[bible["group"] == "WEB"].set_index("verse").loc[order[::-1][:n_max]]
    corpus = pd.concat([kjv, web]).reset_index()
    es = embed_corpus(corpus, model="minilm", device="cpu", progress=True)
    return es.subset(np.arange(n_max)), es.subset(np.arange(n_max, 2 * n_max))


# ----------------------------------------------------------------------------- alibi venv
def ensure_alibi() -> Path | None:
    """The alibi venv's python, created on first use; None (with the reason) if it fails."""
    python = ALIBI_VENV / "bin" / "python"
    if python.exists():
        return python
    print(f"  creating {ALIBI_VENV} (python3.11 -m venv; pip install torch==2.13.0 "
          f"alibi-detect numpy) ...", flush=True)
    steps = [["python3.11", "-m", "venv", str(ALIBI_VENV)],
             [str(ALIBI_VENV / "bin" / "pip"), "install", "-q", "torch==2.13.0"],
             [str(ALIBI_VENV / "bin" / "pip"), "install", "-q", "alibi-detect", "numpy"]]
    for step in steps:
        done = subprocess.run(step, capture_output=True, text=True)
        if done.returncode:
            print(f"  alibi-detect could not be installed: {' '.join(step)} failed:\n"
                  f"{done.stderr[-800:]}")
            return None
    return python


def run_alibi(python: Path, a: np.ndarray, b: np.ndarray, sigma: float, n_perm: int,
              memory_gb: float, seed: int = 0, timeout: float = 900) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        pa, pb = Path(tmp) / "a.npy", Path(tmp) / "b.npy"
        np.save(pa, a)
        np.save(pb, b)
        limit = int(memory_gb * 2**30)

        def cap():  # address-space cap: an allocation beyond it fails instead of swapping
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

        try:
            done = subprocess.run([str(python), str(WORKER), str(pa),  # same niceness
                                   str(pb), repr(sigma), str(n_perm), str(seed)],
                                  capture_output=True, text=True, preexec_fn=cap,
                                  timeout=timeout)
        except subprocess.TimeoutExpired:
            return {"ok": False, "error": f"timed out after {timeout:.0f} s"}
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if not lines:
        return {"ok": False, "error": f"exit {done.returncode}: {done.stderr[-300:]}"}
    return json.loads(lines[-1])


# ----------------------------------------------------------------------------- part 1
def ours(a: np.ndarray, b: np.ndarray, n_perm: int, bandwidth=None, seed: int = 0):
    from embviz.drift import mmd_test

    _reset_peak()
    before = _status_gb("VmRSS")
    start = time.perf_counter()
    res = mmd_test(a, b, bandwidth=bandwidth, n_permutations=n_perm, n_resamples=0,
                   random_state=seed, progress=False)
    seconds = time.perf_counter() - start
    return res, seconds, _status_gb("VmHWM") - before


def _sides(kjv, web, n: int):
    if n <= len(kjv):
        return kjv.vectors[:n], web.vectors[:n], "bible"
    return (*synthetic_sides(n), "synthetic")


def speed_part(kjv, web, sizes, n_perm, alibi_python, memory_gb, timeout) -> pd.DataFrame:
    from embviz.drift import mmd_test

    mmd_test(kjv.vectors[:200], web.vectors[:200], n_permutations=10,  # warm-up (torch)
             progress=False)
    rows = []
    for n in sizes:
        a, b, data = _sides(kjv, web, n)
        res, seconds, peak = ours(a, b, n_perm)
        row = {"n_side": n, "data": data, "P": n_perm, "ours_s": seconds, "ours_peak_gb": peak,
               "ours_p": res.p_value, "ours_mmd2": res.statistic,
               "full_kernel_gb": (2 * n) ** 2 * 4 / 2**30}
        if alibi_python is not None:
            out = run_alibi(alibi_python, a, b, res.parameters["bandwidth"], n_perm, memory_gb,
                            timeout=timeout)
            row.update(alibi_s=out["seconds"] if out["ok"] else np.nan,
                       alibi_peak_gb=out["peak_gb"] - out["rss_before_gb"]
                       if out["ok"] else np.nan,
                       alibi_p=out.get("p_value", np.nan), alibi_mmd2=out.get("mmd2", np.nan),
                       alibi_note="" if out["ok"] else out["error"][:60])
            row["speedup"] = row["alibi_s"] / seconds
        rows.append(row)
        print("  " + json.dumps({k: (round(v, 5) if isinstance(v, float) else v)
                                 for k, v in row.items()}), flush=True)
    return pd.DataFrame(rows)


def big_run(kjv, web, n: int, n_perm: int) -> None:
    a, b, data = _sides(kjv, web, n)
    res, seconds, peak = ours(a, b, n_perm)
    print(f"  n = {n:,} per side ({data}), P = {n_perm}: {seconds:.1f} s, peak +{peak:.2f} GB "
          f"(a full pooled kernel would be {(2 * n) ** 2 * 4 / 2**30:.1f} GB), "
          f"MMD² = {res.statistic:.5f}, p = {res.p_value:.4g}", flush=True)


# ----------------------------------------------------------------------------- part 2
def agreement_part(kjv, web, alibi_python, n: int, n_perm: int, mix: float,
                   repeats: int) -> None:
    rng = np.random.default_rng(1)
    a = kjv.vectors[:n]
    print(f"  KJV[:{n}] vs {n} other KJV verses with {mix:.0%} WEB verses, P = {n_perm}")
    for r in range(repeats):
        n_web = int(mix * n)
        b = np.r_[kjv.vectors[n:2 * n - n_web], web.vectors[rng.choice(len(web), n_web, False)]]
        res, seconds, _ = ours(a, b, n_perm, seed=r)
        out = run_alibi(alibi_python, a, b, res.parameters["bandwidth"], n_perm, 8, seed=r)
        p, q = res.p_value, out.get("p_value", np.nan)
        se = np.sqrt(2 * max(p * (1 - p), 1 / n_perm) / n_perm)
        print(f"  repeat {r}: MMD² ours {res.statistic:.6f} alibi {out.get('mmd2', np.nan):.6f}"
              f"; p ours {p:.4f} alibi {q:.4f}; |Δp| = {abs(p - q):.4f} = "
              f"{abs(p - q) / se:.2f} MC s.e.; time ours {seconds:.2f} s alibi "
              f"{out.get('seconds', np.nan):.2f} s", flush=True)


# ----------------------------------------------------------------------------- part 3
def _tests(n_perm: int):
    from embviz.drift import (
        centroid_shift,
        classifier_test,
        depth_test,
        drifted_dimensions,
        energy_test,
        mmd_test,
    )

    return {"mmd": lambda a, b, s: mmd_test(a, b, n_permutations=n_perm, n_resamples=0,
                                            random_state=s, progress=False),
            "energy": lambda a, b, s: energy_test(a, b, n_permutations=n_perm, n_resamples=0,
                                                  random_state=s, progress=False),
            "depth": lambda a, b, s: depth_test(a, b),
            "classifier": lambda a, b, s: classifier_test(a, b, n_permutations=0,
                                                          random_state=s, progress=False),
            "centroid": lambda a, b, s: centroid_shift(a, b, n_permutations=n_perm,
                                                       n_resamples=0, random_state=s),
            "dimensions": lambda a, b, s: drifted_dimensions(a, b)}


def power_part(kjv, web, sizes, n_resamples: int, n_perm: int) -> pd.DataFrame:
    from threadpoolctl import threadpool_limits

    tests = _tests(n_perm)
    pool_k, pool_w = kjv.vectors, web.vectors  # disjoint verse sets
    rows = []
    with threadpool_limits(1):  # small matrices: BLAS threads cost more than they give
        for n in sizes:
            rng = np.random.default_rng(n)
            p = {(name, kind): [] for name in tests for kind in ("power", "fpr")}
            for r in range(n_resamples):
                ka = rng.choice(len(pool_k), 2 * n, replace=False)
                wb = pool_w[rng.choice(len(pool_w), n, replace=False)]
                for name, run in tests.items():
                    p[name, "power"].append(run(pool_k[ka[:n]], wb, r).p_value)
                    p[name, "fpr"].append(run(pool_k[ka[:n]], pool_k[ka[n:]], r).p_value)
            for name in tests:
                rows.append({"method": name, "n": n, "n_resamples": n_resamples,
                             "power": np.mean(np.array(p[name, "power"]) < 0.05),
                             "fpr": np.mean(np.array(p[name, "fpr"]) < 0.05)})
            print(f"  n = {n} done", flush=True)
    return pd.DataFrame(rows)


def classifier_permutation_fpr(kjv, repeats: int, n: int, n_perm: int) -> None:
    """FPR of the classifier test's permutation p-value (refits; slow, so small)."""
    from threadpoolctl import threadpool_limits

    from embviz.drift import classifier_test

    rng = np.random.default_rng(7)
    pool = kjv.vectors
    start = time.perf_counter()
    with threadpool_limits(1):
        p = [classifier_test(*np.split(pool[rng.choice(len(pool), 2 * n, replace=False)], 2),
                             n_folds=2, n_permutations=n_perm, random_state=r,
                             progress=False).p_value
             for r in range(repeats)]
    rate = np.mean(np.array(p) < 0.05)
    print(f"  classifier_test permutation p-value (2 folds, P = {n_perm}), KJV vs KJV, "
          f"n = {n}, {repeats} repeats: FPR = {rate:.3f} "
          f"(binomial s.e. {np.sqrt(0.05 * 0.95 / repeats):.3f}); "
          f"{time.perf_counter() - start:.0f} s")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--no-alibi", action="store_true")
    parser.add_argument("--alibi-memory-gb", type=float, default=14.0)
    parser.add_argument("--alibi-timeout", type=float, default=600.0,
                        help="seconds before an alibi-detect run is stopped")
    parser.add_argument("--real-max", type=int, default=None,
                        help="verses per side to embed (default 2,000 quick / 5,000 full)")
    parser.add_argument("--figure", help="write the power curve to this HTML file")
    args = parser.parse_args(argv)
    quick = args.quick
    sizes = [500, 1000, 2000] if quick else [1000, 2000, 5000, 10_000, 20_000]
    print(f"embviz drift benchmark ({'quick' if quick else 'full'}), {os.cpu_count()} CPUs",
          flush=True)
    kjv, web = bible_sides(args.real_max or (2000 if quick else 5000))
    alibi = None if args.no_alibi else ensure_alibi()
    print(f"\n[1] MMD permutation test, P = 100, RBF median bandwidth, d = {kjv.dim}:",
          flush=True)
    table = speed_part(kjv, web, sizes, 100, alibi, args.alibi_memory_gb, args.alibi_timeout)
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(table.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    print("\n[1b] embviz alone, P = 1000:", flush=True)
    big_run(kjv, web, max(sizes), 1000)
    if alibi is not None:
        print("\n[2] p-value agreement with alibi-detect:", flush=True)
        agreement_part(kjv, web, alibi, 500, 1000, 0.04, 3)
    print("\n[3] power (p < 0.05) and false-positive rate vs n per side:", flush=True)
    power = power_part(kjv, web, [10, 25, 50] if quick else [10, 25, 50, 100],
                       20 if quick else 100, 99)
    print(power.pivot(index="method", columns="n", values="power").to_string(
        float_format=lambda v: f"{v:.2f}"))
    print("  false-positive rate (KJV vs KJV):")
    print(power.pivot(index="method", columns="n", values="fpr").to_string(
        float_format=lambda v: f"{v:.2f}"))
    if args.figure:
        from embviz.viz import power_curve_figure

        power_curve_figure(power, alpha=0.05).write_html(args.figure)
    print()
    classifier_permutation_fpr(kjv, 20 if quick else 60, 50, 99)


if __name__ == "__main__":
    main()
