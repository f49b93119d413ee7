"""EmbeddingSet: alignment, subsetting, save and load."""

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

    folder = es.save(tmp_path / "es")
    np.save(folder / "vectors.npy", np.array([{"evil": 1}] * 5, dtype=object), allow_pickle=True)
    record = json.loads((folder / "provenance.json").read_text())
    record["vectors_sha256"] = sha256_file(folder / "vectors.npy")
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
