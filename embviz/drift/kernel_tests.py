"""Kernel two-sample tests: MMD (RBF kernel, median bandwidth) and energy distance, with
permutation p-values from a pooled null and half-sampling intervals of the unbiased statistic
that agree with the test (:mod:`embviz.drift._intervals`), all from ONE blocked pass over the
pooled kernel (:mod:`embviz.drift._kernel_sums`): memory O(block · N), never (N, N).
"""

from __future__ import annotations

import numpy as np

from .._validation import check_memory, check_number, check_positive_int, check_replicates
from ..stats.permutation import _permutation_p_value
from ._inputs import MIN_SAMPLE, check_bandwidth, check_samples
from ._intervals import TEST_MATCHED, permutation_matched_interval, two_sample_half_samples
from ._kernel_sums import (
    _BLOCK_BYTES,
    KernelSpec,
    kernel_forms,
    mean_kernel,
    subsample_sq_distances,
)
from ._result import TwoSampleResult

__all__ = ["energy_test", "mmd2_unbiased", "mmd_test"]

_BANDWIDTH_POINTS = 2000  # rows of the pooled sample used for the median heuristic


def _design(n_a: int, n_b: int, n_permutations: int, n_resamples: int,
            rng: np.random.Generator, dtype) -> tuple[np.ndarray, np.ndarray]:
    """V = [ones | observed labels | P permuted labels | R half-samples of a | R of b].

    A half-sample column is the 0/1 indicator of ⌊n/2⌋ distinct rows of its sample; column
    ``r`` of a is paired with column ``r`` of b. Filled in place (peak memory: V plus one
    (P, N) block of permutations, see :func:`_memory_needed`).
    """
    n = n_a + n_b
    labels = np.r_[np.ones(n_a), np.zeros(n_b)].astype(dtype)
    first = 2 + n_permutations
    V = np.zeros((n, first + 2 * n_resamples), dtype)
    V[:, 0], V[:, 1] = 1, labels
    perms = np.tile(labels, (n_permutations, 1))
    V[:, 2:first] = rng.permuted(perms, axis=1, out=perms).T
    del perms
    rows_a, rows_b = two_sample_half_samples(n_a, n_b, n_resamples, rng)
    columns = first + np.arange(n_resamples)[:, None]
    V[rows_a, columns] = 1
    V[n_a + rows_b, columns + n_resamples] = 1
    pairs = np.c_[first + np.arange(n_resamples), first + n_resamples + np.arange(n_resamples)]
    return V, pairs


def _memory_needed(n: int, n_permutations: int, n_resamples: int, itemsize: int,
                   block: int | None) -> int:
    """Peak bytes of one kernel pass: V (N, C) plus the larger of the permutation block of
    :func:`_design` and the kernel block (block, N) with two (block, C) products of the pass."""
    columns = 2 + n_permutations + 2 * n_resamples
    block = max(1, min(n, block or _BLOCK_BYTES // (4 * n)))  # as kernel_forms picks it
    design = max(n_permutations * n, 8 * n_resamples * n // itemsize)
    return itemsize * (n * columns + max(design, block * n + 2 * block * columns))


def _check_memory(n: int, n_permutations: int, n_resamples: int, itemsize: int,
                  block: int | None, test: str) -> None:
    check_memory(_memory_needed(n, n_permutations, n_resamples, itemsize, block),
                 f"{test} with n_permutations={n_permutations:,} and n_resamples="
                 f"{n_resamples:,} on {n:,} pooled rows",
                 "it keeps one column of weights per permutation and resample over all rows: "
                 "lower n_permutations (the smallest p-value is 1 / (1 + n_permutations)) "
                 "or n_resamples, or test subsamples of a and b")


def _means(quad, colsum, cross, V, n_a, n_b, n_permutations, n_resamples, spec):
    """Within-a, within-b (off-diagonal) and between means of the UNshifted kernel, for the
    observed + permuted labellings (first) and the half-sample replicates (after)."""
    kd, c = spec.diagonal, spec.center
    labels = slice(1, 2 + n_permutations)
    total, qa, sa = quad[0], quad[labels], colsum[labels]
    within_a = (qa - kd * n_a) / (n_a * (n_a - 1))
    within_b = (total - 2 * sa + qa - kd * n_b) / (n_b * (n_b - 1))
    between = (sa - qa) / (n_a * n_b)
    first = 2 + n_permutations
    m_a, m_b = n_a // 2, n_b // 2  # rows of each 0/1 half-sample column
    half_within_a = (quad[first:first + n_resamples] - kd * m_a) / (m_a * (m_a - 1))
    half_within_b = (quad[first + n_resamples:] - kd * m_b) / (m_b * (m_b - 1))
    half_between = cross / (m_a * m_b)
    return (np.r_[within_a, half_within_a] + c, np.r_[within_b, half_within_b] + c,
            np.r_[between, half_between] + c)


def _kernel_pass(A, B, kind, bandwidth, n_permutations, n_resamples, block, device, rng,
                 progress):
    Z = np.concatenate([A, B])
    d2 = subsample_sq_distances(Z, _BANDWIDTH_POINTS, np.random.default_rng(rng.integers(2**63)))
    if bandwidth is None:  # a given bandwidth was checked at the door (check_bandwidth)
        bandwidth = float(np.sqrt(np.median(d2)))
        if bandwidth <= 0:
            raise ValueError("the median pairwise distance of the pooled sample is 0 (mostly "
                             "duplicate rows); pass bandwidth explicitly")
    spec = KernelSpec(kind, float(bandwidth), mean_kernel(d2, kind, float(bandwidth)))
    V, pairs = _design(len(A), len(B), n_permutations, n_resamples, rng, Z.dtype)
    forms = kernel_forms(Z, V, spec, pairs, block=block, device=device, progress=progress,
                         desc=f"{kind} permutations")
    return _means(*forms, V, len(A), len(B), n_permutations, n_resamples, spec), spec


def _check_common(A, B, n_permutations, n_resamples, confidence, block, test):
    check_replicates(n_permutations, "n_permutations", minimum=1)
    check_replicates(n_resamples, "n_resamples", minimum=0)
    check_number(confidence, "confidence", 0, 1, low_open=True, high_open=True)
    if block is not None:
        check_positive_int(block, "block")
    _check_memory(len(A) + len(B), n_permutations, n_resamples, A.itemsize, block, test)


def mmd_test(a, b, bandwidth: float | None = None, n_permutations: int = 1000,
             n_resamples: int = 200, confidence: float = 0.95, block: int | None = None,
             device: str = "auto", random_state: int | None = 0,
             progress: bool = True) -> TwoSampleResult:
    """Maximum mean discrepancy permutation test with an RBF kernel.

    The statistic is the unbiased MMD² (Gretton et al. 2012, eq. 3) with
    k(x, y) = exp(-‖x − y‖² / (2σ²)), σ = the median pairwise Euclidean distance of the pooled
    sample (estimated on 2,000 random pooled rows when larger). The p-value compares it with
    ``n_permutations`` random relabellings of the pooled sample (a pooled null: exact at any
    P). The observed statistic, every permutation and every half-sample replicate come from
    one blocked pass over the pooled kernel: memory O(block · (n_a + n_b)), never the full
    matrix.

    The effect size is the same signed, unbiased MMD² (negative values are sampling noise
    around 0; nothing is clamped). Its interval is for θ = MMD²(P, Q) of the two populations
    at the bandwidth used (taken as given; the U-statistic is unbiased, so θ is also its mean
    at this sample size). Its spread comes from half-sampling within each sample (⌊n_a/2⌋
    rows of ``a`` with ⌊n_b/2⌋ rows of ``b``, no row twice); its lower end inverts the
    permutation test, so ``ci_low > 0`` exactly when ``p_value < (1 − confidence) / 2``: the
    lower end is the one-sided bound at level (1 + confidence) / 2 that matches the one-sided
    test at α = (1 − confidence) / 2 (0.025 for the default 95 %; pass
    ``confidence = 1 − 2α`` for agreement at another α). The upper end is made on the √θ
    scale. Construction in :mod:`embviz.drift._intervals`; measured coverage of a nominal
    95 % interval 97–99 % (conservative by design: near θ = 0 it cannot miss from above) in
    ``tests/test_two_sample_coverage.py``.

    Parameters
    ----------
    a : array (n_a, d) or EmbeddingSet
        Reference sample, at least 5 rows.
    b : array (n_b, d) or EmbeddingSet
        Comparison sample, same d, at least 5 rows.
    bandwidth : float, optional
        σ of the kernel (default: median heuristic).
    n_permutations : int, default 1000
        The smallest attainable p-value is 1 / (1 + n_permutations). At most 1,000,000; the
        pass keeps one weight column over all rows per permutation and resample, so a call
        that would need more memory than is available is refused before it starts.
    n_resamples : int, default 200
        Half-sample pairs of the effect-size interval (0: no interval, NaN); at most
        1,000,000.
    confidence : float, default 0.95
        Two-sided level of the interval.
    block : int, optional
        Rows of the kernel per block (default: 128 MB of kernel values).
    device : str, default "auto"
        Torch device. float64 input is computed in float64, anything else in float32.
    random_state : int or None, default 0
    progress : bool, default True

    Returns
    -------
    TwoSampleResult
        statistic = effect_size = unbiased MMD²; ci_low, ci_high as above
        (``parameters["ci_method"]``).

    References
    ----------
    Gretton, Borgwardt, Rasch, Schölkopf & Smola (2012), "A Kernel Two-Sample Test", JMLR 13.
    Phipson & Smyth (2010), "Permutation P-values Should Never Be Zero". Shao & Wu (1989),
    "A general theory for jackknife variance estimation", Annals of Statistics 17(3).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> res = mmd_test(rng.normal(size=(60, 4)), rng.normal(size=(60, 4)) + 1,
    ...                n_permutations=200, random_state=0)
    >>> res.p_value < 0.01, res.ci_low > 0
    (True, True)
    """
    A, B = check_samples(a, b, MIN_SAMPLE)
    return _mmd_test(A, B, bandwidth, n_permutations, n_resamples, confidence, block, device,
                     random_state, progress)


def _mmd_test(A: np.ndarray, B: np.ndarray, bandwidth: float | None = None,
              n_permutations: int = 1000, n_resamples: int = 200, confidence: float = 0.95,
              block: int | None = None, device: str = "auto", random_state: int | None = 0,
              progress: bool = True) -> TwoSampleResult:
    """:func:`mmd_test` of samples already checked (``check_samples``: same d, one dtype, at
    least 5 rows each); its scalar parameters are still checked here (cheap)."""
    bandwidth = check_bandwidth(bandwidth)
    _check_common(A, B, n_permutations, n_resamples, confidence, block, "mmd_test")
    rng = np.random.default_rng(random_state)
    (wa, wb, between), spec = _kernel_pass(A, B, "rbf", bandwidth, n_permutations,
                                           n_resamples, block, device, rng, progress)
    mmd2 = wa + wb - 2 * between
    null = mmd2[1:1 + n_permutations]
    ci = permutation_matched_interval(mmd2[0], mmd2[1 + n_permutations:], null, len(A),
                                      len(B), confidence)
    return TwoSampleResult(
        float(mmd2[0]), _permutation_p_value(mmd2[0], null), float(mmd2[0]), *ci, len(A),
        len(B), "mmd",
        {"kernel": "rbf", "bandwidth": spec.bandwidth,
         "bandwidth_rule": "given" if bandwidth is not None else
         f"median pairwise distance of <= {_BANDWIDTH_POINTS} pooled rows",
         "n_permutations": n_permutations, "n_resamples": n_resamples,
         "confidence": confidence, "ci_method": TEST_MATCHED, "random_state": random_state,
         "effect": "unbiased MMD² (signed; 0 = same distribution)",
         "ci_target": "MMD² of the populations at this bandwidth"})


def energy_test(a, b, n_permutations: int = 1000, n_resamples: int = 200,
                confidence: float = 0.95, block: int | None = None, device: str = "auto",
                random_state: int | None = 0, progress: bool = True) -> TwoSampleResult:
    """Energy-distance permutation test (Székely & Rizzo).

    The energy distance θ = 2 E‖X − Y‖ − E‖X − X′‖ − E‖Y − Y′‖ is estimated without bias by
    the U-statistic E: between-sample mean distance, within-sample means over distinct pairs
    only (the V-statistic of ``scipy.stats.energy_distance``, whose square root it returns in
    1-D, also averages each row with itself and is biased upwards by E‖X − X′‖ / n_a +
    E‖Y − Y′‖ / n_b). E is the test statistic, with a p-value from ``n_permutations``
    relabellings of the pooled sample (for n_a = n_b both statistics are increasing functions
    of the between-sample mean given the pooled sample, so their p-values are identical), and
    the effect size, signed, with an interval for θ made as in :func:`mmd_test`:
    ``ci_low > 0`` exactly when ``p_value < (1 − confidence) / 2``. All in one blocked pass
    (memory O(block · N)).

    Parameters
    ----------
    a, b : arrays (n_a, d), (n_b, d) or EmbeddingSets
        At least 5 rows each, same d.
    n_permutations, n_resamples, confidence, block, device, random_state, progress
        As in :func:`mmd_test`.

    Returns
    -------
    TwoSampleResult
        statistic = effect_size = unbiased E, with the interval above
        (``parameters["ci_method"]``).

    References
    ----------
    Székely & Rizzo (2004), "Testing for equal distributions in high dimension", InterStat;
    Székely & Rizzo (2013), "Energy statistics", J. Stat. Plan. Inference 143 (the
    U-statistic form, §2).
    """
    A, B = check_samples(a, b, MIN_SAMPLE)
    _check_common(A, B, n_permutations, n_resamples, confidence, block, "energy_test")
    rng = np.random.default_rng(random_state)
    (wa, wb, between), _ = _kernel_pass(A, B, "distance", 1.0, n_permutations, n_resamples,
                                        block, device, rng, progress)
    n_a, n_b = len(A), len(B)
    energy = 2 * between - wa - wb  # observed, permuted, then half-sample replicates
    null = energy[1:1 + n_permutations]
    ci = permutation_matched_interval(energy[0], energy[1 + n_permutations:], null, n_a,
                                      n_b, confidence)
    return TwoSampleResult(
        float(energy[0]), _permutation_p_value(energy[0], null), float(energy[0]), *ci,
        n_a, n_b, "energy",
        {"n_permutations": n_permutations, "n_resamples": n_resamples,
         "confidence": confidence, "ci_method": TEST_MATCHED, "random_state": random_state,
         "effect": "unbiased energy distance E (signed; 0 = same distribution)",
         "ci_target": "energy distance of the populations"})


def mmd2_unbiased(a, b, bandwidth: float | None = None, block: int | None = None,
                  device: str = "auto", random_state: int | None = 0) -> float:
    """Unbiased MMD² with an RBF kernel (median bandwidth by default), no test.

    Parameters
    ----------
    a, b : arrays (n_a, d), (n_b, d) or EmbeddingSets (at least 2 rows each)
    bandwidth : float, optional
    block, device, random_state
        As in :func:`mmd_test` (``random_state`` only picks the bandwidth subsample).

    Returns
    -------
    float
    """
    A, B = check_samples(a, b, 2)
    bandwidth = check_bandwidth(bandwidth)
    if block is not None:
        check_positive_int(block, "block")
    rng = np.random.default_rng(random_state)
    (wa, wb, between), _ = _kernel_pass(A, B, "rbf", bandwidth, 0, 0, block, device, rng,
                                        False)
    return float(wa[0] + wb[0] - 2 * between[0])
