"""All two-sample tests on one pair of samples, as one tidy table."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._validation import check_choice, check_number, check_replicates
from ..stats.multiplicity import _benjamini_hochberg
from ._inputs import MIN_SAMPLE, check_samples
from .classifier import classifier_test
from .depth import depth_test
from .descriptors import centroid_shift, drifted_dimensions
from .kernel_tests import energy_test, mmd_test

__all__ = ["TESTS", "two_sample_table"]

#: Test names accepted by :func:`two_sample_table`.
TESTS = ("mmd", "energy", "depth", "classifier", "centroid", "dimensions")


def _run(name: str, A, B, n_permutations: int, seed: int, device: str, progress: bool,
         confidence: float = 0.95):
    if name == "mmd":
        return mmd_test(A, B, n_permutations=n_permutations, confidence=confidence,
                        random_state=seed, device=device, progress=progress)
    if name == "energy":
        return energy_test(A, B, n_permutations=n_permutations, confidence=confidence,
                           random_state=seed, device=device, progress=progress)
    if name == "depth":
        return depth_test(A, B, confidence=confidence, random_state=seed)
    if name == "classifier":  # Mann-Whitney p-value: permutations would refit 5 models each
        return classifier_test(A, B, n_permutations=0, confidence=confidence,
                               random_state=seed)
    if name == "centroid":
        return centroid_shift(A, B, n_permutations=n_permutations, confidence=confidence,
                              random_state=seed)
    return drifted_dimensions(A, B)


def two_sample_table(a, b, tests=TESTS, n_permutations: int = 1000, alpha: float = 0.05,
                     random_state: int | None = 0, device: str = "auto",
                     progress: bool = True) -> pd.DataFrame:
    """Run several two-sample tests of ``a`` (reference) against ``b``; one row per test.

    Parameters
    ----------
    a, b : arrays (n_a, d), (n_b, d) or EmbeddingSets (at least 5 rows each, same d)
    tests : sequence of {"mmd", "energy", "depth", "classifier", "centroid", "dimensions"}
    n_permutations : int, default 1000
        Permutations of the MMD, energy and centroid tests (at most 1,000,000). The
        classifier test here uses the Mann–Whitney p-value of its out-of-fold scores
        (``classifier_test(..., n_permutations=0)``): a permutation of it refits 5 models; call
        :func:`~embviz.drift.classifier_test` for the permutation p-value.
    alpha : float in (0, 1), default 0.05
        False-discovery rate of the ``significant`` column, and the level the effect
        intervals match: they are (1 − 2·alpha) intervals (90% at 0.05), whose lower end is
        the one-sided (1 − alpha) bound, so a permutation test's ``ci_low > 0`` exactly
        when its ``p_value < alpha`` (:mod:`embviz.drift._intervals`).
    random_state : int or None, default 0
        One seed; each test gets its own stream derived from it.
    device : str, default "auto"
    progress : bool, default True

    Returns
    -------
    pandas.DataFrame, one row per test, in the order of ``tests``
        The long result table: ``metric`` (the test), ``value`` (its effect size),
        ``ci_low``, ``ci_high``, ``parameters`` (each test's interval method and target in
        its ``ci_method`` and ``ci_target``); then ``statistic``, ``p_value``, ``q_value``
        (Benjamini–Hochberg over the tests of this call: they test one null on the same
        data, so their p-values are positively dependent, where BH holds), ``significant``
        (``q_value < alpha``), ``n_a``, ``n_b``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> t = two_sample_table(rng.normal(size=(40, 3)), rng.normal(size=(40, 3)) + 1,
    ...                      tests=("mmd", "centroid"), n_permutations=200, random_state=0)
    >>> t["metric"].tolist(), t["significant"].tolist()
    (['mmd', 'centroid'], [True, True])
    """
    if isinstance(tests, str):
        tests = (tests,)
    for name in tests:
        check_choice(name, "tests", TESTS)
    A, B = check_samples(a, b, MIN_SAMPLE)
    check_replicates(n_permutations, "n_permutations")
    alpha = check_number(alpha, "alpha", 0, 1, low_open=True, high_open=True)
    seeds = np.random.SeedSequence(random_state).generate_state(len(tests))
    rows = [_run(name, A, B, n_permutations, int(seed), device, progress,
                 confidence=1 - 2 * alpha).to_dict()
            for name, seed in zip(tests, seeds)]
    table = pd.DataFrame(rows)
    at = table.columns.get_loc("p_value") + 1
    table.insert(at, "q_value", _benjamini_hochberg(table["p_value"].to_numpy(np.float64)))
    table.insert(at + 1, "significant", table["q_value"] < alpha)
    return table
