"""Power of the two-sample tests under a controlled perturbation with a known effect size.

A sample of ``n`` reference rows is compared with ``n`` rows in which a share ``p`` comes from
another population (the rest from unused reference rows): ``p = 0`` measures the false-positive
rate, ``p > 0`` the power to detect a mixture of that strength. Repeating this over sizes and
shares gives power-versus-n and power-versus-effect curves (as in the drift-detection
comparison of Rabanser et al. 2019, "Failing Loudly", with the mixture as the shift).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .._progress import progress_bar
from .._validation import (
    check_choice,
    check_embeddings,
    check_positive_int,
    check_replicates,
)
from ..stats import wilson_interval
from ._inputs import MIN_SAMPLE
from .table import TESTS, _run

__all__ = ["power_curve"]


def _check_grid(values, name: str, kind: str) -> list:
    values = list(np.atleast_1d(values))
    if not values:
        raise ValueError(f"{name} must not be empty")
    if kind == "size":
        return [check_positive_int(v, name, minimum=MIN_SAMPLE) for v in values]
    if not all(0.0 <= float(v) <= 1.0 for v in values):
        raise ValueError(f"{name} must lie in [0, 1], got {values}")
    return [float(v) for v in values]


def _draw(rng, pool_ref: int, pool_other: int, n: int, share: float):
    """Row numbers: side A (n reference rows), side B's reference rows and other rows."""
    n_other = round(share * n)
    ref = rng.choice(pool_ref, 2 * n - n_other, replace=False)
    other = rng.choice(pool_other, n_other, replace=False)
    return ref[:n], ref[n:], other


def power_curve(a, b, sizes: Sequence[int], shares: Sequence[float] = (1.0,),
                n_resamples: int = 20, tests: Sequence[str] = ("mmd", "depth", "classifier"),
                n_permutations: int = 200, alpha: float = 0.05,
                random_state: int | None = 0, progress: bool = True) -> pd.DataFrame:
    """Rejection rate of each test against sample size and mixture share.

    For every ``n`` in ``sizes``, share ``p`` in ``shares`` and resample, side A holds ``n``
    rows of ``a`` (the reference) and side B ``n - round(p n)`` other rows of ``a`` plus
    ``round(p n)`` rows of ``b`` (all drawn without replacement, so the two sides never share a
    row). Each test of :func:`~embviz.drift.two_sample_table` runs on the pair; the power is
    the share of resamples with ``p_value < alpha``. With ``p = 0`` it is the false-positive rate.

    Parameters
    ----------
    a : EmbeddingSet, array or tensor of shape (n_a, d)
        The reference population; needs at least ``2 max(sizes)`` rows.
    b : EmbeddingSet, array or tensor of shape (n_b, d)
        The population mixed into side B; needs ``round(max(shares) max(sizes))`` rows.
    sizes : sequence of int
        Rows per side (at least 5).
    shares : sequence of float in [0, 1], default (1.0,)
        Share of side B drawn from ``b`` (the effect size).
    n_resamples : int, default 20
        Random draws (subsamples without replacement) per (n, share) cell, at most 1,000,000.
    tests : sequence of {"mmd", "energy", "depth", "classifier", "centroid", "dimensions"}
    n_permutations : int, default 200
        Permutations of the permutation tests (MMD, energy, centroid), at most 1,000,000.
    alpha : float, default 0.05
    random_state : int or None, default 0
    progress : bool, default True
        A progress bar over the draws (every cell's ``n_resamples``).

    Returns
    -------
    pandas.DataFrame, one row per (method, n, share)
        ``method, n, share, n_resamples, power, ci_low, ci_high`` (95 % Wilson interval of
        the power, :func:`embviz.stats.wilson_interval`), ``mean_effect`` (mean effect size
        of the test). Feeds
        :func:`embviz.viz.power_curve_figure`.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> t = power_curve(rng.normal(size=(60, 4)), rng.normal(size=(30, 4)) + 2, sizes=[20],
    ...                 shares=[1.0], n_resamples=5, tests=["mmd"], n_permutations=100,
    ...                 random_state=0, progress=False)
    >>> t[["method", "n", "share", "power"]].values.tolist()
    [['mmd', 20, 1.0, 1.0]]
    """
    A = check_embeddings(a, "a")
    B = check_embeddings(b, "b")
    if A.shape[1] != B.shape[1]:
        raise ValueError(f"a and b must have the same dimension; got "
                         f"d={A.shape[1]} and d={B.shape[1]}")
    sizes, shares = _check_grid(sizes, "sizes", "size"), _check_grid(shares, "shares", "share")
    tests = [tests] if isinstance(tests, str) else list(tests)
    for name in tests:
        check_choice(name, "tests", TESTS)
    n_resamples = check_replicates(n_resamples, "n_resamples")
    check_replicates(n_permutations, "n_permutations")
    if 2 * max(sizes) > len(A):
        raise ValueError(f"a has {len(A)} rows; 2 * max(sizes) = {2 * max(sizes)} "
                         f"are needed (two disjoint sides)")
    if round(max(shares) * max(sizes)) > len(B):
        raise ValueError(f"b has {len(B)} rows; max(shares) * max(sizes) = "
                         f"{round(max(shares) * max(sizes))} are needed")
    from threadpoolctl import threadpool_limits

    seeds = np.random.SeedSequence(random_state).generate_state(len(sizes) * len(shares))
    rows = []
    cells = [(n, s) for n in sizes for s in shares]
    with threadpool_limits(1), progress_bar(total=len(cells) * n_resamples, desc="power curve",
                                            unit="draw", disable=not progress) as bar:
        for (n, share), seed in zip(cells, seeds):  # small matrices: BLAS threads cost more
            rows += _power_cell(A, B, n, share, n_resamples, tests, n_permutations, alpha,
                                int(seed), bar)
    return pd.DataFrame(rows)


def _power_cell(A, B, n, share, n_resamples, tests, n_permutations, alpha, seed,
                bar) -> list[dict]:
    rng = np.random.default_rng(seed)
    p_values = {name: [] for name in tests}
    effects = {name: [] for name in tests}
    for _ in range(n_resamples):
        a_rows, b_ref, b_other = _draw(rng, len(A), len(B), n, share)
        side_b = np.concatenate([A[b_ref], B[b_other]])
        for name in tests:
            res = _run(name, A[a_rows], side_b, n_permutations, int(rng.integers(2**31)),
                       "cpu", False)
            p_values[name].append(res.p_value)
            effects[name].append(res.effect_size)
        bar.update(1)
    out = []
    for name in tests:
        hits = int(np.sum(np.asarray(p_values[name]) < alpha))
        interval = wilson_interval(hits, n_resamples)
        out.append({"method": name, "n": n, "share": share, "n_resamples": n_resamples,
                    "power": hits / n_resamples, "ci_low": float(interval.ci_low),
                    "ci_high": float(interval.ci_high),
                    "mean_effect": float(np.mean(effects[name]))})
    return out
