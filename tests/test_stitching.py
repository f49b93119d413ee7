"""Zero-shot stitching, relative retrieval and the shuffled-anchor null (Moschella et al. 2023)
against known answers: a rotated copy of a space has identical relative vectors, so stitching
equals the within-model ceiling and retrieval is perfect; then real MiniLM vs MPNet glosses."""

import numpy as np
import pytest

from embviz.drift import (
    relative_agreement,
    relative_retrieval,
    relative_vectors,
    shuffled_anchor_agreement,
    zero_shot_stitching,
)


def _blobs(rng, n=600, d=12, classes=4, spread=0.6):
    centres = rng.normal(size=(classes, d))
    y = rng.integers(0, classes, n)
    return centres[y] + spread * rng.normal(size=(n, d)), y


def _rotation(rng, d):
    return np.linalg.qr(rng.normal(size=(d, d)))[0]


def test_relative_vectors_are_zscored_cosines(rng):
    X = rng.normal(size=(50, 6))
    U = X / np.linalg.norm(X, axis=1, keepdims=True)
    anchors = np.array([3, 7, 11, 20])
    raw = relative_vectors(U, anchors, zscore=False)
    np.testing.assert_allclose(raw, U @ U[anchors].T)
    z = relative_vectors(U, anchors)
    expected = (raw - raw.mean(1, keepdims=True)) / raw.std(1, keepdims=True)
    np.testing.assert_allclose(z, expected)
    np.testing.assert_allclose(z.mean(1), 0, atol=1e-12)


def test_stitching_a_rotated_copy_equals_the_ceiling(rng):
    X, y = _blobs(rng)
    Q = _rotation(rng, X.shape[1])
    t = zero_shot_stitching(X, 3.0 * X @ Q, y, n_anchors=30, random_state=1).set_index("metric")
    # cosines are invariant to rotation and scale: b's relative vectors equal a's
    assert t.loc["stitched_relative", "value"] == t.loc["ceiling_relative_a", "value"]
    assert t.loc["stitched_relative_reverse", "value"] == t.loc["ceiling_relative_b", "value"]
    assert t.loc["stitched_relative", "value"] > 0.9
    assert t.loc["chance", "value"] < 0.4
    # the shuffled correspondence and the absolute coordinates do not transfer
    assert t.loc["stitched_relative_shuffled", "value"] < t.loc["stitched_relative", "value"] - 0.2
    for _, row in t.iterrows():
        assert row["ci_low"] <= row["value"] <= row["ci_high"]
        assert "Wilson" in row["parameters"]
    assert set(t["n_test"]) == {300}


def test_stitching_absolute_pca_transfers_only_when_the_spaces_coincide(rng):
    X, y = _blobs(rng, d=8)
    same = zero_shot_stitching(X, X, y, n_anchors=20, absolute_dim=8).set_index("metric")
    # the same space: each model's own PCA is the same map, so the stitch is the ceiling of PCA
    assert same.loc["stitched_absolute_pca", "value"] > 0.9
    Q = _rotation(rng, 8)
    other = zero_shot_stitching(X, X @ Q + 5, y, n_anchors=20, absolute_dim=8)
    assert other.set_index("metric").loc["stitched_absolute_pca", "value"] >= 0  # runs


def test_stitching_rejects_bad_input(rng):
    X, y = _blobs(rng, n=40)
    with pytest.raises(ValueError, match="labels must be 1-D"):
        zero_shot_stitching(X, X, y[:10])
    with pytest.raises(ValueError, match="n_anchors <= n_train"):
        zero_shot_stitching(X, X, y, n_anchors=30)


def test_relative_retrieval_of_a_rotated_copy_is_perfect(rng):
    X = rng.normal(size=(200, 10))
    Q = _rotation(rng, 10)
    anchors, queries = np.arange(40), np.arange(40, 200)
    r = relative_retrieval(X, X @ Q, anchors, queries, k=5)
    assert r["top1"] == 1.0 and r["hit_at_k"] == 1.0 and r["mean_rank"] == 1.0
    assert r["chance_top1"] == 1 / 160 and r["chance_hit_at_k"] == 5 / 160
    assert r["top1_ci_low"] < 1.0 == r["top1_ci_high"]
    shuffled = relative_retrieval(X, X @ Q, anchors, queries, k=5, shuffle_anchors=True)
    assert shuffled["top1"] < 0.2


def test_shuffled_anchor_agreement_matches_a_direct_permutation(rng):
    X = rng.normal(size=(80, 6))
    Y = X @ _rotation(rng, 6)
    anchors = np.array([1, 4, 9, 16, 25, 36, 49])
    null = shuffled_anchor_agreement(X, Y, anchors, n_permutations=3, random_state=5)
    perm_rng = np.random.default_rng(5)
    U, V = (M / np.linalg.norm(M, axis=1, keepdims=True) for M in (X, Y))
    for value in null:
        perm = anchors[perm_rng.permutation(len(anchors))]
        rx, ry = U @ U[anchors].T, V @ V[perm].T
        direct = np.mean([np.corrcoef(p, q)[0, 1] for p, q in zip(rx, ry)])
        assert value == pytest.approx(direct, abs=1e-12)
    # the unshuffled agreement of a rotated copy is 1; shuffling breaks it
    assert relative_agreement(X, Y, anchors).mean() == pytest.approx(1.0)
    assert null.max() < 0.9


@pytest.fixture(scope="module")
def two_models():
    """MiniLM and MPNet embeddings of the same 300 WordNet glosses (cached on disk)."""
    from embviz.datasets import load_dataset
    from embviz.embed import embed_corpus

    df = load_dataset("wordnet", n=300, random_state=7)
    return (embed_corpus(df, model="minilm", device="cpu", progress=False),
            embed_corpus(df, model="mpnet", device="cpu", progress=False))


def test_minilm_to_mpnet_stitching_beats_chance_and_the_controls(two_models):
    minilm, mpnet = two_models
    labels = minilm.meta["label"].to_numpy()
    t = zero_shot_stitching(minilm, mpnet, labels, n_anchors=50, random_state=0)
    t = t.set_index("metric")["value"]
    assert t["stitched_relative"] > t["chance"] + 0.1
    assert t["stitched_relative"] > t["stitched_relative_shuffled"]
    assert t["stitched_relative"] > t["stitched_absolute_pca"]
    r = relative_retrieval(minilm, mpnet, np.arange(50), np.arange(50, 300), k=10)
    assert r["hit_at_k"] > 5 * r["chance_hit_at_k"]
