"""Intrinsic dimension: known answers, scikit-dimension as reference, hand-computed cases,
invariances, graph reuse, duplicates, errors and one real embedding set.

Reference values come from (a) the true dimension of synthetic data, with tolerances measured
over 12 seeds (noted where used), (b) scikit-dimension 0.5 (``skdim``), an independent
implementation, and (c) formulas evaluated by hand on a 4-point example.
"""

import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial.distance import cdist
from scipy.stats import special_ortho_group

from embviz.metrics import intrinsic_dim
from embviz.metrics.intrinsic_dim import (
    local_intrinsic_dimension,
    mle,
    pca_dimension,
    twonn,
)
from embviz.neighbors import exact_knn_rows, knn_graph

AMBIENT = 384


def embed(Z, rng, ambient=AMBIENT):
    """Z (n, d) placed in R^ambient by a random orthonormal map (distances unchanged)."""
    Q = np.linalg.qr(rng.normal(size=(ambient, Z.shape[1])))[0]
    return Z @ Q.T


def sample(kind, n, d, rng):
    """Uniform d-ball, uniform d-cube, or a d-dim linear subspace (standard normal in it)."""
    if kind == "ball":
        directions = rng.normal(size=(n, d))
        directions /= np.linalg.norm(directions, axis=1, keepdims=True)
        return embed(directions * rng.uniform(size=(n, 1)) ** (1 / d), rng)
    if kind == "cube":
        return embed(rng.uniform(size=(n, d)), rng)
    return embed(rng.normal(size=(n, d)), rng)


def manifold(n, rng, ambient=AMBIENT):
    """A curved 6-dim manifold (sin, cos, square of 6 uniform coordinates) in R^ambient."""
    Z = rng.uniform(size=(n, 6))
    return embed(np.hstack([np.sin(3 * Z), np.cos(2 * Z), Z**2]), rng, ambient)


# Relative tolerances (TwoNN, MLE k=20) at n=3000. Measured first: worst relative error over 12
# seeds (1000..1011), then about 2 standard deviations of margin added. Balls and cubes are
# *under*-estimated at d=10 (boundary effect: points near a face see fewer neighbours; mean
# bias -10%/-14% for TwoNN, -14%/-18% for MLE); Gaussian subspaces have no boundary.
# measured worst (twonn linear, twonn mle, mle): ball 2: .079 .072 .026 | 5: .089 .091 .075 |
# 10: .129 .128 .154; cube 2: .048 .048 .028 | 5: .104 .101 .104 | 10: .168 .167 .182;
# gauss 2: .051 .046 .015 | 5: .034 .034 .011 | 10: .075 .075 .089.
KNOWN_ANSWER_TOLERANCE = {
    ("ball", 2): (0.12, 0.05), ("ball", 5): (0.13, 0.10), ("ball", 10): (0.17, 0.19),
    ("cube", 2): (0.10, 0.05), ("cube", 5): (0.14, 0.13), ("cube", 10): (0.21, 0.22),
    ("gauss", 2): (0.10, 0.04), ("gauss", 5): (0.07, 0.04), ("gauss", 10): (0.11, 0.12),
}


@pytest.mark.parametrize("kind, d", list(KNOWN_ANSWER_TOLERANCE))
def test_known_dimension_is_recovered(rng, kind, d):
    """TwoNN (both forms) and MLE recover d for balls, cubes and subspaces in 384-d."""
    graph = knn_graph(sample(kind, 3000, d, rng), k=20, metric="euclidean", progress=False)
    tol_twonn, tol_mle = KNOWN_ANSWER_TOLERANCE[(kind, d)]
    assert twonn(graph, metric="euclidean") == pytest.approx(d, rel=tol_twonn)
    assert twonn(graph, estimator="mle", metric="euclidean") == pytest.approx(d, rel=tol_twonn)
    assert mle(graph, k=20, metric="euclidean") == pytest.approx(d, rel=tol_mle)


def test_pca_dimension_of_linear_subspace(rng):
    """A 5-dim subspace needs exactly 5 components (N(0, I_5): 4 explain only ~80%)."""
    X = sample("gauss", 2000, 5, rng)
    assert pca_dimension(X) == 5
    assert pca_dimension(X, threshold=1.0) == 5
    stretched = rng.normal(size=(5000, 4)) * [10.0, 1.0, 1.0, 1.0]
    assert pca_dimension(stretched, threshold=0.96) == 1  # 100/103 = 97.1% in PC 1
    assert pca_dimension(stretched, threshold=0.985) == 3  # 101/103 = 98.1%, 102/103 = 99.0%
    with pytest.raises(ValueError, match="threshold must be a number in"):
        pca_dimension(X, threshold=0.0)


# ---------------------------------------------------------------- independent reference: skdim

@pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning")  # skdim, at fraction 0
def test_twonn_matches_scikit_dimension(rng):
    """skdim.id.TwoNN on the same data: agreement within 1e-5 relative (measured ~1e-8; our
    graph stores float32 distances, skdim uses float64). skdim >= PR #28 starts F at i/N, i=1,
    as the paper does; its method="mle" is the censored MLE documented in twonn."""
    skdim = pytest.importorskip("skdim")
    X = manifold(1000, rng)
    for fraction in (0.1, 0.25):
        ref = skdim.id.TwoNN(discard_fraction=fraction).fit(X).dimension_
        assert twonn(X, discard_fraction=fraction, metric="euclidean") == pytest.approx(
            ref, rel=1e-5)
    for fraction in (0.0, 0.1):
        ref = skdim.id.TwoNN(method="mle", discard_fraction=fraction).fit(X).dimension_
        assert twonn(X, estimator="mle", discard_fraction=fraction,
                     metric="euclidean") == pytest.approx(ref, rel=1e-5)


def test_mle_matches_scikit_dimension(rng):
    """skdim.id.MLE (defaults: unbiased=False -> k-1, comb="mle" -> mean of inverses) with
    n_neighbors=k; agreement within 1e-5 relative (measured ~4e-9)."""
    skdim = pytest.importorskip("skdim")
    X = manifold(1000, rng)
    for k in (10, 20):
        ref = skdim.id.MLE().fit(X, n_neighbors=k).dimension_
        assert mle(X, k=k, metric="euclidean") == pytest.approx(ref, rel=1e-5)


def test_local_id_matches_scikit_dimension_fit_pw(rng):
    """skdim TwoNN().fit_pw per point, 500 points, L=50; agreement within 1e-5 relative
    (measured ~1e-7). fit_pw(n_neighbors=L) leaves the point itself out of its neighbourhood
    (sklearn's kneighbors() without a query), i.e. our include_self=False; our default
    (the point and its L neighbours) equals fit_pw with those L + 1 indices precomputed."""
    skdim = pytest.importorskip("skdim")
    X = manifold(500, rng)
    ref = skdim.id.TwoNN().fit_pw(X, n_neighbors=50).dimension_pw_
    ours = local_intrinsic_dimension(X, k=50, metric="euclidean", include_self=False,
                                     progress=False)
    np.testing.assert_allclose(ours, ref, rtol=1e-5)
    graph = knn_graph(X, k=50, metric="euclidean", progress=False)
    with_self = np.hstack([np.arange(500)[:, None], graph.indices])
    ref = skdim.id.TwoNN(method="mle").fit_pw(X, precomputed_knn=with_self).dimension_pw_
    ours = local_intrinsic_dimension(graph, k=50, metric="euclidean", X=X, estimator="mle",
                                     progress=False)
    np.testing.assert_allclose(ours, ref, rtol=1e-5)


def test_formulas_on_a_hand_computed_case():
    """Points 0, 1, 3, 7 on a line. (r1, r2): (1, 3), (1, 2), (2, 3), (4, 6), so
    mu = 3, 2, 1.5, 1.5 (sorted: 1.5, 1.5, 2, 3)."""
    X = np.array([[0.0], [1.0], [3.0], [7.0]])
    l15, l2, l3 = np.log(1.5), np.log(2.0), np.log(3.0)
    # linear, discard 1/4: K = 3, x = (log 1.5, log 1.5, log 2), y = -log(1 - i/4), i = 1..3
    y = -np.log(1 - np.arange(1, 4) / 4)
    linear = (l15 * y[0] + l15 * y[1] + l2 * y[2]) / (2 * l15**2 + l2**2)
    assert twonn(X, discard_fraction=0.25, metric="euclidean") == pytest.approx(linear,
                                                                               rel=1e-6)
    # MLE without censoring: (N - 1) / sum(log mu) = 3 / log(13.5)
    assert twonn(X, estimator="mle", discard_fraction=0.0,
                 metric="euclidean") == pytest.approx(3 / np.log(13.5), rel=1e-6)
    # censored at K = 3: (K - 1) / (2 log 1.5 + log 2 + (N - K) log 2) = 1 / log 3
    assert twonn(X, estimator="mle", discard_fraction=0.25,
                 metric="euclidean") == pytest.approx(1 / l3, rel=1e-6)
    # Levina-Bickel + MacKay-Ghahramani, k = 2: inverse estimates are log(T2/T1) = log mu
    assert mle(X, k=2, metric="euclidean") == pytest.approx(4 / np.log(13.5), rel=1e-6)
    # k = 3: T = (1,3,7), (1,2,6), (2,3,4), (4,6,7); inverse = mean_j<3 log(T3/Tj)
    inverse = [(np.log(7) + np.log(7 / 3)) / 2, (np.log(6) + np.log(3)) / 2,
               (np.log(2) + np.log(4 / 3)) / 2, (np.log(7 / 4) + np.log(7 / 6)) / 2]
    assert mle(X, k=3, metric="euclidean") == pytest.approx(1 / np.mean(inverse), rel=1e-6)


# ---------------------------------------------------------------------- local ID

def facco_linear(mu, fraction=0.1):
    """Facco et al.'s linear fit, written out independently of the package."""
    mu = np.sort(mu)
    n, kept = len(mu), int(len(mu) * (1 - fraction))
    x, y = np.log(mu[:kept]), -np.log(1 - np.arange(1, kept + 1) / n)
    return (x @ y) / (x @ x)


def brute_force_local_id(X, k):
    """Straight from the definition: all pairwise distances within each neighbourhood."""
    graph = knn_graph(X, k=k, metric="euclidean", progress=False)
    values = []
    for i in range(len(X)):
        members = np.r_[i, graph.indices[i]]
        D = cdist(X[members], X[members])
        np.fill_diagonal(D, np.inf)
        D.sort(axis=1)
        values.append(facco_linear(D[:, 1] / D[:, 0]))
    return np.array(values)


def test_local_id_matches_brute_force_and_direct_path(rng, monkeypatch):
    """The scan of neighbour lists gives the definition's r1, r2 (within 1e-5 relative: float32
    graph distances vs float64 cdist); so does the direct fallback when forced everywhere."""
    X = np.vstack([rng.normal(size=(150, 40)), manifold(150, rng, ambient=40)])
    expected = brute_force_local_id(X, 30)
    np.testing.assert_allclose(local_intrinsic_dimension(X, 30, metric="euclidean",
                                                         progress=False), expected, rtol=1e-5)
    scan = intrinsic_dim._scan_r1_r2

    def scan_nothing(members, graph, table):
        r1, r2, _ = scan(members, graph, table)
        return r1 * np.nan, r2 * np.nan, np.ones(r1.shape, bool)

    monkeypatch.setattr(intrinsic_dim, "_scan_r1_r2", scan_nothing)
    np.testing.assert_allclose(local_intrinsic_dimension(X, 30, metric="euclidean",
                                                         progress=False), expected, rtol=1e-5)


@pytest.mark.parametrize("d, tolerance", [(2, 0.10), (5, 0.12)])
def test_local_id_known_answer(rng, d, tolerance):
    """Median local ID of a d-dim subspace (n=2000, L=128) is d; worst over seeds 0..4 was
    -5.7% (d=2) and -7.6% (d=5): each fit uses only 129 points."""
    lid = local_intrinsic_dimension(sample("gauss", 2000, d, rng), metric="euclidean",
                                    progress=False)
    assert lid.shape == (2000,) and np.isfinite(lid).all()
    assert np.median(lid) == pytest.approx(d, rel=tolerance)


def test_local_id_with_graph_and_errors(rng):
    X = manifold(400, rng, ambient=30).astype(np.float32)
    graph = knn_graph(X, k=40, metric="cosine", progress=False)
    direct = local_intrinsic_dimension(X, k=25, metric="cosine", progress=False)
    from_graph = local_intrinsic_dimension(graph, k=25, X=X, progress=False)
    np.testing.assert_allclose(from_graph, direct, rtol=1e-6)
    # cosine = Euclidean chord distance between normalised rows (ratios of 1 - cos would halve)
    unit = X / np.linalg.norm(X, axis=1, keepdims=True)
    np.testing.assert_allclose(direct, local_intrinsic_dimension(unit, 25, metric="euclidean",
                                                                 progress=False), rtol=1e-4)
    np.testing.assert_array_equal(local_intrinsic_dimension(X, k=25, progress=False), direct)
    with pytest.raises(ValueError, match="pass the vectors it was built from as X="):
        local_intrinsic_dimension(graph, k=25)
    with pytest.raises(ValueError, match="k=40 neighbour.*local_intrinsic_dimension needs k=50"):
        local_intrinsic_dimension(graph, k=50, X=X)
    with pytest.raises(ValueError, match="X does not match the KNNGraph"):
        local_intrinsic_dimension(graph, k=25, X=X[::-1].copy())
    with pytest.raises(ValueError, match="X has 399 rows but the KNNGraph has 400"):
        local_intrinsic_dimension(graph, k=25, X=X[:-1])
    with pytest.raises(ValueError, match="built with metric='cosine' but "
                                         "local_intrinsic_dimension was asked for "
                                         "metric='euclidean'"):
        local_intrinsic_dimension(graph, k=25, X=X, metric="euclidean")
    sample_graph = exact_knn_rows(X, rows=np.arange(10), k=30, metric="cosine")
    with pytest.raises(ValueError, match="covers a sample of 10 rows"):
        local_intrinsic_dimension(sample_graph, k=25, X=X)
    with pytest.raises(ValueError, match="X is only used when data is a KNNGraph"):
        local_intrinsic_dimension(X, k=25, X=X)
    with pytest.raises(ValueError, match="k=400 needs n > k"):
        local_intrinsic_dimension(X, k=400)
    with pytest.raises(ValueError, match="estimator must be one of"):
        local_intrinsic_dimension(X, k=25, estimator="mean")


# ---------------------------------------------------------------------- invariances

def estimates(A):
    """twonn (both forms), mle (k=10) and local ID (L=20) of A, from one graph."""
    graph = knn_graph(A, k=20, metric="euclidean", progress=False)
    lid = local_intrinsic_dimension(graph, k=20, metric="euclidean", X=A, progress=False)
    return np.array([twonn(graph, metric="euclidean"),
                     twonn(graph, estimator="mle", metric="euclidean"),
                     mle(graph, k=10, metric="euclidean")]), lid


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), scale=st.floats(1e-3, 1e3))
def test_invariant_to_rotation_permutation_and_scale(seed, scale):
    """Distances are unchanged by rotation and permutation and ratios by scaling: estimates
    agree within 1e-5 relative (float32 distance storage; measured ~1e-7); local ID follows
    the permutation of the rows."""
    rng = np.random.default_rng(seed)
    X = manifold(300, rng, ambient=24)
    R = special_ortho_group.rvs(24, random_state=seed)
    perm = rng.permutation(300)
    base, lid = estimates(X)
    np.testing.assert_allclose(estimates(X @ R)[0], base, rtol=1e-5)
    np.testing.assert_allclose(estimates(scale * X)[0], base, rtol=1e-5)
    permuted, lid_permuted = estimates(X[perm])
    np.testing.assert_allclose(permuted, base, rtol=1e-9)
    np.testing.assert_allclose(lid_permuted, lid[perm], rtol=1e-9)


# ---------------------------------------------------------------------- graph reuse

def test_graph_gives_the_same_answer_and_checks_k(rng):
    X = manifold(800, rng)
    graph = knn_graph(X, k=30, metric="euclidean", progress=False)
    E = "euclidean"
    assert twonn(graph, metric=E) == pytest.approx(twonn(X, metric=E), rel=1e-12)
    assert twonn(graph, estimator="mle", metric=E) == pytest.approx(
        twonn(X, estimator="mle", metric=E), rel=1e-12)
    assert mle(graph, k=20, metric=E) == pytest.approx(mle(X, k=20, metric=E), rel=1e-12)
    with pytest.raises(ValueError, match="k=30 neighbour.*mle needs k=40"):
        mle(graph, k=40, metric=E)
    with pytest.raises(ValueError, match="k=1 neighbour.*twonn needs k=2"):
        twonn(knn_graph(X, k=1, metric="euclidean", progress=False), metric=E)
    # one graph contract: a graph built with another metric is refused, never reused silently
    with pytest.raises(ValueError, match="built with metric='euclidean' but twonn was asked "
                                         "for metric='cosine'"):
        twonn(graph)
    with pytest.raises(ValueError, match="built with metric='euclidean' but mle was asked"):
        mle(graph, k=20)
    # cosine (the default): chord distances, i.e. the Euclidean estimate of the normalised rows
    unit = X / np.linalg.norm(X, axis=1, keepdims=True)
    assert twonn(X, metric="cosine") == pytest.approx(twonn(unit, metric=E), rel=1e-4)
    assert mle(X, metric="cosine") == pytest.approx(mle(unit, metric=E), rel=1e-4)
    assert twonn(X) == twonn(X, metric="cosine") and mle(X) == mle(X, metric="cosine")
    cosine = knn_graph(X, k=30, metric="cosine", progress=False)
    assert twonn(cosine) == pytest.approx(twonn(X), rel=1e-12)


# ---------------------------------------------------------------------- duplicates

def test_duplicates_are_excluded_with_a_warning(rng):
    X = manifold(1000, rng)
    with_duplicates = np.vstack([X, X[:20]])  # rows 0..19 and 1000..1019 have r1 = 0
    with pytest.warns(UserWarning, match="twonn: excluded 40 of 1020 points"):
        value = twonn(with_duplicates)
    assert np.isfinite(value) and value == pytest.approx(twonn(X), rel=0.1)
    with pytest.warns(UserWarning, match="mle: excluded 40 of 1020 points"):
        assert np.isfinite(mle(with_duplicates))
    with pytest.warns(UserWarning, match="local_intrinsic_dimension: excluded"):
        lid = local_intrinsic_dimension(with_duplicates, k=30, progress=False)
    assert np.isfinite(lid).all()
    all_duplicates = np.repeat(X[:100], 2, axis=0)
    for estimate in (twonn, mle):
        with pytest.raises(ValueError, match="all 200 points .* nothing is left"):
            estimate(all_duplicates)
    ten_copies = np.repeat(X[:50], 10, axis=0)
    with pytest.raises(ValueError, match="undefined for every neighbourhood"):
        local_intrinsic_dimension(knn_graph(ten_copies, k=9, progress=False), k=5, X=ten_copies,
                                  progress=False)
    with pytest.raises(ValueError, match="more than k=5 exact duplicates"):  # the kNN step
        local_intrinsic_dimension(ten_copies, k=5, progress=False)


# ---------------------------------------------------------------------- input handling

def test_bad_input_gets_clear_errors(rng):
    X = manifold(200, rng, ambient=20)
    bad = X.copy()
    bad[7, 3] = np.nan
    with pytest.raises(ValueError, match="data contains NaN or infinite values"):
        twonn(bad)
    with pytest.raises(ValueError, match="data has n=10 row.*k=10 neighbours.*n > k"):
        mle(X[:10], k=10)
    with pytest.raises(ValueError, match="data has n=2 row"):
        twonn(X[:2])
    with pytest.raises(ValueError, match="estimator must be one of \\['linear', 'mle'\\]"):
        twonn(X, estimator="ml")
    with pytest.raises(ValueError, match="discard_fraction must be a number in \\[0, 1\\), "
                                         "got 1.0"):
        twonn(X, discard_fraction=1.0)
    with pytest.raises(TypeError, match="discard_fraction must be a number in \\[0, 1\\), "
                                        "got bool"):
        twonn(X, discard_fraction=True)
    with pytest.raises(ValueError, match="k must be an integer >= 2"):
        mle(X, k=1)
    with pytest.raises(ValueError, match="metric must be one of"):
        mle(X, metric="manhattan")


def test_integer_torch_and_one_dimensional_input(rng):
    """Integers and torch tensors are converted; d = 1 is a valid case (a line has ID 1,
    within 10%: TwoNN's spread at n=2000 is ~3%)."""
    integers = rng.integers(0, 10**6, size=(500, 3))
    assert twonn(integers) == pytest.approx(twonn(integers.astype(np.float64)), rel=1e-6)
    torch = pytest.importorskip("torch")
    X = manifold(500, rng, ambient=20)
    assert mle(torch.from_numpy(X)) == pytest.approx(mle(X), rel=1e-5)  # tensors become float32
    line = rng.uniform(size=(2000, 1))
    assert twonn(line, metric="euclidean") == pytest.approx(1, rel=0.1)
    assert mle(line, metric="euclidean") == pytest.approx(1, rel=0.1)


def test_module_import_stays_light():
    code = ("import sys, embviz.metrics.intrinsic_dim; "
            "print(','.join(m for m in ('torch', 'sklearn', 'skdim') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == ""


# ---------------------------------------------------------------------- real embeddings

def test_real_embeddings_have_low_intrinsic_dimension(tmp_path):
    """400 WordNet glosses, default model (384-d): ID far below 384. Values are printed for
    the report (run with -s)."""
    from embviz.datasets import load_dataset
    from embviz.embed import embed_corpus

    es = embed_corpus(load_dataset("wordnet", n=400, random_state=0), device="cpu",
                      progress=False, cache_dir=tmp_path)
    values = {"twonn": twonn(es.vectors, metric="euclidean"),
              "twonn_mle": twonn(es.vectors, estimator="mle", metric="euclidean"),
              "mle_k20": mle(es.vectors, metric="euclidean"), "twonn_cosine": twonn(es),
              "pca_90": pca_dimension(es.vectors)}
    print("\nWordNet n=400 intrinsic dimension:", {k: round(v, 2) for k, v in values.items()})
    for name in ("twonn", "twonn_mle", "mle_k20", "twonn_cosine"):
        assert 3 < values[name] < 100, name
