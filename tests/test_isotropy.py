"""Isotropy measures: known answers, the reference IsoScore, invariances."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import special_ortho_group

from embviz.metrics import (
    average_cosine,
    effective_rank,
    isoscore,
    top_pc_variance_share,
)


def test_isoscore_known_answers(rng):
    """N(0, I) -> 1 (tolerance 0.02 at n=20k, d=10); a rank-1 cloud -> 0 (tolerance 1e-6)."""
    assert isoscore(rng.normal(size=(20_000, 10))) == pytest.approx(1.0, abs=0.02)
    line = rng.normal(size=(500, 1)) * rng.normal(size=(1, 10))
    assert isoscore(line) == pytest.approx(0.0, abs=1e-6)


def test_isoscore_k_of_d_dimensions(rng):
    """Isotropic in k of d dimensions gives (k - 1)/(d - 1) (Rudman et al. 2022, Thm. 1)."""
    X = np.zeros((20_000, 8))
    X[:, :4] = rng.normal(size=(20_000, 4))
    assert isoscore(X) == pytest.approx(3 / 7, abs=0.01)


def test_isoscore_matches_reference_implementation(rng):
    """The authors' package (IsoScore 2.0.1) on the same data; tolerance 1e-6."""
    reference = pytest.importorskip("IsoScore.IsoScore")
    for X in (rng.normal(size=(300, 6)) * [5, 3, 1, 1, 0.5, 0.1],
              rng.standard_t(3, size=(200, 12)) @ rng.normal(size=(12, 12))):
        assert isoscore(X) == pytest.approx(float(reference.IsoScore(X)), abs=1e-6)


def test_average_cosine_matches_brute_force(rng):
    X = rng.normal(size=(50, 7)) + 2.0
    U = X / np.linalg.norm(X, axis=1, keepdims=True)
    C = U @ U.T
    expected = (C.sum() - np.trace(C)) / (50 * 49)
    assert average_cosine(X) == pytest.approx(expected, rel=1e-10)
    assert average_cosine(rng.normal(size=(20_000, 50))) == pytest.approx(0, abs=0.003)
    with pytest.raises(ValueError, match="zero row"):
        average_cosine(np.vstack([X, np.zeros(7)]))


def test_effective_rank_known_answers(rng):
    """Equal singular values in k directions -> exactly k; one direction -> 1."""
    Q = np.linalg.qr(rng.normal(size=(40, 40)))[0]
    X = np.zeros((40, 6))
    X[:, :3] = Q[:, :3] * 4.0
    assert effective_rank(X, center=False) == pytest.approx(3.0, rel=1e-10)
    assert effective_rank(np.outer(rng.normal(size=30), rng.normal(size=5))) == \
        pytest.approx(1.0, rel=1e-8)


def test_top_pc_variance_share(rng):
    X = rng.normal(size=(5000, 3)) * [3.0, 1.0, 1.0]
    assert top_pc_variance_share(X, 1) == pytest.approx(9 / 11, abs=0.02)
    assert top_pc_variance_share(X, 3) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="n_components=4 exceeds the dimension d=3"):
        top_pc_variance_share(X, 4)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), scale=st.floats(0.01, 100))
def test_isoscore_invariant_to_rotation_permutation_and_scale(seed, scale):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(80, 5)) * rng.uniform(0.1, 3, size=5)
    R = special_ortho_group.rvs(5, random_state=seed)
    base = isoscore(X)
    assert isoscore(X @ R) == pytest.approx(base, abs=1e-8)
    assert isoscore(X[rng.permutation(80)]) == pytest.approx(base, abs=1e-10)
    assert isoscore(scale * X) == pytest.approx(base, abs=1e-8)
    assert effective_rank(X @ R) == pytest.approx(effective_rank(X), rel=1e-8)


@pytest.mark.parametrize("scale", [1e200, 1e-300, 3e150, 1e-170])
def test_scale_free_measures_survive_extreme_scales(rng, scale):
    """IsoScore, effective rank, top-PC share, PCA dimension and average cosine do not depend
    on the scale: X * 1e200 used to raise LinAlgError (the covariance overflowed) and
    X * 1e-300 "all rows are identical" (it underflowed). Tolerance 1e-9."""
    from embviz.metrics import pca_dimension

    X = rng.normal(size=(300, 6)) * [5, 3, 1, 1, 0.5, 0.1] + 0.3
    for measure in (isoscore, effective_rank, top_pc_variance_share, average_cosine):
        assert measure(X * scale) == pytest.approx(measure(X), abs=1e-9), measure.__name__
    assert pca_dimension(X * scale, threshold=0.95) == pca_dimension(X, threshold=0.95)


def test_scale_dependent_measures_at_extreme_scales(rng):
    """partition_isotropy depends on the scale by definition: at 1e200 the partition functions
    differ by astronomical factors (I = 0 up to float64, the eigenvectors no longer overflow),
    at 1e-300 every Z(c) is n (I = 1). pca_variances can not hold variances of 1e400 and says
    so instead of raising LinAlgError."""
    from embviz.metrics import partition_isotropy, pca_variances

    X = rng.normal(size=(300, 6)) + 0.3
    assert partition_isotropy(X * 1e200) == 0.0
    assert partition_isotropy(X * 1e-300) == 1.0
    assert pca_variances(X * 1e100) == pytest.approx(pca_variances(X) * 1e200, rel=1e-9)
    with pytest.raises(ValueError, match="variances are outside the float64 range.*rescale X"):
        pca_variances(X * 1e200)


def test_bad_input_names_the_argument():
    with pytest.raises(ValueError, match="X contains NaN"):
        isoscore(np.array([[1.0, np.nan], [1.0, 2.0]]))
    with pytest.raises(ValueError, match="zero variance"):
        isoscore(np.ones((5, 3)))


def test_partition_isotropy_known_answers(rng):
    """I(W) ≈ 1 for N(0, I) (tolerance 0.1 at n=50k, d=5: Z(c) is a sum of log-normals);
    ≈ 0 for a cloud shifted far from the origin along one axis."""
    from embviz.metrics import partition_isotropy

    assert partition_isotropy(rng.normal(size=(50_000, 5))) == pytest.approx(1.0, abs=0.1)
    shifted = rng.normal(size=(2000, 5)) + [20, 0, 0, 0, 0]
    assert partition_isotropy(shifted) < 1e-6
    big = rng.normal(size=(500, 4)) * 1e3  # log-sum-exp: no overflow
    assert np.isfinite(partition_isotropy(big))


def test_rogue_dimensions_sum_to_average_cosine(rng):
    """Contributions sum exactly to the average cosine (Timkey & van Schijndel, eq. 2);
    a dimension with a large common offset dominates."""
    from embviz.metrics import rogue_dimensions

    X = rng.normal(size=(400, 6))
    X[:, 4] += 8.0
    table = rogue_dimensions(X)
    assert table["contribution"].sum() == pytest.approx(average_cosine(X), rel=1e-10)
    assert table.iloc[0]["dimension"] == 4 and table.iloc[0]["share"] > 0.9
    U = X / np.linalg.norm(X, axis=1, keepdims=True)
    brute = (np.outer(U[:, 2], U[:, 2]).sum() - (U[:, 2] ** 2).sum()) / (400 * 399)
    assert table.set_index("dimension").loc[2, "contribution"] == pytest.approx(brute, rel=1e-9)


def test_resampling_intervals_contain_the_estimate(rng):
    from embviz.metrics import subsampling_ci
    from embviz.stats import bootstrap_ci

    X = rng.normal(size=(500, 8)) * np.linspace(1, 3, 8)
    estimate, low, high = subsampling_ci(isoscore, X, n_resamples=50, random_state=0)
    assert low < estimate < high and high - low < 0.2
    assert estimate - low == pytest.approx(high - estimate)  # t interval: symmetric
    again = subsampling_ci(isoscore, X, n_resamples=50, random_state=0)
    assert again == (estimate, low, high)
    assert subsampling_ci(isoscore, X, n_resamples=50) == again  # random_state=0 by default
    mean_norm = bootstrap_ci(lambda V: np.linalg.norm(V, axis=1).mean(), X, n_resamples=50)
    assert mean_norm.ci_low < mean_norm.value < mean_norm.ci_high
    with pytest.raises(ValueError, match=r"confidence must be a number in \(0, 1\), got 1.0"):
        subsampling_ci(isoscore, X, confidence=1.0)
    with pytest.raises(TypeError, match="confidence must be a number"):
        bootstrap_ci(isoscore, X, confidence=True)
    with pytest.raises(ValueError, match="n_resamples"):
        subsampling_ci(isoscore, X, n_resamples=3)


def test_subsampling_halves_split_sets_of_the_same_rows_alike(rng):
    """The same rows under a global rescaling (IsoScore is scale-free) give identical halves,
    so their paired difference is exactly 0 with a zero-width interval; split differently
    (another random_state) the halves no longer pair and the interval is wide."""
    from embviz.metrics.resampling import complementary_interval, subsampling_ci, subsampling_halves

    X = rng.normal(size=(300, 6)) * np.linspace(1, 3, 6)
    x, x_halves = subsampling_halves(isoscore, X, n_resamples=40, random_state=1)
    y, y_halves = subsampling_halves(isoscore, 2 * X, n_resamples=40, random_state=1)
    assert x_halves.shape == (20, 2) and x == pytest.approx(y)
    np.testing.assert_allclose(x_halves, y_halves)
    assert complementary_interval(x - y, *(x_halves - y_halves).T, n=300) == \
        pytest.approx((0.0, 0.0), abs=1e-12)
    _, unpaired = subsampling_halves(isoscore, 2 * X, n_resamples=40, random_state=2)
    low, high = complementary_interval(x - y, *(x_halves - unpaired).T, n=300)
    assert high - low > 0.01
    assert subsampling_ci(isoscore, X, n_resamples=40, random_state=1) == \
        (x, *complementary_interval(x, *x_halves.T, n=300))
