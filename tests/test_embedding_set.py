"""EmbeddingSet: alignment, subsetting, save and load."""

import warnings

import numpy as np
import pandas as pd
import pytest

from embviz import EmbeddingSet


@pytest.fixture
def es(rng):
    meta = pd.DataFrame({"id": list("abcde"), "text": [f"t{i}" for i in range(5)],
                         "label": list("xxyyz")})
    return EmbeddingSet(rng.normal(size=(5, 4)), meta, {"model": {"name": "m"}})


def test_subset_keeps_rows_aligned(es):
    sub = es.subset(np.array([4, 1]))
    assert sub.meta["id"].tolist() == ["e", "b"]
    np.testing.assert_array_equal(sub.vectors, es.vectors[[4, 1]])
    mask = es.meta["label"].eq("y").to_numpy()
    assert es.subset(mask).meta["id"].tolist() == ["c", "d"]


def test_subset_errors(es):
    with pytest.raises(IndexError, match="out of range"):
        es.subset([7])
    with pytest.raises(ValueError, match="boolean mask must have shape"):
        es.subset(np.array([True, False]))


def test_save_load_round_trip(es, tmp_path):
    loaded = EmbeddingSet.load(es.save(tmp_path / "es"))
    np.testing.assert_array_equal(loaded.vectors, es.vectors)
    pd.testing.assert_frame_equal(loaded.meta, es.meta)
    assert loaded.provenance == es.provenance


def test_load_detects_changed_vectors(es, tmp_path):
    folder = es.save(tmp_path / "es")
    np.save(folder / "vectors.npy", np.zeros((5, 4), np.float32))
    with pytest.raises(ValueError, match="checksum"):
        EmbeddingSet.load(folder)


def test_load_refuses_python_objects_without_numpys_hint(es, tmp_path):
    """A saved set whose vectors.npy holds Python objects (checksum updated to match) is
    refused in embviz's words, not numpy's "use allow_pickle" advice."""
    import json

    from embviz._files import sha256_file
    from embviz.embedding_set import _record_sha256

    folder = es.save(tmp_path / "es")
    np.save(folder / "vectors.npy", np.array([{"evil": 1}] * 5, dtype=object), allow_pickle=True)
    record = json.loads((folder / "provenance.json").read_text())
    record["vectors_sha256"] = sha256_file(folder / "vectors.npy")
    record["record_sha256"] = _record_sha256(record)  # a forger who updates every checksum
    (folder / "provenance.json").write_text(json.dumps(record))
    with pytest.raises(ValueError, match="vectors.npy is not a plain .npy array: it holds "
                                         "Python objects") as info:
        EmbeddingSet.load(folder)
    assert "allow_pickle" not in str(info.value)


def test_misaligned_meta_is_refused(rng):
    with pytest.raises(ValueError, match="meta has 2 rows but vectors has 3"):
        EmbeddingSet(rng.normal(size=(3, 2)), pd.DataFrame({"id": [1, 2], "text": ["a", "b"]}))
    with pytest.raises(ValueError, match="missing \\['text'\\]"):
        EmbeddingSet(rng.normal(size=(1, 2)), pd.DataFrame({"id": [1]}))


def test_measures_accept_an_embedding_set(rng):
    """check_embeddings unwraps an EmbeddingSet itself: every measure takes one directly."""
    from embviz.metrics import hubness_skewness, isoscore, mle, twonn
    from embviz.neighbors import knn_graph

    X = rng.normal(size=(120, 6))
    es = EmbeddingSet(X, pd.DataFrame({"id": range(120), "text": [f"t{i}" for i in range(120)]}))
    assert isoscore(es) == isoscore(es.vectors)
    assert twonn(es) == twonn(es.vectors) and mle(es, k=5) == mle(es.vectors, k=5)
    assert hubness_skewness(es, k=5) == hubness_skewness(es.vectors, k=5)
    np.testing.assert_array_equal(knn_graph(es, k=3, progress=False).indices,
                                  knn_graph(es.vectors, k=3, progress=False).indices)


def test_load_detects_reordered_meta(es, tmp_path):
    folder = es.save(tmp_path / "es")
    meta = pd.read_parquet(folder / "meta.parquet")
    meta.iloc[::-1].to_parquet(folder / "meta.parquet", index=False)
    with pytest.raises(ValueError, match=r"meta\.parquet does not match the checksum"):
        EmbeddingSet.load(folder)


@pytest.mark.parametrize("text, problem", [
    ('{"provenance": {"model"', "not valid JSON"),
    ("[]", "not a JSON object"),
    ("null", "not a JSON object"),
    ('{"n": 5}', "missing"),
])
def test_corrupt_provenance_is_named(es, tmp_path, text, problem):
    from embviz._files import CorruptFileError

    folder = es.save(tmp_path / "es")
    (folder / "provenance.json").write_text(text)
    with pytest.raises(CorruptFileError, match=rf"provenance\.json.*{problem}"):
        EmbeddingSet.load(folder)


def test_edited_provenance_is_detected(es, tmp_path):
    import json

    folder = es.save(tmp_path / "es")
    record = json.loads((folder / "provenance.json").read_text())
    record["provenance"]["model"]["name"] = "other"
    (folder / "provenance.json").write_text(json.dumps(record))
    with pytest.raises(ValueError, match=r"provenance\.json does not match its checksum"):
        EmbeddingSet.load(folder)


def test_set_saved_without_meta_checksum_loads_with_a_warning(es, tmp_path):
    """Sets saved before meta.parquet was checksummed still load, and say how to upgrade."""
    import json

    folder = es.save(tmp_path / "es")
    record = json.loads((folder / "provenance.json").read_text())
    old = {k: record[k] for k in ("provenance", "n", "dim", "vectors_sha256")}
    (folder / "provenance.json").write_text(json.dumps(old, indent=2))
    with pytest.warns(UserWarning, match="not checksummed.*save it again"):
        loaded = EmbeddingSet.load(folder)
    pd.testing.assert_frame_equal(loaded.meta, es.meta)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        EmbeddingSet.load(loaded.save(folder))  # re-saved: checked, no warning
