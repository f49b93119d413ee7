"""Geometry reports: one shared kNN graph, agreement with the measures, layers, truncations."""

import re

import numpy as np
import pytest

import embviz.neighbors
from embviz.metrics import (
    dimensionwise_report,
    geometry_report,
    hubness_skewness,
    layerwise_report,
    mle,
    twonn,
)
from embviz.neighbors import knn_graph


@pytest.fixture
def X(rng):
    return (rng.normal(size=(600, 5)) @ rng.normal(size=(5, 40))).astype(np.float32)


@pytest.fixture
def graph_calls(monkeypatch):
    """The k of every graph search: of ``_knn_graph``, the kernel behind ``knn_graph`` that
    the report calls directly (its rows are checked once, at its door)."""
    calls = []
    original = embviz.neighbors._knn_graph

    def counting(X, k, *args, **kwargs):
        calls.append(k)
        return original(X, k, *args, **kwargs)

    monkeypatch.setattr(embviz.neighbors, "_knn_graph", counting)
    return calls


def test_everything_comes_from_one_graph(X, graph_calls):
    table = geometry_report(X, local_k=64, progress=False)
    assert graph_calls == [64]  # one graph of the data, at the largest neighbourhood needed
    assert list(table.columns) == ["metric", "value", "ci_low", "ci_high", "parameters"]
    values = table.set_index("metric")["value"]
    assert np.isfinite(values.to_numpy(float)).all()
    assert values["pca_dimension"] <= 5 and 3 < values["twonn"] < 7  # a 5-d subspace
    parameters = table.set_index("metric")["parameters"]
    scale = table.set_index("metric")  # each ID row names the scale it was read at
    for name, rank in [("twonn", 2), ("mle", 20), ("local_intrinsic_dimension_mean", 64),
                       ("local_intrinsic_dimension_median", 64)]:
        assert re.search(rf"scale=[0-9.]+ \(neighbour {rank}\), metric=cosine$",
                         scale.loc[name, "parameters"])
    assert parameters["local_intrinsic_dimension_mean"].startswith("local_k=64, scale=")
    calibrated = table.set_index("metric").loc["twonn_calibrated"]
    assert calibrated.ci_low < calibrated.value < calibrated.ci_high
    assert calibrated.value > values["twonn_mle"]  # the correction raises a biased-low TwoNN
    assert "calibrated on the uniform ball at n=600" in calibrated.parameters


def test_report_values_equal_the_measures(X):
    graph = knn_graph(X, k=64, metric="cosine", progress=False)
    table = geometry_report(X, local_k=64, graph=graph, progress=False)
    values = table.set_index("metric")["value"]
    assert values["twonn"] == pytest.approx(twonn(graph), rel=1e-12)
    assert values["mle"] == pytest.approx(mle(graph.at_k(20), k=20), rel=1e-12)
    assert values["hubness_skewness"] == pytest.approx(hubness_skewness(graph, k=10))
    # a Euclidean graph of the unit rows has the cosine neighbours, but the cosine report
    # refuses it (one graph contract: a graph is used with the metric it was built with)
    unit = X / np.linalg.norm(X, axis=1, keepdims=True)
    euclidean_unit = knn_graph(unit, k=64, metric="euclidean", progress=False)
    cosine = knn_graph(X, k=10, metric="cosine", progress=False)
    np.testing.assert_array_equal(cosine.indices, euclidean_unit.at_k(10).indices)
    with pytest.raises(ValueError, match="built with metric='euclidean' but geometry_report "
                                         "was asked for metric='cosine'"):
        geometry_report(X, local_k=64, graph=euclidean_unit, progress=False)


def test_precomputed_graph_is_reused_and_checked(X, graph_calls):
    graph = knn_graph(X, k=30, metric="euclidean", progress=False)
    graph_calls.clear()
    geometry_report(X, metric="euclidean", local_k=30, graph=graph, progress=False)
    assert graph_calls == []
    with pytest.raises(ValueError, match="k=30 neighbour.*geometry_report needs k=40"):
        geometry_report(X, metric="euclidean", local_k=40, graph=graph, progress=False)
    with pytest.raises(ValueError, match="built with metric='euclidean' but geometry_report"):
        geometry_report(X, local_k=30, graph=graph, progress=False)  # a cosine report
    with pytest.raises(ValueError, match="X has 600 rows but the KNNGraph has 599"):
        geometry_report(X, metric="euclidean", local_k=30, progress=False,
                        graph=knn_graph(X[:-1], k=30, metric="euclidean", progress=False))
    with pytest.raises(ValueError, match="X does not match the KNNGraph"):
        geometry_report(X[::-1], metric="euclidean", local_k=30, graph=graph, progress=False)
    with pytest.raises(TypeError, match="graph must be a KNNGraph"):
        geometry_report(X, local_k=30, graph=graph.indices, progress=False)


def test_confidence_intervals_and_labels(X, rng):
    table = geometry_report(X, local_k=32, ci=True, n_resamples=20,
                            labels=rng.integers(0, 2, len(X)), progress=False).set_index("metric")
    measures = table.drop(["n", "d"])
    assert len(measures) == 17 and measures[["ci_low", "ci_high"]].notna().all().all()
    assert (measures["ci_low"] <= measures["value"]).all()
    assert (measures["value"] <= measures["ci_high"]).all()
    half_sampled = measures.drop("twonn_calibrated")["parameters"]
    assert half_sampled.str.contains("ci=complementary half-samples").all()
    assert measures.loc["twonn_calibrated", "parameters"].endswith(
        "ci=simulated spread at n, through the calibration")
    assert 0.3 < table.loc["knn_error", "value"] < 0.7  # random labels: chance level


def test_layerwise_and_dimensionwise(X, rng):
    layers = np.stack([X, X * 2 + 1, rng.normal(size=X.shape).astype(np.float32)])
    table = layerwise_report(layers, local_k=32, progress=False)
    assert sorted(table["layer"].unique()) == [0, 1, 2]
    iso = table[table["metric"] == "isoscore"].set_index("layer")["value"]
    assert iso[2] > iso[0]  # an isotropic Gaussian layer beats a 5-d subspace
    dims = dimensionwise_report(X, dims=[8, 40], local_k=32, progress=False)
    assert sorted(dims["dims"].unique()) == [8, 40]
    with pytest.raises(ValueError, match=r"dims must lie in \[2, 40\]"):
        dimensionwise_report(X, dims=[80])
    with pytest.raises(ValueError, match=r"shape \(n_layers, n, d\)"):
        layerwise_report(X)


def test_too_few_rows_for_the_neighbourhoods(rng):
    with pytest.raises(ValueError, match="lower local_k"):
        geometry_report(rng.normal(size=(100, 8)), progress=False)


def test_wordnet_minilm_report(tmp_path):
    """Real data: 1,500 WordNet glosses embedded with minilm (values go to the issue note)."""
    from embviz.datasets import load_dataset
    from embviz.embed import embed_corpus

    es = embed_corpus(load_dataset("wordnet", n=1500, random_state=0), device="cpu",
                      progress=False, cache_dir=tmp_path)
    table = geometry_report(es, labels=es.meta["label"], progress=False)
    print(table.to_string())
    values = table.set_index("metric")["value"]
    assert 0 < values["isoscore"] < 0.6  # sentence embeddings are far from isotropic
    assert 5 < values["twonn"] < 60 and 5 < values["local_intrinsic_dimension_mean"] < 60
    assert values["hubness_skewness"] > 0 and 0 < values["knn_error"] < 1


def test_report_intervals_equal_per_measure_half_sampling(rng):
    """The report's shared half-samples give the intervals of subsampling_ci on each measure
    (isotropy from one Gram matrix per half; neighbour measures from the half's subgraph)."""
    from embviz.metrics import (
        average_cosine,
        effective_rank,
        isoscore,
        partition_isotropy,
        subsampling_ci,
        top_pc_variance_share,
        twonn,
    )
    from embviz.metrics.report import _RANGES

    X = rng.normal(size=(300, 12)) * np.linspace(0.2, 3, 12) + 0.5
    table = geometry_report(X, k=5, mle_k=5, local_k=20, ci=True, n_resamples=20,
                            random_state=4, metric="euclidean",
                            progress=False).set_index("metric")
    for name, measure in (("isoscore", isoscore), ("partition_isotropy", partition_isotropy),
                          ("average_cosine", average_cosine), ("effective_rank", effective_rank),
                          ("top_pc_variance_share", top_pc_variance_share),
                          ("twonn", lambda V: twonn(V, metric="euclidean"))):
        value, low, high = subsampling_ci(measure, X, n_resamples=20, random_state=4)
        low, high = np.clip([low, high], *_RANGES.get(name, (0, np.inf)))  # bounded measures
        np.testing.assert_allclose(table.loc[name, ["value", "ci_low", "ci_high"]].to_numpy(
            dtype=float), [value, low, high], rtol=1e-6, atol=1e-7, err_msg=name)  # float32 halves
    assert table.loc["twonn", "parameters"].endswith(
        "ci=complementary half-samples (n_resamples=20)")


def test_default_corpus_intervals_contain_their_estimates():
    """The app's default corpus (5,000 WordNet glosses, minilm) with the app's settings:
    every measure has a finite interval that contains its estimate, made as it says."""
    from embviz.datasets import load_dataset
    from embviz.embed import embed_corpus
    from embviz.exploration import Exploration

    es = embed_corpus(load_dataset("default"), device="cpu", progress=False)
    table = Exploration(es, progress=False).geometry(ci=True).set_index("metric")
    print(table.to_string())
    measures = table.drop(["n", "d"])
    assert len(measures) == 17
    assert measures[["ci_low", "ci_high"]].notna().all().all()
    assert ((measures["ci_low"] <= measures["value"])
            & (measures["value"] <= measures["ci_high"])).all()
    assert (measures["ci_low"] < measures["ci_high"]).all()  # none collapsed to a point
    half_sampled = measures.drop("twonn_calibrated")["parameters"]
    assert half_sampled.str.contains("ci=complementary half-samples").all()
