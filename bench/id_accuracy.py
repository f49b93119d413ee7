"""Intrinsic-dimension accuracy on scikit-dimension's 24 benchmark manifolds: embviz's
estimators (and the new calibrated TwoNN) against scikit-dimension and DADApy.

Goal: how far each estimator lands from the true dimension at the sizes users meet, and
whether calibrated TwoNN removes TwoNN's finite-sample underestimate on high-dimensional
manifolds (true d >= 10) at no cost on low-dimensional ones (d <= 6).

Data: ``skdim.datasets.BenchmarkManifolds(random_state=seed).generate(n=n)``, 24 manifolds of
true dimension 1 to 70 (``bm.truth["Intrinsic Dimension"]``), at n = 1,000 / 2,500 / 10,000
(``--sizes``) and seeds 0, 1, 2 (``--seeds``). Every estimator uses Euclidean distances.

Each row of the table is an estimator at one n: the mean and median of |estimate/true - 1| over
the 24 manifolds x seeds, the mean time per manifold in seconds (this machine's 2 shared
CPUs, kNN search included), the runs behind them and the failures among them (exceptions or
non-finite estimates, printed; left out of the errors). Rows:

* embviz: ``twonn`` (linear fit, 10% discarded; and ``estimator="mle"``), ``mle(k=20)``
  (MacKay-Ghahramani; and ``unbiased=True, average="mean"``, Levina-Bickel), ``gride(n1=4)``,
  ``pca_dimension(threshold=0.9)``, the median of ``local_intrinsic_dimension(k=128)``
  (skipped at n > 2,500 unless ``--all``: slow-ish) and ``calibrated_twonn``. Its first call
  per n simulates the calibration curve and caches it under ``$EMBVIZ_CACHE/id_calibration``
  (here a fresh temporary folder unless ``--calibration-cache``): that first call is timed
  alone ("first call (cold)"), then an untimed pass over the first seed's manifolds fills the
  rest of the curve, and the table's time is with the cache warm. ``coverage`` is the share of
  manifolds with ci_low <= true <= ci_high (failed runs left out). The interval is built for
  data where the calibration's model holds (uniform samples); the benchmark's curved,
  non-uniform manifolds break it, so coverage here is descriptive, not a test of the interval.
* scikit-dimension 0.5 (project venv), defaults (``random_state=seed`` where it exists):
  ``DANCo``, ``MiND_ML`` (its default D = 10 caps the estimate at 10) and ``ESS`` on the first
  500 rows only (ESS is slow, ~35 s a fit; on 500 rows it is the same estimator at every n, so
  it runs at the smallest n only, and for the seeds in ``--ess-seeds``, by default the first:
  24 fits, ~15 min; each further seed adds ~15 min). Before DANCo or MiND_ML run at an n, one
  fit on the manifold of largest ambient dimension (the slowest) is timed; if it exceeds
  ``--peer-budget-s`` the estimator is skipped at that n and above, with a note.
* DADApy (``Data(X).compute_id_2NN()``, linear fit, 10% discarded; and Gride at n1 = 4, n2 = 8
  from ``return_id_scaling_gride(range_max=8)``, as DADApy 0.3.4 has no single-scale Gride) in
  its own virtual environment (it pins numpy < 2 and jax), created under
  ``~/.cache/embviz/bench-venvs/dadapy`` on first use and run through
  ``bench/id_accuracy_dadapy_worker.py`` in a subprocess; skipped with the reason if it cannot
  be installed. Its times exclude the worker's start-up (importing jax).

Extra rows compare calibrated TwoNN with TwoNN (mle), the estimate it corrects, on the
low-dimensional (d <= 6) and the high-dimensional (d >= 10) manifolds. ``--out`` gets one row
per estimator x manifold x n x seed.

    .venv/bin/python bench/id_accuracy.py                 # full: 3 sizes x 3 seeds (~1-1.5 h)
    .venv/bin/python bench/id_accuracy.py --quick         # n = 1,000, seed 0, no DADApy
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import subprocess
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

os.environ.setdefault("HF_HUB_OFFLINE", "1")
DADAPY_VENV = Path.home() / ".cache" / "embviz" / "bench-venvs" / "dadapy"
WORKER = Path(__file__).with_name("id_accuracy_dadapy_worker.py")
CALIBRATED, TWONN_MLE, ESS = "calibrated TwoNN", "TwoNN (mle)", "ESS (500 rows)"
LOW, HIGH = 6, 10  # the subsets d <= LOW and d >= HIGH


def manifolds(n: int, seed: int, names=None) -> tuple[dict, pd.Series]:
    """The benchmark manifolds ({name: (n, D) array}) and their true dimensions."""
    import skdim

    bm = skdim.datasets.BenchmarkManifolds(random_state=seed)
    data = bm.generate(n=n)
    keep = [k for k in data if names is None or k in names]
    return {k: data[k] for k in keep}, bm.truth["Intrinsic Dimension"].loc[keep].astype(float)


def run_one(fn, X):
    """(estimate, seconds, error text) of ``fn(X)``; never raises, hides warnings and bars."""
    start = time.perf_counter()
    try:
        with warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()):
            warnings.simplefilter("ignore")
            value = fn(X)
        return value, time.perf_counter() - start, ""
    except Exception as err:  # noqa: BLE001 - a failure is a result here
        return None, time.perf_counter() - start, f"{type(err).__name__}: {str(err)[:150]}"


def embviz_estimators(local: bool) -> dict:
    from embviz.metrics import local_intrinsic_dimension, mle, pca_dimension, twonn
    from embviz.metrics.gride import gride

    E = "euclidean"
    estimators = {
        "TwoNN (linear, discard 0.1)": lambda X: twonn(X, metric=E),
        TWONN_MLE: lambda X: twonn(X, estimator="mle", metric=E),
        "MLE k=20 (MacKay-Ghahramani)": lambda X: mle(X, k=20, metric=E),
        "MLE k=20 (Levina-Bickel unbiased)": lambda X: mle(X, k=20, metric=E, unbiased=True,
                                                           average="mean"),
        "Gride n1=4": lambda X: gride(X, n1=4, metric=E),
        "PCA (90% variance)": lambda X: pca_dimension(X, threshold=0.9),
    }
    if local:
        estimators["local ID k=128 (median)"] = lambda X: np.nanmedian(
            local_intrinsic_dimension(X, k=128, metric=E, progress=False))
    return estimators


def peer_estimators(seed: int) -> dict:
    import skdim

    return {"skdim DANCo": lambda X: skdim.id.DANCo(random_state=seed).fit(X).dimension_,
            "skdim MiND_ML": lambda X: skdim.id.MiND_ML().fit(X).dimension_,
            ESS: lambda X: skdim.id.ESS(random_state=seed).fit(X[:500]).dimension_}


def record(rows: list, name: str, manifold: str, truth: pd.Series, n: int, seed: int,
           value, seconds: float, error: str = "", ci=(np.nan, np.nan)) -> None:
    rows.append({"estimator": name, "manifold": manifold, "true_dim": truth[manifold], "n": n,
                 "seed": seed, "estimate": np.nan if value is None else float(value),
                 "ci_low": ci[0], "ci_high": ci[1], "seconds": seconds, "error": error})


def calibrated(X):
    from embviz.metrics.id_calibration import calibrated_twonn

    return calibrated_twonn(X, metric="euclidean", progress=False)


def warm_calibration(data: dict, n: int) -> None:
    """Time the first (cold) call at this n, then fill the cache over all manifolds, untimed."""
    names = list(data)
    _, seconds, error = run_one(calibrated, data[names[0]])
    start = time.perf_counter()
    for name in names[1:]:
        run_one(calibrated, data[name])
    print(f"  calibrated TwoNN at n={n:,}: first call (cold) {seconds:.1f} s on {names[0]}"
          f"{' (' + error + ')' if error else ''}; the rest of the cold pass over "
          f"{len(names) - 1} manifolds {time.perf_counter() - start:.0f} s", flush=True)


def embviz_rows(data, truth, n, seed, local: bool) -> list:
    """Rows of every embviz estimator on every manifold (calibrated TwoNN with its interval).

    Parameters
    ----------
    data : dict of str to ndarray
    truth : Series of true dimensions, indexed by manifold
    n, seed : int
    local : bool
        Include the local-ID median.

    Returns
    -------
    list of dict
    """
    rows = []
    for name, fn in embviz_estimators(local).items():
        for manifold, X in data.items():
            record(rows, name, manifold, truth, n, seed, *run_one(fn, X))
    for manifold, X in data.items():
        res, seconds, error = run_one(calibrated, X)
        ci = (np.nan, np.nan) if res is None else (res.ci_low, res.ci_high)
        record(rows, CALIBRATED, manifold, truth, n, seed,
               None if res is None else res.dimension, seconds, error, ci)
    return rows


def peer_rows(data, truth, n, seed, skip: set, probe: bool, budget: float, ess: bool) -> list:
    """scikit-dimension rows; with ``probe`` the first (largest-D) fit decides whether to go on.

    Estimators over budget are added to ``skip`` (and skipped at every later n and seed).
    """
    rows = []
    order = sorted(data, key=lambda k: -data[k].shape[1])  # the slowest manifold first
    for name, fn in peer_estimators(seed).items():
        if name in skip or (name == ESS and not ess):
            continue
        for i, manifold in enumerate(order):
            value, seconds, error = run_one(fn, data[manifold])
            if probe and i == 0 and name != ESS and seconds > budget:
                print(f"  skip {name} at n >= {n:,}: one fit on {manifold} took {seconds:.0f} s"
                      f" > --peer-budget-s {budget:g}",
                      flush=True)
                skip.add(name)
                break
            record(rows, name, manifold, truth, n, seed, value, seconds, error)
    return rows


def ensure_dadapy() -> Path | None:
    """The DADApy venv's python, created on first use; None (with the reason) if it fails."""
    python = DADAPY_VENV / "bin" / "python"
    if python.exists() and not subprocess.run([str(python), "-c", "import dadapy"],
                                              capture_output=True, check=False).returncode:
        return python
    print(f"  creating {DADAPY_VENV} (python3.11 -m venv; pip install dadapy) ...", flush=True)
    steps = [["python3.11", "-m", "venv", str(DADAPY_VENV)],
             [str(DADAPY_VENV / "bin" / "pip"), "install", "-q", "dadapy"]]
    for step in steps:
        try:
            done = subprocess.run(step, capture_output=True, text=True, timeout=1800,
                                  check=False)
        except (OSError, subprocess.TimeoutExpired) as err:
            done = subprocess.CompletedProcess(step, 1, "", str(err))
        if done.returncode:
            print(f"  DADApy could not be installed, skipped: {' '.join(step)} failed:\n"
                  f"{done.stderr[-800:]}", flush=True)
            return None
    return python


def dadapy_rows(python: Path, data, truth, n, seed, timeout: float = 1800) -> list:
    """DADApy's TwoNN and Gride on every manifold, through the worker (arrays as .npy)."""
    with tempfile.TemporaryDirectory() as tmp:
        for manifold, X in data.items():
            np.save(Path(tmp) / f"{manifold}.npy", X)
        try:
            done = subprocess.run([str(python), str(WORKER), tmp], capture_output=True,
                                  text=True, timeout=timeout, check=False)
            lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
            out = json.loads(lines[-1]) if lines else {
                "error": f"exit {done.returncode}: {done.stderr[-300:]}"}
        except subprocess.TimeoutExpired:
            out = {"error": f"timed out after {timeout:.0f} s"}
    rows = []
    for key, name in (("twonn", "DADApy TwoNN (linear, discard 0.1)"),
                      ("gride", "DADApy Gride n1=4 n2=8")):
        for manifold in data:
            res = out.get("results", {}).get(manifold, {}).get(key, {})
            error = res.get("error", out.get("error", ""))
            record(rows, name, manifold, truth, n, seed, res.get("estimate"),
                   res.get("seconds", np.nan), error)
    return rows


def summarise(df: pd.DataFrame) -> pd.DataFrame:
    """One row per (estimator, n): errors, time, failures and (calibrated) coverage."""
    df = df.assign(err=(df["estimate"] / df["true_dim"] - 1).abs(),
                   failed=~np.isfinite(df["estimate"]),
                   covered=((df["ci_low"] <= df["true_dim"]) & (df["true_dim"] <= df["ci_high"])
                            ).where(df["ci_low"].notna()))  # failed runs: no interval
    table = df.groupby(["estimator", "n"]).agg(
        mean_abs_rel_err=("err", "mean"), median_abs_rel_err=("err", "median"),
        mean_time_s=("seconds", "mean"), runs=("err", "size"), failures=("failed", "sum"),
        coverage=("covered", "mean")).reset_index()
    table.loc[table["estimator"] != CALIBRATED, "coverage"] = np.nan
    return table.sort_values(["n", "mean_abs_rel_err"])


def subset_rows(df: pd.DataFrame) -> pd.DataFrame:
    """calibrated TwoNN and TwoNN (mle) on the low- and high-dimensional manifolds alone,
    paired: the runs (manifold, n, seed) where calibrated TwoNN failed are left out of both."""
    key = ["manifold", "n", "seed"]
    done = df[(df["estimator"] == CALIBRATED) & np.isfinite(df["estimate"])]
    paired = pd.MultiIndex.from_frame(df[key]).isin(pd.MultiIndex.from_frame(done[key]))
    df = df[paired & df["estimator"].isin([CALIBRATED, TWONN_MLE])]
    parts = []
    for label, mask in ((f"low-dimensional (d <= {LOW})", df["true_dim"] <= LOW),
                        (f"high-dimensional (d >= {HIGH})", df["true_dim"] >= HIGH)):
        part = df[mask]
        table = summarise(part)
        parts.append(table.assign(estimator=table["estimator"] + ", " + label))
    return pd.concat(parts).sort_values(["n", "estimator"])


def show(table: pd.DataFrame) -> None:
    with pd.option_context("display.width", 200, "display.max_columns", 20,
                           "display.max_rows", 500):
        print(table.to_string(index=False, na_rep="", float_format=lambda v: f"{v:.3f}"))


def report(df: pd.DataFrame) -> None:
    for n, part in df.groupby("n"):
        print(f"\n--- n = {n:,}: |estimate/true - 1| over {part['manifold'].nunique()} "
              f"manifolds x {part['seed'].nunique()} seed(s), sorted by the mean ---")
        show(summarise(part))
    print(f"\n--- calibrated TwoNN vs the TwoNN (mle) it corrects, by true dimension "
          f"({(df.drop_duplicates('manifold')['true_dim'] <= LOW).sum()} manifolds d <= {LOW}, "
          f"{(df.drop_duplicates('manifold')['true_dim'] >= HIGH).sum()} d >= {HIGH}); runs "
          f"where calibrated TwoNN failed left out of both ---")
    show(subset_rows(df))
    failed = df[~np.isfinite(df["estimate"])]
    print(f"\nfailures: {len(failed)}")
    for row in failed.itertuples():
        print(f"  {row.estimator} / {row.manifold} / n={row.n} / seed={row.seed}: {row.error}")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 2500, 10_000])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--quick", action="store_true", help="n = 1,000, seed 0, no DADApy")
    parser.add_argument("--all", action="store_true", help="local ID at every n")
    parser.add_argument("--no-dadapy", action="store_true")
    parser.add_argument("--no-peers", action="store_true", help="no scikit-dimension peers")
    parser.add_argument("--peer-budget-s", type=float, default=60.0,
                        help="skip a DANCo / MiND_ML size when one fit takes longer (60)")
    parser.add_argument("--ess-seeds", type=int, nargs="+",
                        help="seeds ESS runs for, at the smallest n (default: the first seed)")
    parser.add_argument("--manifolds", nargs="+", help="only these manifolds (debugging)")
    parser.add_argument("--calibration-cache", help="EMBVIZ_CACHE for the calibration "
                        "(default: a fresh temporary folder, so the first call is cold)")
    parser.add_argument("--out", default="results/id_accuracy.csv")
    args = parser.parse_args(argv)
    sizes, seeds = ([1000], [0]) if args.quick else (sorted(args.sizes), args.seeds)
    ess_seeds = args.ess_seeds or seeds[:1]
    cache = args.calibration_cache or tempfile.mkdtemp(prefix="embviz-id-calibration-")
    os.environ["EMBVIZ_CACHE"] = cache
    start = time.perf_counter()
    print(f"ID accuracy benchmark: sizes {sizes}, seeds {seeds}; {os.cpu_count()} CPUs, load "
          f"average {os.getloadavg()[0]:.2f}; calibration cache {cache}", flush=True)
    if not args.no_peers:
        print(f"  {ESS} runs at n={sizes[0]:,} and seed(s) {ess_seeds} only (500 rows at every "
              f"n; ~35 s a fit)", flush=True)
    dadapy = None if args.quick or args.no_dadapy else ensure_dadapy()
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    rows, skip = [], set()
    for n in sizes:
        local = n <= 2500 or args.all
        if not local:
            print(f"  local ID skipped at n={n:,} (slow-ish; --all runs it)", flush=True)
        warm_calibration(manifolds(n, seeds[0], args.manifolds)[0], n)
        for seed in seeds:
            data, truth = manifolds(n, seed, args.manifolds)
            rows += embviz_rows(data, truth, n, seed, local)
            if not args.no_peers:
                rows += peer_rows(data, truth, n, seed, skip, seed == seeds[0],
                                  args.peer_budget_s, n == sizes[0] and seed in ess_seeds)
            if dadapy is not None:
                rows += dadapy_rows(dadapy, data, truth, n, seed)
            pd.DataFrame(rows).to_csv(out, index=False)
            print(f"  n={n:,} seed={seed} done, {time.perf_counter() - start:.0f} s elapsed, "
                  f"load average {os.getloadavg()[0]:.2f}", flush=True)
    df = pd.DataFrame(rows)
    report(df)
    print(f"\nwrote {out} ({len(df)} rows); total {(time.perf_counter() - start) / 60:.1f} min, "
          f"load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
