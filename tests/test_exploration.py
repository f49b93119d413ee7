"""The explorer's shared state and decisions, on real minilm embeddings of WordNet glosses."""

import json
import re

import numpy as np
import pandas as pd
import pytest

from embviz import EmbeddingSet
from embviz._files import job_key
from embviz._tables import display_name
from embviz.exploration import (
    MAX_TEST_ROWS,
    POINT_MEASURES,
    Exploration,
)


@pytest.fixture(scope="module")
def wordnet_set():
    from embviz import embed_corpus, load_dataset

    corpus = load_dataset("wordnet", n=300, random_state=3)
    return embed_corpus(corpus, model="minilm", device="cpu", progress=False)


@pytest.fixture
def exploration(wordnet_set, tmp_path):
    return Exploration(wordnet_set, progress=False, map_cache=tmp_path / "maps")


def _unit(vectors):
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def _with_meta(data: EmbeddingSet, **columns) -> EmbeddingSet:
    """The same real vectors with extra metadata columns (and no model provenance)."""
    return EmbeddingSet(data.vectors, data.meta.assign(**columns))


@pytest.fixture
def bare(wordnet_set):
    """The same vectors with only ``id`` and ``text``: no label, no other column."""
    return Exploration(EmbeddingSet(wordnet_set.vectors, wordnet_set.meta[["id", "text"]]),
                       progress=False, map_cache=False)


def test_one_cosine_graph_serves_map_and_measures(exploration, wordnet_set):
    from embviz.neighbors import check_knn_graph

    exploration.measure("k_occurrence")
    graph = exploration.graph(10)
    exploration.coords("umap")
    assert exploration.graph(14) is graph  # reused, not rebuilt
    assert graph.metric == "cosine" and graph.k == 30
    check_knn_graph(graph, 30, "cosine", "test", X=wordnet_set.vectors)  # the raw vectors'
    cos = _unit(wordnet_set.vectors.astype(np.float64)) @ _unit(
        wordnet_set.vectors.astype(np.float64)).T
    np.testing.assert_allclose(graph.distances[:, 0], 1 - np.sort(cos, axis=1)[:, -2],
                               atol=1e-5)  # cosine distances 1 - cos
    assert exploration.measure("k_occurrence").sum() == len(exploration) * 10


def test_map_is_cached_on_disk_and_corruption_is_rebuilt(wordnet_set, tmp_path, monkeypatch):
    first = Exploration(wordnet_set, progress=False, map_cache=tmp_path)
    coords = first.coords("umap")
    [cached] = tmp_path.glob("*.npy")
    record = json.loads(cached.with_suffix(".json").read_text())
    assert record["metric"] == "cosine" and record["format"] == 2
    assert cached.stem == job_key({k: v for k, v in record.items() if k != "sha256"})
    second = Exploration(wordnet_set, progress=False, map_cache=tmp_path)
    monkeypatch.setattr(second, "_compute_map", lambda *a: pytest.fail("recomputed"))
    np.testing.assert_array_equal(second.coords("umap"), coords)
    cached.write_bytes(cached.read_bytes()[:-16])  # truncated file
    third = Exploration(wordnet_set, progress=False, map_cache=tmp_path)
    with pytest.warns(UserWarning, match="is corrupt"):
        rebuilt = third.coords("umap")
    np.testing.assert_array_equal(rebuilt, coords)  # rebuilt, same seed
    other_seed = Exploration(wordnet_set, random_state=1, progress=False, map_cache=tmp_path)
    other_seed.coords("umap")
    assert len(list(tmp_path.glob("*.npy"))) == 2  # the seed is part of the key


def test_malformed_or_misplaced_map_is_rebuilt(wordnet_set, tmp_path):
    """A null record, or another map's files under this map's name, warn and are rebuilt."""
    import shutil

    coords = Exploration(wordnet_set, progress=False, map_cache=tmp_path).coords("pca")
    [cached] = tmp_path.glob("*.npy")
    cached.with_suffix(".json").write_text("null")
    with pytest.warns(UserWarning, match="is corrupt.*not a JSON object"):
        np.testing.assert_array_equal(
            Exploration(wordnet_set, progress=False, map_cache=tmp_path).coords("pca"), coords)
    Exploration(wordnet_set, random_state=1, progress=False, map_cache=tmp_path).coords("umap")
    [umap] = set(tmp_path.glob("*.npy")) - {cached}
    for suffix in (".npy", ".json"):
        shutil.copy(umap.with_suffix(suffix), cached.with_suffix(suffix))
    with pytest.warns(UserWarning, match="is corrupt.*method='umap', expected 'pca'"):
        rebuilt = Exploration(wordnet_set, progress=False, map_cache=tmp_path).coords("pca")
    np.testing.assert_array_equal(rebuilt, coords)


def test_neighbors_table_matches_brute_force(exploration, wordnet_set):
    table = exploration.neighbors_table([0, 5], k=4)
    X = _unit(wordnet_set.vectors)
    cos = X @ X.T
    np.fill_diagonal(cos, -np.inf)
    for row in (0, 5):
        got = table[(table["row"] == row) & (table["rank"] > 0)]
        assert got["neighbor"].tolist() == np.argsort(-cos[row])[:4].tolist()
        np.testing.assert_allclose(got["cosine"], np.sort(cos[row])[::-1][:4], atol=1e-5)
    assert (table.loc[table["rank"] == 0, "cosine"] == 1).all()
    assert set(table.columns) >= {"id", "text", "label", "neighbor_id", "neighbor_text",
                                  "neighbor_label"}
    ids = wordnet_set.meta["id"].to_numpy()
    assert (table["neighbor_id"].to_numpy() == ids[table["neighbor"]]).all()


def test_neighbors_table_covers_every_row_unless_bounded(exploration):
    rows = np.arange(len(exploration))
    assert exploration.neighbors_table(rows, k=2, max_rows=7)["row"].nunique() == 7
    assert exploration.neighbors_table(rows, k=1)["row"].nunique() == len(exploration)
    assert exploration.neighbors_table([0], k=10_000)["rank"].max() == len(exploration) - 1


def test_query_finds_the_text_itself(exploration, wordnet_set, minilm):
    text = wordnet_set.texts[17]
    result = exploration.query(text, k=3, encoder=minilm)
    assert result["row"].iloc[0] == 17 and result["cosine"].iloc[0] == pytest.approx(1, abs=1e-5)


def test_measures(exploration, wordnet_set):
    X = _unit(wordnet_set.vectors)
    cos_dist = 1 - X @ X.T  # each text against the others (itself left out, as in the paper)
    others = (cos_dist.sum(1) - np.diag(cos_dist)) / (len(X) - 1)
    np.testing.assert_allclose(exploration.measure("tte_depth"), 2 - others, atol=1e-5)
    lid = exploration.measure("local_id")
    assert lid.shape == (300,) and 3 < np.nanmedian(lid) < 60
    assert set(POINT_MEASURES) <= set(exploration.meta_with("norm").columns) | set(POINT_MEASURES)
    assert "local_id" in exploration.meta_with("local_id").columns


def test_local_id_measure_is_the_reports(exploration):
    from embviz.metrics import local_intrinsic_dimension

    expected = local_intrinsic_dimension(exploration.data.vectors, k=128, progress=False)
    np.testing.assert_allclose(exploration.measure("local_id"), expected, rtol=1e-6)
    report = exploration.geometry().set_index("metric")
    assert report.loc["local_intrinsic_dimension_median", "value"] == pytest.approx(
        np.nanmedian(expected), rel=1e-6)


def test_geometry_report_uses_labels_and_the_cosine_graph(exploration):
    table = exploration.geometry()
    assert {"isoscore", "twonn", "hubness_skewness", "knn_error"} <= set(table["metric"])
    parameters = table.set_index("metric")["parameters"]
    assert parameters["hubness_skewness"] == "k=10, metric=cosine"
    assert re.fullmatch(r"k=20, scale=[0-9.]+ \(neighbour 20\), metric=cosine",
                        parameters["mle"])
    assert re.fullmatch(r"local_k=128, scale=[0-9.]+ \(neighbour 128\), metric=cosine",
                        parameters["local_intrinsic_dimension_mean"])
    assert np.isnan(table.set_index("metric").loc["isoscore", "ci_low"])  # no bootstrap asked


def test_report_sizes_shrink_for_small_corpora(exploration):
    assert exploration.report_sizes() == {"k": 10, "mle_k": 20, "local_k": 128}
    assert exploration.report_sizes(15) == {"k": 10, "mle_k": 14, "local_k": 14}
    assert exploration.report_sizes(6) == {"k": 5, "mle_k": 5, "local_k": 5}
    with pytest.raises(ValueError, match="n must be an integer >= 2"):
        exploration.report_sizes(1)


def test_a_small_corpus_gets_a_whole_report(wordnet_set):
    small = Exploration(wordnet_set.subset(np.arange(12)), progress=False, map_cache=False)
    table = small.geometry().set_index("metric")
    assert table.loc["n", "value"] == 12
    assert table.loc["local_intrinsic_dimension_mean", "parameters"].startswith("local_k=11")
    assert table.loc["hubness_skewness", "parameters"].startswith("k=10")
    assert small.measure("local_id").shape == (12,)
    assert small.coords("umap").shape == (12, 2)


def test_summary_command_and_app_report_alike(tmp_path, monkeypatch):
    """`embviz summary` writes the report the Geometry view shows for the same corpus."""
    from embviz.cli import main

    monkeypatch.setenv("EMBVIZ_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "res"
    assert main(["summary", "fortunes", "--n", "60", "--device", "cpu", "--out", str(out)]) == 0
    written = pd.read_csv(out / "summary.csv").fillna({"parameters": ""})
    app = Exploration(EmbeddingSet.load(out / "embeddings"), progress=False,
                      map_cache=False).geometry()
    assert written.pop("label").tolist() == [display_name(m) for m in app["metric"]]
    pd.testing.assert_frame_equal(written, app, check_dtype=False, rtol=1e-6)
    assert any(re.fullmatch(r"local_k=59, scale=[0-9.]+ \(neighbour 59\), metric=cosine", text)
               for text in written["parameters"])


def test_labels(exploration, wordnet_set, bare):
    assert exploration.labels.tolist() == wordnet_set.meta["label"].astype(str).tolist()
    assert bare.labels is None


def test_which_columns_colour_group_and_time(wordnet_set, bare):
    rows = np.arange(len(wordnet_set))
    data = _with_meta(wordnet_set, group=np.where(rows % 3 == 0, "x", "y"),
                      time=2000 + rows // 100, score=rows / 7.0,
                      when=pd.Timestamp("2020-01-01") + pd.to_timedelta(rows // 50, "D"),
                      constant="same")
    ex = Exploration(data, progress=False, map_cache=False)
    # headwords (300 distinct strings) and constant (1 value) never qualify
    assert ex.color_columns == ["label", "pos", "group", "time", "score", "when"]
    assert ex.group_columns == ["label", "pos", "group", "time", "when"]
    assert ex.time_columns == ["time", "score", "when"]
    assert (ex.default_color, ex.default_group_column, ex.default_time_column) == (
        "label", "group", "time")
    plain = Exploration(wordnet_set, progress=False, map_cache=False)
    assert plain.color_columns == plain.group_columns == ["label", "pos"]
    assert plain.time_columns == [] and plain.default_time_column is None
    assert plain.default_group_column == "label"
    assert bare.default_color is None and bare.default_group_column is None


def test_group_values_and_masks(exploration, wordnet_set, bare):
    pos = wordnet_set.meta["pos"].astype(str)
    values = exploration.group_values("pos")
    assert values == pos.value_counts().index.tolist()
    in_a, in_b = exploration.group_masks("pos", values[0], values[1])
    assert (in_a == (pos == values[0])).all() and (in_b == (pos == values[1])).all()
    in_a, rest = exploration.group_masks("pos", values[0])
    assert (rest == ~in_a).all()
    with pytest.raises(ValueError, match="the same value"):
        exploration.group_masks("pos", values[0], values[0])
    with pytest.raises(ValueError, match="column must be one of"):
        exploration.group_masks("headwords", "x")
    with pytest.raises(ValueError, match="value_a must be one of"):
        exploration.group_masks("pos", "no such value")
    with pytest.raises(ValueError, match="no column with 2 to 200 distinct values"):
        bare.group_masks(None, "x")


def test_two_sample_rows_are_capped_and_seeded(exploration, wordnet_set):
    in_a, in_b = exploration.group_masks("pos", exploration.group_values("pos")[0])
    rows_a, rows_b = exploration.two_sample_rows(in_a, in_b, max_rows=40)
    assert len(rows_a) == len(rows_b) == 40
    assert in_a[rows_a].all() and in_b[rows_b].all()
    assert (np.diff(rows_a) > 0).all() and (np.diff(rows_b) > 0).all()
    again = exploration.two_sample_rows(in_a, in_b, max_rows=40)
    np.testing.assert_array_equal(again[0], rows_a)  # the session's random_state
    other = Exploration(wordnet_set, random_state=5, progress=False, map_cache=False)
    assert not np.array_equal(other.two_sample_rows(in_a, in_b, max_rows=40)[0], rows_a)
    whole_a, whole_b = exploration.two_sample_rows(in_a, in_b)  # under MAX_TEST_ROWS
    assert len(whole_a) + len(whole_b) == len(exploration) <= MAX_TEST_ROWS
    with pytest.raises(ValueError, match="boolean mask of shape"):
        exploration.two_sample_rows(np.flatnonzero(in_a), in_b)


def test_sample_rows(exploration):
    rows = exploration.sample_rows(50)
    assert len(rows) == len(np.unique(rows)) == 50 and (np.diff(rows) > 0).all()
    np.testing.assert_array_equal(exploration.sample_rows(50), rows)
    np.testing.assert_array_equal(exploration.sample_rows(1000), np.arange(len(exploration)))


def test_hubness_reduction(exploration, bare):
    table = exploration.hubness_reduction()
    assert table["method"].iloc[0] == "none" and len(table) > 1
    with pytest.raises(ValueError, match="needs a label column"):
        bare.hubness_reduction()


def test_layerwise_reembeds_a_sample(exploration, wordnet_set):
    report = exploration.layerwise(max_rows=40)
    assert sorted(report["layer"].unique()) == list(range(7))  # minilm: embeddings + 6 layers
    n = report.loc[report["metric"] == "n", "value"]
    assert (n == 40).all()
    assert any(re.fullmatch(r"local_k=39, scale=[0-9.]+ \(neighbour 39\), metric=cosine", text)
               for text in report["parameters"])
    with pytest.raises(ValueError, match="no model provenance"):
        Exploration(_with_meta(wordnet_set), progress=False, map_cache=False).layerwise(40)


def test_session_defaults(wordnet_set):
    ex = Exploration(wordnet_set, map_cache=False)
    assert ex.random_state == 0 and ex.progress is True


def test_bad_input(wordnet_set, exploration):
    with pytest.raises(TypeError, match="data must be an EmbeddingSet"):
        Exploration(wordnet_set.vectors)
    with pytest.raises(ValueError, match="method must be one of"):
        exploration.coords("tsne")
    with pytest.raises(ValueError, match="name must be one of"):
        exploration.measure("nope")
    with pytest.raises(IndexError, match="rows must lie in"):
        exploration.neighbors_table([400])
