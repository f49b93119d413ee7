"""Bad input is refused at the door, with a message that names the argument (issue 31).

DESIGN.md, "Contracts": bad input gets a clear ``ValueError``/``TypeError`` naming the argument
and what was expected — never a NumPy traceback from deep inside, never a silent NaN. Each case
below gives one public function one invalid argument and asserts the exception type AND that
the message names the argument. The first cases are the defects found by probing (each
returned a number before: a "significant" p-value for a constant sample, all-NaN q-values, a
p-value of 1 from an empty null, ...); the rest walk the public functions of
``embviz.metrics``, ``drift``, ``neighbors``, ``selection``, ``landscape``, ``sources`` (and
the SAE helpers and the encoder's constructor). Tiny arrays, no model is loaded.
"""

from __future__ import annotations

import functools
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest

from embviz import EmbeddingSet, sae
from embviz import drift as dr
from embviz import landscape as ls
from embviz import metrics as mt
from embviz import neighbors as nb
from embviz import sources as src
from embviz import stats as st
from embviz.metrics import resampling as rs
from embviz.selection import Selection, composition

RNG = np.random.default_rng(31)
X = RNG.normal(size=(24, 4))
Y = RNG.normal(size=(24, 4)) + 1.0
LABELS = np.array(["a", "b", "c"] * 8)
COORDS = RNG.normal(size=(24, 2))


def _with(value, row: int = 3, column: int = 1) -> np.ndarray:
    Z = X.copy()
    Z[row, column] = value
    return Z


NAN, INF = _with(np.nan), _with(np.inf)


@functools.cache
def graph(k: int = 5, metric: str = "cosine") -> nb.KNNGraph:
    return nb.knn_graph(X, k=k, metric=metric, progress=False)


def forged(**changes) -> nb.KNNGraph:
    """The graph of X with some fields replaced (a hand-made or corrupted KNNGraph)."""
    g = graph()
    fields = {"indices": g.indices.copy(), "distances": g.distances.copy(),
              "metric": g.metric, "method": g.method}
    fields.update(changes)
    return nb.KNNGraph(**fields)


def swapped_distances() -> np.ndarray:
    d = graph().distances.copy()
    d[2, [0, 1]] = d[2, [1, 0]] + np.float32([0, 1])  # the second nearer than the first
    return d


def embedding_set(vectors: np.ndarray = X) -> EmbeddingSet:
    meta = pd.DataFrame({"id": [str(i) for i in range(len(X))],
                         "text": [f"text {i}" for i in range(len(X))], "label": LABELS})
    return EmbeddingSet(vectors.astype(np.float32), meta)


def case(name, call, error, match):
    return pytest.param(call, error, match, id=name)


# ------------------------------------------------------------------ found by probing (issue 31)
FOUND = [
    case("spearman_constant_a", lambda: mt.spearman_permutation_test(
        [1, 1, 1, 1, 1], [1, 2, 3, 4, 5], n_permutations=100), ValueError, "a is constant"),
    case("spearman_constant_b", lambda: mt.spearman_permutation_test(
        [1, 2, 3, 4, 5], [2, 2, 2, 2, 2], n_permutations=100), ValueError, "b is constant"),
    case("bh_nan", lambda: st.benjamini_hochberg([0.1, np.nan]), ValueError, "p_values"),
    case("bh_above_one", lambda: st.benjamini_hochberg([0.1, 2.0]), ValueError, "p_values"),
    case("bh_negative", lambda: st.benjamini_hochberg([-0.1, 0.2]), ValueError, "p_values"),
    case("holm_nan", lambda: st.holm([0.1, np.nan]), ValueError, "p_values"),
    case("holm_above_one", lambda: st.holm([0.1, 2.0]), ValueError, "p_values"),
    case("bh_omit_still_refuses_above_one", lambda: st.benjamini_hochberg(
        [np.nan, 2.0], nan_policy="omit"), ValueError, "p_values"),
    case("bh_nan_policy", lambda: st.benjamini_hochberg([0.1], nan_policy="propagate"),
         ValueError, "nan_policy"),
    case("holm_nan_policy", lambda: st.holm([0.1], nan_policy=None), ValueError, "nan_policy"),
    case("p_value_floor_zero", lambda: st.p_value_floor(0), ValueError, "n_permutations"),
    case("p_value_floor_float", lambda: st.p_value_floor(99.0), TypeError, "n_permutations"),
    case("permutation_p_empty_null", lambda: st.permutation_p_value(1.0, []), ValueError,
         "null"),
    case("permutation_p_nan_observed", lambda: st.permutation_p_value(np.nan, [1.0, 2.0]),
         ValueError, "observed"),
    case("permutation_p_inf_observed", lambda: st.permutation_p_value(np.inf, [1.0, 2.0]),
         ValueError, "observed"),
    case("permutation_p_nan_null", lambda: st.permutation_p_value(1.0, [0.5, np.nan]),
         ValueError, "null"),
    case("wilson_successes_above_trials", lambda: st.wilson_interval(5, 3), ValueError,
         "successes must not exceed trials"),
    case("wilson_negative_successes", lambda: st.wilson_interval(-1, 3), ValueError,
         "successes"),
    case("wilson_zero_trials", lambda: st.wilson_interval(0, 0), ValueError, "trials"),
    case("wilson_fractional_successes", lambda: st.wilson_interval(1.5, 3), ValueError,
         "successes"),
    case("two_proportion_x_above_n", lambda: st.two_proportion_test(5, 3, 1, 3), ValueError,
         "x_a must not exceed n_a"),
    case("two_proportion_xb_above_n", lambda: st.two_proportion_test([1, 2], 3, [4, 0], 3),
         ValueError, "x_b must not exceed n_b"),
    case("graph_indices_past_n", lambda: mt.hubness_skewness(
        forged(indices=graph().indices + 100), k=5), ValueError, r"graph\.indices must lie"),
    case("check_graph_indices_past_n", lambda: nb.check_knn_graph(
        forged(indices=graph().indices + 100), 5, "cosine", "test"), ValueError,
        r"graph\.indices must lie in \[0, 24\)"),
    case("check_graph_negative_index", lambda: nb.check_knn_graph(
        forged(indices=-graph().indices - 1), 5, "cosine", "test"), ValueError,
        r"graph\.indices must lie"),
    case("check_graph_shapes_differ", lambda: nb.check_knn_graph(
        forged(distances=graph().distances[:, :3]), 3, "cosine", "test"), ValueError,
        r"graph\.distances"),
    case("check_graph_nan_distance", lambda: nb.check_knn_graph(
        forged(distances=np.where(np.arange(5) == 2, np.nan, graph().distances)), 5, "cosine",
        "test"), ValueError, r"graph\.distances must be finite"),
    case("check_graph_decreasing_distances", lambda: nb.check_knn_graph(
        forged(distances=swapped_distances()), 5, "cosine", "test"), ValueError,
        r"graph\.distances must be non-decreasing.*row 2"),
    case("check_graph_float_indices", lambda: nb.check_knn_graph(
        forged(indices=graph().indices.astype(float)), 5, "cosine", "test"), ValueError,
        r"graph\.indices must be a 2-D integer array"),
    case("recall_graphs_of_other_n", lambda: nb.recall_at_k(
        graph(), nb.knn_graph(X[:20], k=5, progress=False)), ValueError,
        "approx has n=24 rows but exact has n=20"),
    case("recall_exact_wider_than_approx", lambda: nb.recall_at_k(graph(3), graph(5)),
         ValueError, "approx has k=3 < exact k=5"),
    case("recall_other_metric", lambda: nb.recall_at_k(graph(), graph(5, "euclidean")),
         ValueError, "metric"),
    case("lof_k_above_graph_k", lambda: ls.local_outlier_factor(graph(10), 50), ValueError,
         "holds k=10 .* needs k=50"),
    case("selection_float_rows", lambda: Selection([1.7], n=3), TypeError, "rows"),
    case("selection_negative_n", lambda: Selection([], n=-5), ValueError, "n must be"),
    case("selection_mask_of_other_length", lambda: Selection([True, False], n=3), ValueError,
         r"rows as a boolean mask must have shape \(3,\)"),
    case("selection_rows_out_of_range", lambda: Selection([0, 7], n=5), ValueError,
         r"rows must lie in \[0, 5\)"),
    case("composition_alpha_above_one", lambda: composition(["a", "b"], [0], alpha=2),
         ValueError, "alpha"),
    case("composition_rows_out_of_range", lambda: composition(["a", "b"], [5]), ValueError,
         r"rows must lie in \[0, 2\)"),
    case("polygon_xs_ys_mismatch", lambda: Selection.from_polygon(COORDS, [0, 1, 1], [0, 1]),
         ValueError, "xs and ys"),
    case("polygon_coords_3d", lambda: Selection.from_polygon(X[:, :3], [0, 1, 1], [0, 1, 0]),
         ValueError, r"coords must have shape \(n, 2\)"),
    case("box_coords_1d", lambda: Selection.from_box(X[:, 0], (0, 0, 1, 1)), ValueError,
         "coords"),
    case("box_bounds_three", lambda: Selection.from_box(COORDS, (0, 0, 1)), ValueError,
         "bounds"),
    case("knn_hnsw_m_zero", lambda: nb.knn_graph(X, k=3, method="approximate", hnsw_m=0,
                                                 progress=False), ValueError, "hnsw_m"),
    case("knn_hnsw_m_one", lambda: nb.knn_graph(X, k=3, method="approximate", hnsw_m=1,
                                                progress=False), ValueError, "hnsw_m"),
    case("knn_hnsw_m_negative", lambda: nb.knn_graph(X, k=3, method="approximate",
                                                     hnsw_m=-1, progress=False), ValueError,
         "hnsw_m"),
    case("knn_hnsw_m_float", lambda: nb.knn_graph(X, k=3, method="approximate", hnsw_m=8.5,
                                                  progress=False), TypeError, "hnsw_m"),
    case("knn_ef_construction_zero", lambda: nb.knn_graph(
        X, k=3, method="approximate", ef_construction=0, progress=False), ValueError,
        "ef_construction"),
    case("knn_ef_search_negative", lambda: nb.knn_graph(
        X, k=3, method="approximate", ef_search=-3, progress=False), ValueError, "ef_search"),
    case("region_card_unknown_column", lambda: ls.region_card(
        embedding_set(), np.arange(8), columns=("nope",), ci=False, progress=False),
        ValueError, r"columns \['nope'\] are not columns of data.*'label'"),
    case("region_card_columns_single_string", lambda: ls.region_card(
        embedding_set(), np.arange(8), columns="label", ci=False, progress=False), TypeError,
        "columns must be a sequence"),
    case("distinctive_words_int_text", lambda: sae.distinctive_words(
        ["zebra runs", 3, "cat runs"], [[0, 1]]), TypeError, r"texts must hold strings.*\[1\]=3"),
    case("distinctive_words_single_string", lambda: sae.distinctive_words(
        "zebra runs", [[0]]), TypeError, "texts must be a sequence"),
    case("distinctive_words_group_out_of_range", lambda: sae.distinctive_words(
        ["zebra runs", "cat runs"], [[0, 5]]), ValueError, r"groups\[0\] must lie"),
]

# ------------------------------------------------------------------ metrics
METRICS = [
    case("isoscore_nan", lambda: mt.isoscore(NAN), ValueError, "X contains NaN"),
    case("isoscore_inf", lambda: mt.isoscore(INF), ValueError, "X contains NaN or infinite"),
    case("isoscore_1d", lambda: mt.isoscore(X[:, 0]), ValueError, "X must be 2-D"),
    case("isoscore_one_row", lambda: mt.isoscore(X[:1]), ValueError, "X needs at least 2"),
    case("isoscore_strings", lambda: mt.isoscore([["a", "b"], ["c", "d"]]), TypeError,
         "X must be a numeric array"),
    case("isoscore_empty", lambda: mt.isoscore(np.empty((0, 3))), ValueError, "X needs"),
    case("partition_isotropy_nan", lambda: mt.partition_isotropy(NAN), ValueError, "X"),
    case("average_cosine_zero_row", lambda: mt.average_cosine(_with(0.0, 0, slice(None))),
         ValueError, "X has zero row"),
    case("effective_rank_inf", lambda: mt.effective_rank(INF), ValueError, "X"),
    case("top_pc_share_n_components_zero", lambda: mt.top_pc_variance_share(X, n_components=0),
         ValueError, "n_components"),
    case("top_pc_share_n_components_float",
         lambda: mt.top_pc_variance_share(X, n_components=1.5), TypeError, "n_components"),
    case("rogue_dimensions_nan", lambda: mt.rogue_dimensions(NAN), ValueError, "X"),
    case("pca_variances_1d", lambda: mt.pca_variances(X[0]), ValueError, "X must be 2-D"),
    case("pca_dimension_threshold_zero", lambda: mt.pca_dimension(X, threshold=0), ValueError,
         "threshold"),
    case("pca_dimension_threshold_above_one", lambda: mt.pca_dimension(X, threshold=1.5),
         ValueError, "threshold"),
    case("twonn_estimator", lambda: mt.twonn(X, estimator="nope"), ValueError, "estimator"),
    case("twonn_discard_fraction", lambda: mt.twonn(X, discard_fraction=1.0), ValueError,
         "discard_fraction"),
    case("twonn_metric", lambda: mt.twonn(X, metric="manhattan"), ValueError, "metric"),
    case("twonn_nan", lambda: mt.twonn(NAN), ValueError, "NaN"),
    case("mle_k_one", lambda: mt.mle(X, k=1), ValueError, "k must be"),
    case("mle_average", lambda: mt.mle(X, k=5, average="mode"), ValueError, "average"),
    case("local_id_k_two", lambda: mt.local_intrinsic_dimension(X, k=2, progress=False),
         ValueError, "k must be"),
    case("local_id_estimator", lambda: mt.local_intrinsic_dimension(
        X, k=10, estimator="nope", progress=False), ValueError, "estimator"),
    case("hubness_k_zero", lambda: mt.hubness_skewness(X, k=0), ValueError, "k must be"),
    case("hubness_k_string", lambda: mt.hubness_skewness(X, k="5"), TypeError, "k must be"),
    case("hubness_k_too_large", lambda: mt.hubness_skewness(X, k=30), ValueError, "k=30"),
    case("hubness_graph_too_narrow", lambda: mt.hubness_skewness(graph(5), k=8), ValueError,
         "needs k=8"),
    case("hubness_graph_other_metric", lambda: mt.hubness_skewness(
        graph(5, "euclidean"), k=5), ValueError, "metric='euclidean'"),
    case("k_occurrence_metric", lambda: mt.k_occurrence(X, k=3, metric="l1"), ValueError,
         "metric"),
    case("hub_occurrence_hub_size", lambda: mt.hub_occurrence(X, k=3, hub_size=-1),
         ValueError, "hub_size"),
    case("hubs_hub_size_nan", lambda: mt.hubs(X, k=3, hub_size=np.nan), ValueError,
         "hub_size"),
    case("atkinson_epsilon", lambda: mt.atkinson_index(X, k=3, epsilon=-1), ValueError,
         "epsilon"),
    case("knn_error_labels_length", lambda: mt.knn_classification_error(X, LABELS[:5], k=3),
         ValueError, "labels"),
    case("knn_predictions_labels_2d", lambda: mt.knn_predictions(
        X, LABELS.reshape(12, 2), k=3), ValueError, "labels"),
    case("hubness_summary_hub_size", lambda: mt.hubness_summary(X, k=3, hub_size=0),
         ValueError, "hub_size"),
    case("local_scaling_k", lambda: mt.LocalScaling(k=0).fit(X), ValueError, "k must be"),
    case("mutual_proximity_method", lambda: mt.MutualProximity(method="nope").fit(X),
         ValueError, "method"),
    case("whitening_eps", lambda: mt.Whitening(eps=-1.0).fit(X), ValueError, "eps"),
    case("whitening_method", lambda: mt.Whitening(method="nope").fit(X), ValueError,
         "method"),
    case("reduce_hubness_method", lambda: mt.reduce_hubness(X, method="nope"), ValueError,
         "method"),
    case("retrieval_labels_length", lambda: mt.retrieval_scores(X, LABELS[:3]), ValueError,
         "labels"),
    case("retrieval_k_zero", lambda: mt.retrieval_scores(X, LABELS, k=0), ValueError,
         "k must be"),
    case("similarity_gold_shape", lambda: mt.similarity_correlation(X, np.eye(5)),
         ValueError, "gold must have shape"),
    case("similarity_gold_nan", lambda: mt.similarity_correlation(
        X, np.full((24, 24), np.nan)), ValueError, "gold"),
    case("task_scores_tasks", lambda: mt.task_scores(X, LABELS, tasks=("nope",)), ValueError,
         "tasks"),
    case("truncation_dims", lambda: mt.truncation_scores(X, dims=[1], labels=LABELS),
         ValueError, "dims"),
    case("mcnemar_lengths", lambda: st.mcnemar_test(np.ones(3, bool), np.ones(4, bool)),
         ValueError, "a and b"),
    case("mcnemar_not_bool", lambda: st.mcnemar_test(np.ones(3), np.ones(3)), ValueError,
         "a and b must be boolean"),
    case("clustering_n_clusters", lambda: mt.clustering_scores(X, LABELS, n_clusters=0),
         ValueError, "n_clusters"),
    case("subspace_projection_d", lambda: mt.subspace_projection(X, d=0), ValueError,
         "d must be"),
    case("subspace_projection_method", lambda: mt.subspace_projection(X, d=2, method="nope"),
         ValueError, "method"),
    case("chance_clustering_n_seeds", lambda: mt.chance_corrected_clustering(
        X, LABELS, n_seeds=0), ValueError, "n_seeds"),
    case("geometry_report_k", lambda: mt.geometry_report(X, k=0, progress=False), ValueError,
         "k must be"),
    case("layerwise_report_empty", lambda: mt.layerwise_report([]), ValueError,
         "layers is empty"),
    case("layerwise_report_2d", lambda: mt.layerwise_report(X), ValueError,
         r"layers must have shape \(n_layers, n, d\)"),
    case("dimensionwise_report_dims", lambda: mt.dimensionwise_report(X, dims=[0, 99]),
         ValueError, "dims must lie"),
    case("hubness_reduction_table_methods", lambda: mt.hubness_reduction_table(
        X, LABELS, methods=("nope",)), ValueError, "method must be"),
    case("geometry_report_labels", lambda: mt.geometry_report(
        X, k=3, mle_k=5, local_k=10, labels=[1, 2], progress=False), ValueError,
        "labels must have length"),
    case("geometry_report_n_resamples", lambda: mt.geometry_report(
        X, k=3, mle_k=5, local_k=10, ci=True, n_resamples=0, progress=False), ValueError,
        "n_resamples"),
    case("geometry_report_metric", lambda: mt.geometry_report(X, metric="nope",
                                                              progress=False), ValueError,
         "metric"),
    case("spearman_nan", lambda: mt.spearman_permutation_test(
        [1, 2, np.nan, 4], [1, 2, 3, 4], n_permutations=100), ValueError, "a holds"),
    case("spearman_lengths", lambda: mt.spearman_permutation_test([1, 2, 3], [1, 2, 3, 4]),
         ValueError, "a and b must be 1-D of the same length"),
    case("spearman_n_permutations", lambda: mt.spearman_permutation_test(
        [1, 2, 3, 4], [4, 3, 2, 1], n_permutations=5), ValueError, "n_permutations"),
    case("spearman_strings", lambda: mt.spearman_permutation_test(["x"] * 4, [1, 2, 3, 4]),
         TypeError, "a must be"),
    case("holm_2d", lambda: st.holm([[0.1, 0.2]]), ValueError, "p_values must be a 1-D"),
    case("holm_strings", lambda: st.holm(["low"]), TypeError, "p_values"),
    case("similarity_bootstrap_n", lambda: mt.similarity_bootstrap(
        [X, Y[:20]], np.eye(24), n_resamples=10), ValueError, "spaces must hold the same n"),
    case("similarity_bootstrap_one_array", lambda: mt.similarity_bootstrap(X, np.eye(24)),
         TypeError, "spaces must be a sequence"),
    case("similarity_bootstrap_nan_space", lambda: mt.similarity_bootstrap(
        [X, NAN], np.eye(24)), ValueError, r"spaces\[1\] contains NaN"),
    case("similarity_bootstrap_n_resamples", lambda: mt.similarity_bootstrap(
        [X], np.eye(24), n_resamples=0), ValueError, "n_resamples"),
    case("percentile_interval_confidence", lambda: st.percentile_interval(
        [1.0, 2.0], confidence=1.5), ValueError, "confidence"),
    case("percentile_interval_empty", lambda: st.percentile_interval([]), ValueError,
         "replicates"),
    case("bootstrap_p_no_finite", lambda: st.bootstrap_p_value([np.nan, np.inf]), ValueError,
         "differences"),
    case("bootstrap_p_2d", lambda: st.bootstrap_p_value(np.zeros((3, 2))), ValueError,
         "differences must be 1-D"),
    case("subsampling_ci_measure", lambda: mt.subsampling_ci("isoscore", X), TypeError,
         "measure must be a callable"),
    case("subsampling_ci_confidence", lambda: mt.subsampling_ci(mt.isoscore, X,
                                                                confidence=0), ValueError,
         "confidence"),
    case("subsampling_ci_n_resamples", lambda: mt.subsampling_ci(mt.isoscore, X,
                                                                 n_resamples=4), ValueError,
         "n_resamples"),
    case("subsampling_ci_nan", lambda: mt.subsampling_ci(mt.isoscore, NAN), ValueError,
         "X contains NaN"),
    case("subsampling_halves_measure", lambda: mt.subsampling_halves(None, X), TypeError,
         "measure"),
    case("bootstrap_ci_measure", lambda: st.bootstrap_ci(42, X), TypeError, "measure"),
    case("bootstrap_ci_confidence", lambda: st.bootstrap_ci(np.mean, X, confidence=1.0),
         ValueError, "confidence"),
    case("complementary_interval_confidence", lambda: rs.complementary_interval(
        1.0, [1, 2, 3], [1, 2, 2], n=10, confidence=2), ValueError, "confidence"),
    case("complementary_interval_n", lambda: rs.complementary_interval(
        1.0, [1, 2, 3], [1, 2, 2], n=1), ValueError, "n must be"),
    case("subsampling_interval_m", lambda: rs.subsampling_interval(1.0, [1, 2, 3], n=10, m=10),
         ValueError, "m must satisfy"),
    case("subsampling_interval_confidence", lambda: rs.subsampling_interval(
        1.0, [1, 2, 3], n=10, confidence=-1), ValueError, "confidence"),
    case("half_samples_n", lambda: st.half_samples(1, 5),
         ValueError, "n must be"),
    case("complementary_halves_n_pairs", lambda: rs.complementary_halves(
        10, -1, np.random.default_rng(0)), ValueError, "n_pairs"),
    case("wilson_confidence", lambda: st.wilson_interval(1, 3, confidence=1.0),
         ValueError, "confidence"),
    case("wilson_string", lambda: st.wilson_interval("3", 5), TypeError, "successes"),
    case("wilson_nan_trials", lambda: st.wilson_interval(1, np.nan), ValueError, "trials"),
    case("wilson_shapes", lambda: st.wilson_interval([1, 2], [3, 4, 5]), ValueError,
         "successes and trials"),
]

# ------------------------------------------------------------------ drift
DRIFT = [
    case("mmd_a_1d", lambda: dr.mmd_test(X[:, 0], Y, progress=False), ValueError,
         "a must be 2-D"),
    case("mmd_b_nan", lambda: dr.mmd_test(X, NAN, progress=False), ValueError,
         "b contains NaN"),
    case("mmd_dimensions", lambda: dr.mmd_test(X, Y[:, :3], progress=False), ValueError,
         "a and b must have the same dimension"),
    case("mmd_b_too_small", lambda: dr.mmd_test(X, Y[:3], progress=False), ValueError,
         "b needs at least 5"),
    case("mmd_n_permutations", lambda: dr.mmd_test(X, Y, n_permutations=0, progress=False),
         ValueError, "n_permutations"),
    case("mmd_n_resamples", lambda: dr.mmd_test(X, Y, n_resamples=-1, progress=False),
         ValueError, "n_resamples"),
    case("mmd_confidence", lambda: dr.mmd_test(X, Y, confidence=1.0, progress=False),
         ValueError, "confidence"),
    case("mmd_bandwidth_negative", lambda: dr.mmd_test(X, Y, bandwidth=-1.0, progress=False),
         ValueError, "bandwidth must be a positive"),
    case("mmd_bandwidth_nan", lambda: dr.mmd_test(X, Y, bandwidth=np.nan, progress=False),
         ValueError, "bandwidth"),
    case("mmd_bandwidth_inf", lambda: dr.mmd_test(X, Y, bandwidth=np.inf, progress=False),
         ValueError, "bandwidth"),
    case("mmd_bandwidth_string", lambda: dr.mmd_test(X, Y, bandwidth="1", progress=False),
         TypeError, "bandwidth"),
    case("mmd_block", lambda: dr.mmd_test(X, Y, block=0, progress=False), ValueError,
         "block"),
    case("energy_confidence", lambda: dr.energy_test(X, Y, confidence=0, progress=False),
         ValueError, "confidence"),
    case("energy_n_permutations_float", lambda: dr.energy_test(
        X, Y, n_permutations=10.5, progress=False), TypeError, "n_permutations"),
    case("mmd2_unbiased_bandwidth", lambda: dr.mmd2_unbiased(X, Y, bandwidth=0), ValueError,
         "bandwidth"),
    case("mmd2_unbiased_block", lambda: dr.mmd2_unbiased(X, Y, block=-2), ValueError,
         "block"),
    case("mmd_witness_bandwidth", lambda: dr.mmd_witness(X, Y, bandwidth=-2.0), ValueError,
         "bandwidth"),
    case("permutation_p_null_2d", lambda: st.permutation_p_value(1.0, np.zeros((2, 2))),
         ValueError, "null must be a non-empty 1-D"),
    case("permutation_p_observed_string", lambda: st.permutation_p_value("1", [1.0]),
         TypeError, "observed"),
    case("centroid_shift_n_permutations", lambda: dr.centroid_shift(X, Y, n_permutations=0),
         ValueError, "n_permutations"),
    case("centroid_shift_confidence", lambda: dr.centroid_shift(X, Y, confidence=1.5),
         ValueError, "confidence"),
    case("depth_test_n_resamples", lambda: dr.depth_test(X, Y, n_resamples=-5), ValueError,
         "n_resamples"),
    case("depth_test_a_inf", lambda: dr.depth_test(INF, Y), ValueError, "a contains NaN"),
    case("classifier_n_folds", lambda: dr.classifier_test(X, Y, n_folds=1, progress=False),
         ValueError, "n_folds"),
    case("classifier_C_negative", lambda: dr.classifier_test(X, Y, C=-1.0, progress=False),
         ValueError, "C must be"),
    case("classifier_C_string", lambda: dr.classifier_test(X, Y, C="1", progress=False),
         TypeError, "C must be"),
    case("classifier_confidence_C", lambda: dr.classifier_confidence(X, Y, C=0), ValueError,
         "C must be"),
    case("classifier_confidence_n_folds", lambda: dr.classifier_confidence(X, Y, n_folds=0),
         ValueError, "n_folds"),
    case("drifted_dimensions_alpha", lambda: dr.drifted_dimensions(X, Y, alpha=0), ValueError,
         "alpha"),
    case("dimension_drift_dimensions", lambda: dr.dimension_drift(X, Y[:, :2]), ValueError,
         "same dimension"),
    case("depth_outliers_quantile", lambda: dr.depth_outliers(X, Y, quantile=1.0),
         ValueError, "quantile"),
    case("tte_depth_reference_rows", lambda: dr.tte_depth(X, reference=Y[:1]), ValueError,
         "reference needs at least 2"),
    case("tte_depth_zero_row", lambda: dr.tte_depth(_with(0.0, 2, slice(None))), ValueError,
         "X has zero row"),
    case("knn_overlap_k", lambda: dr.knn_overlap(X, Y, k=0), ValueError, "k must be"),
    case("knn_overlap_metric", lambda: dr.knn_overlap(X, Y, k=3, metric="nope"), ValueError,
         "metric"),
    case("linear_cka_rows", lambda: dr.linear_cka(X, Y[:10]), ValueError, "rows"),
    case("procrustes_nan", lambda: dr.procrustes_error(X, NAN), ValueError, "b contains NaN"),
    case("relative_representation_anchors", lambda: dr.relative_representation(X, NAN),
         ValueError, "anchors contains NaN"),
    case("relative_agreement_anchor_rows", lambda: dr.relative_agreement(X, Y, [0, 99]),
         ValueError, "anchor_rows"),
    case("linear_map_ridge", lambda: dr.LinearMap(ridge=-1.0).fit(X, Y), ValueError, "ridge"),
    case("linear_compensation_train_fraction", lambda: dr.linear_compensation(
        X, Y, train_fraction=1.0), ValueError, "train_fraction"),
    case("compare_models_arrays", lambda: dr.compare_models(X, Y, progress=False), TypeError,
         "a must be an EmbeddingSet"),
    case("compare_models_n_anchors", lambda: dr.compare_models(
        embedding_set(), embedding_set(Y), n_anchors=0, progress=False), ValueError,
        "n_anchors"),
    case("compare_models_confidence", lambda: dr.compare_models(
        embedding_set(), embedding_set(Y), confidence=2, progress=False), ValueError,
        "confidence"),
    case("zero_shot_labels_length", lambda: dr.zero_shot_stitching(X, Y, LABELS[:5]),
         ValueError, "labels"),
    case("zero_shot_C", lambda: dr.zero_shot_stitching(X, Y, LABELS, n_anchors=4, C=-1.0),
         ValueError, "C must be"),
    case("relative_retrieval_k", lambda: dr.relative_retrieval(X, Y, [0, 1, 2], [3, 4, 5],
                                                               k=0), ValueError, "k must be"),
    case("relative_retrieval_query_rows", lambda: dr.relative_retrieval(X, Y, [0, 1, 2],
                                                                        [3, 99]), ValueError,
         "query_rows"),
    case("shuffled_anchor_n_permutations", lambda: dr.shuffled_anchor_agreement(
        X, Y, [0, 1, 2], n_permutations=0), ValueError, "n_permutations"),
    case("supervised_alignment_d", lambda: dr.supervised_alignment(X, Y, d=0), ValueError,
         "d must be"),
    case("random_alignment_d", lambda: dr.random_alignment(X, Y, d=-1), ValueError,
         "d must be"),
    case("unsupervised_alignment_max_steps", lambda: dr.unsupervised_alignment(
        np.r_[X, Y], np.r_[Y, X], d=(2,), max_steps=0, progress=False), ValueError, "max_steps"),
    case("unsupervised_alignment_too_few_rows", lambda: dr.unsupervised_alignment(
        X, Y, d=(2,), progress=False), ValueError, "a needs at least"),
    case("translation_scores_n_resamples", lambda: dr.translation_scores(X, Y, n_resamples=0),
         ValueError, "n_resamples"),
    case("two_sample_table_tests", lambda: dr.two_sample_table(X, Y, tests=("nope",),
                                                               progress=False), ValueError,
         "tests must be one of"),
    case("two_sample_table_alpha", lambda: dr.two_sample_table(X, Y, alpha=1.0,
                                                               progress=False), ValueError,
         "alpha"),
    case("drift_over_time_time_column", lambda: dr.drift_over_time(
        embedding_set(), time_column="year", progress=False), ValueError,
        "time_column='year' is not a column"),
    case("drift_over_time_array", lambda: dr.drift_over_time(X, progress=False), TypeError,
         "data must be an EmbeddingSet"),
]

# ------------------------------------------------------------------ neighbors
NEIGHBORS = [
    case("knn_k_zero", lambda: nb.knn_graph(X, k=0, progress=False), ValueError, "k must be"),
    case("knn_k_string", lambda: nb.knn_graph(X, k="3", progress=False), TypeError,
         "k must be"),
    case("knn_k_at_n", lambda: nb.knn_graph(X, k=24, progress=False), ValueError,
         "k=24 needs at least k"),
    case("knn_metric", lambda: nb.knn_graph(X, metric="dot", progress=False), ValueError,
         "metric must be one of"),
    case("knn_method", lambda: nb.knn_graph(X, method="annoy", progress=False), ValueError,
         "method must be one of"),
    case("knn_nan", lambda: nb.knn_graph(NAN, k=3, progress=False), ValueError,
         "X contains NaN"),
    case("knn_one_row", lambda: nb.knn_graph(X[:1], k=1, progress=False), ValueError,
         "X needs at least 2"),
    case("knn_random_state", lambda: nb.knn_graph(X, k=3, random_state=-1, progress=False),
         ValueError, "random_state"),
    case("check_graph_not_a_graph", lambda: nb.check_knn_graph(X, 5, "cosine", "test"),
         TypeError, "graph must be a KNNGraph"),
    case("check_graph_metric", lambda: nb.check_knn_graph(graph(), 5, "euclidean", "test"),
         ValueError, "metric='cosine' but test was asked for metric='euclidean'"),
    case("check_graph_k", lambda: nb.check_knn_graph(graph(), 9, "cosine", "test"),
         ValueError, "holds k=5 neighbour.*needs k=9"),
    case("check_graph_other_x", lambda: nb.check_knn_graph(graph(), 5, "cosine", "test",
                                                           X=Y), ValueError,
         "X does not match the KNNGraph"),
    case("at_k_zero", lambda: graph().at_k(0), ValueError, "k must be"),
    case("at_k_above", lambda: graph().at_k(6), ValueError, "k=6 exceeds the graph's k=5"),
    case("as_knn_graph_data_strings", lambda: nb.as_knn_graph([["a"]], 3, "test"), TypeError,
         "data must be a numeric array"),
    case("as_knn_graph_k", lambda: nb.as_knn_graph(X, 0, "test"), ValueError, "k must be"),
    case("exact_knn_rows_out_of_range", lambda: nb.exact_knn_rows(X, [0, 99], k=3),
         ValueError, "rows must be"),
    case("subgraph_rows_repeated", lambda: nb.subgraph(graph(), [1, 1, 2, 3], 2, X),
         ValueError, "rows must be distinct"),
    case("subgraph_rows_out_of_range", lambda: nb.subgraph(graph(), [0, 1, 99], 1, X),
         ValueError, r"rows must lie in \[0, 24\)"),
    case("subgraph_rows_float", lambda: nb.subgraph(graph(), [0.5, 1.5], 1, X), TypeError,
         "rows must be"),
    case("subgraph_not_a_graph", lambda: nb.subgraph(X, [0, 1, 2], 1, X), TypeError,
         "graph must be a KNNGraph"),
    case("recall_not_a_graph", lambda: nb.recall_at_k(graph(), X), TypeError,
         "exact must be a KNNGraph"),
    case("recall_approx_sample", lambda: nb.recall_at_k(
        nb.exact_knn_rows(X, [0, 1, 2], k=3), graph()), ValueError,
        "covers a sample"),
]

# ------------------------------------------------------------------ selection
SELECTION = [
    case("selection_n_float", lambda: Selection([0], n=2.5), TypeError, "n must be"),
    case("selection_rows_2d", lambda: Selection([[0, 1]], n=3), TypeError, "rows must be"),
    case("selection_rows_strings", lambda: Selection(["0"], n=3), TypeError, "rows must be"),
    case("combine_mode", lambda: Selection([0], 3).combine(Selection([1], 3), "xor"),
         ValueError, "mode must be one of"),
    case("combine_other_n", lambda: Selection([0], 3).combine(Selection([1], 4), "add"),
         ValueError, "3 and 4 points"),
    case("combine_not_a_selection", lambda: Selection([0], 3).combine([1, 2], "add"),
         TypeError, "other must be a Selection"),
    case("table_meta_rows", lambda: Selection([0], 3).rows_table(pd.DataFrame({"a": [1, 2]})),
         ValueError, "meta has 2 rows"),
    case("table_meta_type", lambda: Selection([0], 3).rows_table([1, 2, 3]), TypeError,
         "meta must be a pandas DataFrame"),
    case("polygon_xs_nan", lambda: Selection.from_polygon(COORDS, [0, np.nan, 1], [0, 1, 0]),
         ValueError, "xs must be finite"),
    case("polygon_ys_2d", lambda: Selection.from_polygon(COORDS, [0, 1, 1], [[0, 1, 0]]),
         ValueError, "ys must be a 1-D"),
    case("polygon_coords_strings", lambda: Selection.from_polygon([["a", "b"]], [0, 1, 1],
                                                                  [0, 1, 0]), TypeError,
         "coords must be numbers"),
    case("box_bounds_nan", lambda: Selection.from_box(COORDS, (0, 0, np.nan, 1)), ValueError,
         "bounds must be finite"),
    case("composition_alpha_zero", lambda: composition(["a", "b"], [0], alpha=0), ValueError,
         "alpha"),
    case("composition_rows_float", lambda: composition(["a", "b"], [0.5]), TypeError, "rows"),
    case("composition_mask_length", lambda: composition(["a", "b"], [True]), ValueError,
         "rows as a boolean mask"),
    case("composition_values_2d", lambda: composition([["a", "b"]], [0]), ValueError,
         "values must be a 1-D"),
]

# ------------------------------------------------------------------ landscape
LANDSCAPE = [
    case("lof_k_zero", lambda: ls.local_outlier_factor(graph(), 0), ValueError, "k must be"),
    case("lof_not_a_graph", lambda: ls.local_outlier_factor(X, 3), TypeError,
         "graph must be a KNNGraph"),
    case("lof_corrupt_graph", lambda: ls.local_outlier_factor(
        forged(indices=graph().indices + 100), 3), ValueError, r"graph\.indices must lie"),
    case("outliers_share", lambda: ls.outliers(X, share=0, progress=False), ValueError,
         "share"),
    case("outliers_k", lambda: ls.outliers(X, k=0, progress=False), ValueError, "k must be"),
    case("outliers_texts", lambda: ls.outliers(X, k=3, texts=["a"], progress=False),
         ValueError, "texts has 1 items"),
    case("outliers_metric", lambda: ls.outliers(X, metric="nope", progress=False), ValueError,
         "metric"),
    case("outliers_graph_other_points", lambda: ls.outliers(Y, k=3, graph=graph(),
                                                            progress=False), ValueError,
         "X does not match the KNNGraph"),
    case("duplicates_threshold", lambda: ls.duplicates(X, threshold=-1, progress=False),
         ValueError, "threshold"),
    case("duplicates_nan", lambda: ls.duplicates(NAN, progress=False), ValueError, "NaN"),
    case("leakage_dimensions", lambda: ls.leakage(X, Y[:, :3], progress=False), ValueError,
         "same dimension"),
    case("leakage_threshold", lambda: ls.leakage(X, Y, threshold=np.nan, progress=False),
         ValueError, "threshold"),
    case("map_trust_coords_rows", lambda: ls.map_trust(X, COORDS[:10], k=3, progress=False),
         ValueError, "coords"),
    case("map_trust_n_reference", lambda: ls.map_trust(X, COORDS, k=3, n_reference=0,
                                                       progress=False), ValueError,
         "n_reference"),
    case("map_trust_rows", lambda: ls.map_trust(X, COORDS, k=3, rows=[0, 99],
                                                progress=False), ValueError, "rows must lie"),
    case("regions_resolutions", lambda: ls.regions(X, k=3, resolutions=[0], progress=False),
         ValueError, "resolutions"),
    case("regions_k", lambda: ls.regions(X, k=0, progress=False), ValueError, "k must be"),
    case("regions_coords", lambda: ls.regions(X, coords=COORDS[:5], k=3, progress=False),
         ValueError, "coords must have shape"),
    case("region_card_rows_too_few", lambda: ls.region_card(X, [1, 2], ci=False,
                                                            progress=False), ValueError,
         "rows must hold at least 5"),
    case("region_card_rows_float", lambda: ls.region_card(X, np.arange(8) + 0.5, ci=False,
                                                          progress=False), TypeError, "rows"),
    case("region_card_n_examples", lambda: ls.region_card(
        X, np.arange(8), n_examples=0, ci=False, progress=False), ValueError, "n_examples"),
    case("region_card_columns_of_array", lambda: ls.region_card(
        X, np.arange(8), columns=("topic",), ci=False, progress=False), ValueError,
        r"columns \['topic'\].*data is an array"),
]

# ------------------------------------------------------------------ SAE helpers (no training)
SAE = [
    case("bh_2d", lambda: st.benjamini_hochberg(np.full((2, 2), 0.5)), ValueError,
         "p_values must be a 1-D"),
    case("bh_scalar", lambda: st.benjamini_hochberg(0.5), ValueError, "p_values must be"),
    case("two_proportion_n_zero", lambda: st.two_proportion_test(0, 0, 1, 3), ValueError,
         "n_a"),
    case("two_proportion_negative_x", lambda: st.two_proportion_test(-1, 3, 1, 3),
         ValueError, "x_a"),
    case("two_proportion_fractional_x", lambda: st.two_proportion_test(1, 3, 0.5, 3),
         ValueError, "x_b"),
    case("two_proportion_n_float", lambda: st.two_proportion_test(1, 3.5, 1, 3), TypeError,
         "n_a"),
    case("two_proportion_shapes", lambda: st.two_proportion_test([1, 2], 3, [1, 2, 0], 3),
         ValueError, "x_a and x_b"),
    case("distinctive_words_method", lambda: sae.distinctive_words(["a b"], [[0]],
                                                                   method="tfidf"),
         ValueError, "method"),
    case("distinctive_words_n_words", lambda: sae.distinctive_words(["a b"], [[0]],
                                                                    n_words=0),
         ValueError, "n_words"),
    case("distinctive_words_prior_scale", lambda: sae.distinctive_words(
        ["a b"], [[0]], prior_scale=0), ValueError, "prior_scale"),
    case("distinctive_words_group_floats", lambda: sae.distinctive_words(["a b"], [[0.5]]),
         TypeError, r"groups\[0\]"),
    case("presence_diff_features", lambda: sae.presence_diff(np.ones((3, 2)), np.ones((3, 3))),
         ValueError, "a has 2 features but b has 3"),
    case("presence_diff_type", lambda: sae.presence_diff([[1, 0]], np.ones((3, 2))),
         TypeError, "a must be a 2-D sparse matrix"),
    case("concept_correlations_min_count", lambda: sae.concept_correlations(
        np.ones((3, 2)), min_count=0), ValueError, "min_count"),
    case("retrieve_features", lambda: sae.retrieve(np.ones((3, 2)), [5]), ValueError,
         "features must lie"),
    case("retrieve_weights", lambda: sae.retrieve(np.ones((3, 2)), [0, 1], weights=[1.0]),
         ValueError, "weights"),
]

def stub_sae(d_in: int = 4, d_sae: int = 6):
    """A ConceptSAE around a stand-in for the sae-lens model: enough for the checks at the door
    of ``feature_table`` (which refuse before any encoding), no training."""
    from types import SimpleNamespace

    from embviz.sae.model import ConceptSAE

    cfg = SimpleNamespace(d_in=d_in, d_sae=d_sae, architecture=lambda: "topk")
    return ConceptSAE(sae=SimpleNamespace(cfg=cfg), mean=np.zeros(d_in, np.float32), scale=1.0,
                      record=None, provenance={"source": "embeddings"})


CODES = np.zeros((24, 6), np.float32)

SAE += [
    case("feature_table_unknown_label_column", lambda: sae.feature_table(
        stub_sae(), embedding_set(), label_column="nope", codes=CODES, progress=False),
        ValueError, r"label_column='nope' is not a column of data.*\['id', 'text', 'label'\]"),
    case("feature_table_features_out_of_range", lambda: sae.feature_table(
        stub_sae(), embedding_set(), features=[0, 9], codes=CODES, progress=False),
        ValueError, r"features must lie in \[0, 6\)"),
    case("feature_table_n_words", lambda: sae.feature_table(
        stub_sae(), embedding_set(), n_words=0, codes=CODES, progress=False), ValueError,
        "n_words"),
    case("feature_table_method", lambda: sae.feature_table(
        stub_sae(), embedding_set(), method="bm25", codes=CODES, progress=False), ValueError,
        "method"),
    case("feature_table_codes_shape", lambda: sae.feature_table(
        stub_sae(), embedding_set(), codes=CODES[:5], progress=False), ValueError,
        "codes has shape"),
    case("feature_table_not_an_sae", lambda: sae.feature_table(
        "sae", embedding_set(), codes=CODES, progress=False), TypeError,
        "sae must be a ConceptSAE"),
]

# ------------------------------------------------------------------ encoder (no model loaded)
ENCODER = [
    case("encoder_max_length", lambda: _encoder(max_length=0), ValueError, "max_length"),
    case("encoder_max_length_above_limit", lambda: _encoder(max_length=10_000), ValueError,
         "max_length=10000 exceeds"),
    case("encoder_batch_size", lambda: _encoder(batch_size=0), ValueError, "batch_size"),
    case("encoder_pooling", lambda: _encoder(pooling="median"), ValueError, "pooling"),
    case("encoder_layer", lambda: _encoder(layer=99), ValueError, "layer=99 is out of range"),
    case("encoder_prompt", lambda: _encoder(prompt=3), TypeError, "prompt must be a string"),
    case("encode_none_text", lambda: _encoder().encode(["fine", None]), ValueError,
         r"texts must hold non-empty strings.*\[1\]=None"),
    case("encode_single_string", lambda: _encoder().encode("one text"), TypeError,
         "texts must be a sequence"),
    case("encode_layers_empty", lambda: _encoder().encode_layers(["a"], layers=[]),
         ValueError, "layers is empty"),
]


def _encoder(**kwargs):
    from embviz.embed import Encoder

    return Encoder("minilm", device="cpu", progress=False, **kwargs)


CASES = FOUND + METRICS + DRIFT + NEIGHBORS + SELECTION + LANDSCAPE + SAE + ENCODER


@pytest.mark.parametrize("call, error, match", CASES)
def test_bad_input_is_refused_naming_the_argument(call, error, match):
    with pytest.raises(error, match=match):
        call()


# ------------------------------------------------------------------ files
@pytest.fixture(scope="module")
def files(tmp_path_factory):
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder = tmp_path_factory.mktemp("bad_files")
    paths = {}
    big = [[1.0, 2.0], [3.0, 4e38]]  # 4e38 is finite in float64, beyond float32's 3.4e38
    paths["overflow"] = folder / "overflow.parquet"
    pq.write_table(pa.table({"text": ["a", "b"], "emb": big}), paths["overflow"])
    paths["overflow_chunks"] = folder / "overflow_chunks.parquet"
    pq.write_table(pa.table({"text": ["a", "b", "c", "d"],
                             "emb": [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0], [7.0, -1e39]]}),
                   paths["overflow_chunks"], row_group_size=2)
    paths["good"] = folder / "good.parquet"
    pq.write_table(pa.table({"text": ["a", "b"], "emb": [[1.0, 0.0], [0.0, 1.0]]}),
                   paths["good"])
    paths["text_npy"] = folder / "x.npy"
    paths["text_npy"].write_text("this is not an array\n")
    paths["object_npy"] = folder / "objects.npy"
    np.save(paths["object_npy"], np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
    paths["vector_1d"] = folder / "one_d.npy"
    np.save(paths["vector_1d"], np.ones(3, np.float32))
    paths["npy_overflow"] = folder / "big.npy"
    np.save(paths["npy_overflow"], np.array([[1.0, 2.0], [1e39, 0.0]]))
    paths["csv"] = folder / "vectors.csv"
    paths["csv"].write_text("a,b\n1,2\n")
    paths["bad_parquet"] = folder / "broken.parquet"
    paths["bad_parquet"].write_bytes(b"PAR1 not really")
    paths["folder"] = folder
    paths["empty"] = folder / "empty"
    paths["empty"].mkdir()
    return paths


META = pd.DataFrame({"text": ["a", "b"]})

FILE_CASES = [
    case("vector_file_overflow", lambda f: src.read_vector_file(f["overflow"]), ValueError,
         r"overflow\.parquet: 'emb' holds values beyond float32's range .* rows \[1\]"),
    case("vector_file_overflow_streamed", lambda f: src.read_vector_file(
        f["overflow_chunks"], mmap_path=f["overflow_chunks"].with_suffix(".npy")), ValueError,
        r"overflow_chunks\.parquet: 'emb' holds values beyond float32's range .* rows \[3\]"),
    case("vector_file_column", lambda f: src.read_vector_file(f["good"], vector_column="nope"),
         ValueError, "nope"),
    case("vector_file_text_column", lambda f: src.read_vector_file(f["good"],
                                                                   text_column="body"),
         ValueError, "text_column='body' is not a column"),
    case("vector_file_suffix", lambda f: src.read_vector_file(f["csv"]), ValueError,
         r"vectors\.csv"),
    case("vector_file_missing", lambda f: src.read_vector_file(f["good"].with_name(
        "absent.parquet")), FileNotFoundError, "absent.parquet"),
    case("vector_file_not_parquet", lambda f: src.read_vector_file(f["bad_parquet"]),
         ValueError, r"broken\.parquet is not a readable Parquet file"),
    case("npy_text_file", lambda f: src.open_npy(f["text_npy"], META), ValueError,
         r"x\.npy is not a NumPy \.npy array file"),
    case("npy_object_array", lambda f: src.open_npy(f["object_npy"], META), ValueError,
         r"objects\.npy is not a plain numeric \.npy array: it holds Python objects"),
    case("npy_1d", lambda f: src.open_npy(f["vector_1d"], META), ValueError,
         r"one_d\.npy must hold numbers of shape \(n, d\)"),
    case("npy_overflow", lambda f: src.open_npy(f["npy_overflow"], META), ValueError,
         r"big\.npy: 'vectors' holds values beyond float32's range"),
    case("npy_meta_rows", lambda f: src.open_npy(f["npy_overflow"],
                                                 pd.DataFrame({"text": ["a"]})), ValueError,
         "2 vectors but 1 metadata rows"),
    case("npy_suffix", lambda f: src.open_npy(f["csv"], META), ValueError,
         r"cannot memory-map vectors\.csv"),
    case("vector_file_path_type", lambda f: src.read_vector_file(42), TypeError,
         "path must be a file path"),
    case("npy_path_type", lambda f: src.open_npy(None, META), TypeError,
         "path must be a file path"),
    case("chroma_missing_folder", lambda f: src.read_chroma(f["folder"] / "absent", "c"),
         FileNotFoundError, "path='.*absent': there is no Chroma database folder"),
    case("chroma_folder_of_something_else", lambda f: src.read_chroma(f["empty"], "c"),
         ValueError, "is not a Chroma database folder"),
    case("lancedb_missing_folder", lambda f: src.read_lancedb(f["folder"] / "absent", "t"),
         FileNotFoundError, "uri='.*absent': there is no LanceDB database folder"),
]


@pytest.mark.parametrize("call, error, match", FILE_CASES)
def test_bad_files_are_refused_naming_the_file(files, call, error, match):
    if "chroma" in match.lower() or "lancedb" in match.lower():
        pytest.importorskip("chromadb" if "chroma" in match.lower() else "lancedb")
    with pytest.raises(error, match=match):
        call(files)
    # reading creates nothing: no database appears where there was none
    assert not (files["folder"] / "absent").exists()
    assert not any(files["empty"].iterdir())


# ------------------------------------------------------------------ what is accepted instead
def test_a_boolean_mask_is_read_as_a_mask():
    """True/False were read as rows 1/0 before; a mask of length n now selects its rows."""
    mask = np.array([True, False, True, False])
    assert Selection(mask, n=4).rows.tolist() == [0, 2]
    assert Selection(np.array([], dtype=np.int64), n=0).rows.tolist() == []
    table = composition(["a", "b", "a", "b"], mask)
    assert table.set_index("value").loc["a", "n_selected"] == 2


def test_p_values_in_range_are_adjusted_alike_by_holm_and_bh():
    p = [0.01, 0.04, 0.03, 1.0, 0.0]
    assert st.holm(p).round(3).tolist() == [0.04, 0.09, 0.09, 1.0, 0.0]
    assert st.benjamini_hochberg(p).round(4).tolist() == [0.025, 0.05, 0.05, 1.0, 0.0]
    assert st.benjamini_hochberg([]).size == 0 and st.holm([]).size == 0


def test_counts_that_are_whole_floats_are_accepted():
    interval = st.wilson_interval(np.array([3.0, 0.0]), np.array([10, 10]))
    assert (interval.ci_low <= interval.ci_high).all() and interval.ci_low[1] == 0.0
    z, p = st.two_proportion_test(np.array([3.0, 0.0]), 10, np.array([1, 0]), 12)
    assert p[1] == 1.0 and z[0] > 0


def test_missing_texts_have_no_words():
    """A missing text (None, NaN: rows an EmbeddingSet keeps aligned) counts as an empty one."""
    texts = ["zebra runs", None, "zebra sleeps", float("nan"), "cat runs", "dog sleeps"]
    assert sae.distinctive_words(texts, [[0, 2]], n_words=1) == [["zebra"]]
    assert sae.distinctive_words(texts, [[1, 3]], n_words=1) == [[]]


@pytest.mark.filterwarnings("ignore:calibrated_twonn")
def test_region_card_default_columns_use_those_present():
    card = ls.region_card(X, np.arange(8), ci=False, n_permutations=20, n_resamples=10,
                          progress=False)  # an array: no metadata, no composition
    assert card.composition.empty


def test_graph_contents_are_accepted_when_valid():
    g = graph()
    assert nb.check_knn_graph(g, 5, "cosine", "test") is g
    assert nb.check_knn_graph(g, 5, None, "test") is g
    sample = nb.exact_knn_rows(X, [0, 5, 9], k=3)
    assert nb.recall_at_k(g, sample) == 1.0
    assert ls.local_outlier_factor(g, 5).shape == (24,)


def test_hnsw_m_zero_raises_instead_of_aborting_the_interpreter():
    """faiss aborts (SIGABRT) on M = 0 and crashes on M = 1: a subprocess, so that a missing
    check fails this test instead of killing the test run."""
    code = textwrap.dedent("""
        import numpy as np
        from embviz.neighbors import knn_graph
        X = np.random.default_rng(0).normal(size=(50, 4))
        for m in (0, 1):
            try:
                knn_graph(X, k=3, method="approximate", hnsw_m=m, progress=False)
            except ValueError as err:
                assert "hnsw_m" in str(err), err
            else:
                raise SystemExit(f"hnsw_m={m} was accepted")
        print("refused")
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, (done.returncode, done.stderr[-2000:])
    assert done.stdout.strip() == "refused"


def test_a_region_that_is_the_whole_corpus_gets_no_concepts_instead_of_a_crash():
    """Its two-proportion test against "the rest" had n_b = 0 (ZeroDivisionError before)."""
    import scipy.sparse as sp

    presence = sp.csr_matrix((RNG.random((24, 6)) > 0.5).astype(float))
    found = ls.regions(X, k=3, resolutions=[1e-9], concepts=presence,
                       texts=["zebra runs"] * 24, progress=False)
    assert len(found.regions) == 1 and found.regions["top_concepts"].iloc[0] == []


def test_feature_table_skips_the_default_label_column_when_absent_and_reads_missing_texts():
    """The default ``label_column="label"`` on data without labels: no association (as
    documented); a missing text (kept aligned by the sources) has no words instead of
    crashing the word scorer."""
    codes = np.zeros((24, 6), np.float32)
    codes[:12, 0], codes[12:, 1] = 1.0, 2.0
    meta = pd.DataFrame({"id": [str(i) for i in range(24)],
                         "text": ["zebra runs" if i < 12 else None for i in range(24)]})
    table = sae.feature_table(stub_sae(), EmbeddingSet(X.astype(np.float32), meta),
                              codes=codes, progress=False)
    assert table["feature"].tolist() == [0, 1]
    assert table["best_label"].isna().all() and table["f1"].isna().all()
