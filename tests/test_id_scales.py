"""ID across scales: MLE by k, Gride by neighbour rank, TwoNN by decimation.

Known answers on data of known dimension; the intervals' coverage where their model holds
(independent ratios drawn from the estimators' own laws), at stated tolerances."""

import numpy as np
import pytest
from scipy import stats

from embviz.metrics import (
    gride,
    id_by_scale,
    id_scale_curve,
    mle,
    twonn,
    twonn_by_decimation,
)
from embviz.metrics.gride import gride_from_distances
from embviz.metrics.id_calibration import _censored
from embviz.metrics.id_scales import _pooled_twonn
from embviz.neighbors import knn_graph

E = "euclidean"


def subspace(n, d, rng, ambient=40):
    """Standard normal in a random d-dim linear subspace of R^ambient (no boundary)."""
    basis = np.linalg.qr(rng.normal(size=(ambient, d)))[0]
    return (rng.normal(size=(n, d)) @ basis.T).astype(np.float32)


def test_id_by_scale_mle_uses_one_graph(rng):
    """Same values as mle at each k; a 5-dim subspace stays within 8% of 5 at every scale
    (measured worst over 5 seeds: -4.2%, at k=100); the scale grows with k."""
    X = subspace(2000, 5, rng)
    table = id_by_scale(X, ks=(20, 5, 100, 10, 50, 20), metric=E)
    assert list(table.columns) == ["k", "scale", "intrinsic_dimension", "ci_low", "ci_high"]
    assert table["k"].tolist() == [5, 10, 20, 50, 100]
    assert np.all(np.diff(table["scale"]) > 0) and table["ci_low"].isna().all()
    graph = knn_graph(X, k=100, metric=E, progress=False)
    for k, value in zip(table["k"], table["intrinsic_dimension"]):
        assert value == pytest.approx(mle(graph, k=int(k), metric=E), rel=1e-12)
        assert value == pytest.approx(5, rel=0.08)
    from_graph = id_by_scale(graph, ks=(5, 10), metric=E)
    assert from_graph["intrinsic_dimension"].tolist() == table["intrinsic_dimension"][:2].tolist()
    with pytest.raises(ValueError, match="k=100 neighbour.*needs k=200"):
        id_by_scale(graph, ks=(10, 200), metric=E)
    with pytest.raises(ValueError, match="built with metric='euclidean' but id_by_scale"):
        id_by_scale(graph, ks=(5, 10))
    with pytest.raises(ValueError, match="ks must be a non-empty sequence"):
        id_by_scale(X, ks=())
    with pytest.raises(ValueError, match="ks\\[i\\] must be an integer >= 2"):
        id_by_scale(X, ks=(1, 5))
    with pytest.raises(ValueError, match="estimator must be one of"):
        id_by_scale(X, estimator="twonn")


def test_gride_curve_known_answer_and_single_scale(rng):
    """A 4-dim subspace reads 4 within 6% at every rank (measured worst over 3 seeds: 5.2%
    at n2=2, the noisiest); each row equals gride() at its ranks; n1=1 is the unbiased TwoNN
    MLE after DADApy's outlier cut (here nothing is cut, so exactly (N-1)/sum log mu)."""
    X = subspace(3000, 4, rng)
    curve = id_by_scale(X, estimator="gride", metric=E)
    assert curve["k"].tolist() == [2, 4, 8, 16, 32, 64]
    assert np.all(np.diff(curve["scale"]) > 0)
    assert np.all((curve["ci_low"] < curve["intrinsic_dimension"])
                  & (curve["intrinsic_dimension"] < curve["ci_high"]))
    np.testing.assert_allclose(curve["intrinsic_dimension"], 4, rtol=0.06)
    for k, value in zip(curve["k"], curve["intrinsic_dimension"]):
        assert gride(X, n1=int(k) // 2, metric=E) == pytest.approx(value, rel=1e-12)
    r = knn_graph(X, k=2, metric=E, progress=False).distances.astype(np.float64)
    log_mu = np.log(r[:, 1] / r[:, 0])
    mu = np.exp(log_mu)
    q50, q95 = np.percentile(mu, [50, 95])
    kept = log_mu[mu < q50 + 20 * (q95 - q50)]
    assert gride(X, metric=E) == pytest.approx((len(kept) - 1) / kept.sum(), rel=1e-10)
    assert twonn(X, estimator="mle", discard_fraction=0, metric=E) == pytest.approx(
        gride(X, metric=E), rel=0.01)


def test_gride_wald_interval_covers_on_its_model():
    """Exact Poisson-process distances r_j = (E_1 + ... + E_j)^(1/d), independent rows (the
    likelihood's model): the 95% Wald interval covers d in 95% of 400 samples; tolerance
    [0.92, 0.98] (3 binomial standard errors of 0.011)."""
    rng = np.random.default_rng(11)
    d, n1, n2, covered = 6.0, 4, 8, 0
    z = stats.norm.ppf(0.975)
    for _ in range(400):
        distances = np.cumsum(rng.exponential(size=(300, n2)), axis=1) ** (1 / d)
        value, se = gride_from_distances(distances, n1, n2)
        covered += value - z * se <= d <= value + z * se
    assert 0.92 <= covered / 400 <= 0.98


def test_gride_refuses_bad_ranks_and_warns_on_duplicates(rng):
    X = subspace(300, 3, rng)
    with pytest.raises(ValueError, match="n1 must be an integer >= 1"):
        gride(X, n1=0)
    with pytest.raises(ValueError, match="n2 must be an integer >= 5"):
        gride(X, n1=4, n2=3)
    with pytest.raises(TypeError, match="n1 must be an integer"):
        gride(X, n1=1.5)
    with pytest.raises(ValueError, match="even"):
        id_by_scale(X, estimator="gride", ks=(3, 6))
    with pytest.warns(UserWarning, match=r"left out \d+ of 320 points .* \(duplicates\)"):
        assert np.isfinite(gride(np.vstack([X, X[:20]]), metric=E))


def test_decimation_levels_known_answer_and_scale(rng):
    """Levels halve the rows down to min_rows; every row is used; a 3-dim subspace reads 3
    within 10% at every level (measured worst over 3 seeds: 6.1%, at 64 rows)."""
    X = subspace(2048, 3, rng)
    curve = twonn_by_decimation(X, metric=E, progress=False)
    assert curve["n_rows"].tolist() == [2048, 1024, 512, 256, 128, 64]
    assert curve["n_subsets"].tolist() == [1, 2, 4, 8, 16, 32]
    assert np.all(np.diff(curve["scale"]) > 0)
    np.testing.assert_allclose(curve["intrinsic_dimension"], 3, rtol=0.10)
    assert curve["intrinsic_dimension"][0] == pytest.approx(
        twonn(X, estimator="mle", metric=E), rel=1e-6)
    capped = twonn_by_decimation(X, metric=E, max_rows=600, progress=False)
    assert capped["n_rows"].tolist() == [512, 256, 128, 64]
    assert capped["n_subsets"].tolist() == [4, 8, 16, 32]
    same = twonn_by_decimation(X, metric=E, progress=False)
    assert same.equals(curve)  # random_state=0 by default


def test_decimation_chi_square_interval_covers_on_its_model():
    """Independent censored Exponential(d) log-ratios (TwoNN's model) pooled over subsets:
    the exact chi-square interval covers in 95% of 2,000 samples; tolerance [0.935, 0.965]."""
    rng = np.random.default_rng(5)
    d, covered = 9.0, 0
    for _ in range(2000):
        parts = [_censored(rng.exponential(1 / d, size=150), 0.1) for _ in range(3)]
        _, low, high = _pooled_twonn(parts, 0.95)
        covered += low <= d <= high
    assert 0.935 <= covered / 2000 <= 0.965


def test_decimation_warns_once_about_duplicates_and_nothing_about_hubs(rng):
    X = subspace(1000, 5, rng)
    X = np.vstack([X, X[:30], X[:30], X[:30]])  # 30 rows with 3 more copies: ties at k=2
    with pytest.warns(UserWarning) as caught:
        curve = twonn_by_decimation(X, metric=E, progress=False)
    assert [str(w.message) for w in caught] == [
        "twonn_by_decimation: left out 120 of 1090 rows whose nearest neighbour is at "
        "distance 0 (exact duplicates)"]
    assert np.isfinite(curve["intrinsic_dimension"]).all()


def test_decimation_refuses_bad_input(rng):
    X = subspace(200, 3, rng)
    with pytest.raises(ValueError, match="min_rows must be an integer >= 8"):
        twonn_by_decimation(X, min_rows=4)
    with pytest.raises(ValueError, match="max_rows must be an integer >= 64"):
        twonn_by_decimation(X, max_rows=10)
    with pytest.raises(ValueError, match=r"data needs at least 64 row\(s\), got 10"):
        twonn_by_decimation(X[:10])
    with pytest.raises(ValueError, match="confidence must"):
        twonn_by_decimation(X, confidence=1.0)


def test_id_scale_curve_reuses_the_graph_and_draws(rng):
    """Gride on the given graph (no new search of n rows) plus decimation, one scale axis; the
    figure draws both with error bars and the calibrated estimate as a line."""
    import pandas as pd

    from embviz.viz.geometry import id_scale_figure

    X = subspace(1024, 4, rng)
    graph = knn_graph(X, k=64, metric=E, progress=False)
    curve = id_scale_curve(X, graph=graph, metric=E, progress=False)
    gride_rows = curve[curve["estimator"] == "Gride"]
    expected = id_by_scale(graph, estimator="gride", metric=E)
    np.testing.assert_allclose(gride_rows["intrinsic_dimension"], expected["intrinsic_dimension"],
                               rtol=1e-12)
    assert gride_rows["neighbours"].tolist()[:2] == ["n1=1, n2=2", "n1=2, n2=4"]
    decimated = curve[curve["estimator"] == "TwoNN, decimated"]
    assert decimated["neighbours"].tolist()[:2] == ["1,024 rows x 1", "512 rows x 2"]
    np.testing.assert_allclose(curve["intrinsic_dimension"], 4, rtol=0.12)
    with pytest.raises(ValueError, match="built with metric='euclidean' but id_scale_curve"):
        id_scale_curve(X, graph=graph, progress=False)
    with pytest.raises(ValueError, match="X has 1000 rows but the KNNGraph has 1024"):
        id_scale_curve(X[:1000], graph=graph, metric=E, progress=False)
    fig = id_scale_figure(curve, pd.Series({"value": 4.1, "ci_low": 3.9, "ci_high": 4.3}),
                          metric=E)
    assert [trace.name for trace in fig.data] == ["Gride", "TwoNN, decimated"]
    assert all(trace.error_y.array is not None for trace in fig.data)
    assert fig.layout.xaxis.type == "log" and "Euclidean" in fig.layout.xaxis.title.text
    assert [shape.type for shape in fig.layout.shapes] == ["rect", "line"]


def test_exploration_id_scales_on_a_small_corpus(rng):
    """The explorer's curve on 100 points: Gride's ranks fit the corpus (n2 <= 64 < n); its
    calibrated line is the report's row."""
    import pandas as pd

    from embviz.embedding_set import EmbeddingSet
    from embviz.exploration import Exploration

    X = subspace(100, 3, rng)
    meta = pd.DataFrame({"id": [f"p{i}" for i in range(100)], "text": ["t"] * 100})
    exploration = Exploration(EmbeddingSet(X, meta, {"source": "synthetic"}), progress=False)
    curve, calibrated = exploration.id_scales()
    assert curve.loc[curve["estimator"] == "Gride", "neighbours"].iloc[-1] == "n1=32, n2=64"
    assert curve["intrinsic_dimension"].between(1, 6).all()
    report = exploration.geometry().set_index("metric").loc["twonn_calibrated"]
    assert calibrated[["value", "ci_low", "ci_high"]].tolist() == pytest.approx(
        report[["value", "ci_low", "ci_high"]].tolist(), rel=1e-12)
