"""Brief fine-tuning with local-ID tracking: shape, reproducibility, untouched global RNG."""

import numpy as np
import pytest
import torch

from embviz.datasets import load_dataset
from embviz.experiments import finetune_local_id


@pytest.fixture(scope="module")
def splits():
    corpus = load_dataset("wordnet", n=120, random_state=3)
    corpus = corpus[corpus["label"].isin(corpus["label"].value_counts().index[:4])]
    return corpus.iloc[::2], corpus.iloc[1::2]


def test_finetune_tracks_accuracy_and_local_id_reproducibly(splits):
    train, val = splits
    before = torch.random.get_rng_state().clone()
    kwargs = {"max_steps": 4, "eval_every": 2, "batch_size": 8, "local_k": 10,
              "random_state": 1, "progress": False}
    table = finetune_local_id(train, val, **kwargs)
    assert torch.equal(torch.random.get_rng_state(), before)  # caller's RNG untouched
    assert list(table.columns) == ["step", "train_loss", "val_accuracy", "local_id_mean",
                                   "local_id_median"]
    assert table["step"].tolist() == [0, 2, 4]
    assert np.isnan(table["train_loss"].iloc[0]) and np.isfinite(table["train_loss"][1:]).all()
    assert table["val_accuracy"].between(0, 1).all()
    assert (table["local_id_mean"] > 1).all()  # 384-d embeddings are not a curve
    again = finetune_local_id(train, val, **kwargs)
    np.testing.assert_allclose(again.to_numpy(), table.to_numpy(), rtol=1e-5, equal_nan=True)


def test_finetune_rejects_bad_input(splits):
    train, val = splits
    with pytest.raises(ValueError, match="'text' and 'label'"):
        finetune_local_id(train[["text"]], val)
    with pytest.raises(ValueError, match="max_steps"):
        finetune_local_id(train, val, max_steps=0)
    with pytest.raises(ValueError, match="pooling"):
        finetune_local_id(train, val, pooling="sum")


def test_finetune_tracks_probes_and_token_level_local_id(splits):
    train, val = splits
    ood = load_dataset("fortunes", n=40, random_state=0)["text"].tolist()
    table = finetune_local_id(train, val, max_steps=2, eval_every=2, batch_size=8, local_k=10,
                              probes={"train": train, "ood": ood}, token_level=True,
                              max_tokens=300, random_state=0, progress=False)
    for suffix in ("", "_train", "_ood"):
        assert (table[f"local_id_mean{suffix}"] > 1).all()
        assert (table[f"token_local_id_mean{suffix}"] > 1).all()
    assert table["train_accuracy"].between(0, 1).all()
    assert "ood_accuracy" not in table  # no labels
    with pytest.raises(ValueError, match="probe names"):
        finetune_local_id(train, val, probes={"val": ood})


def test_change_correlation_known_answers():
    from embviz.experiments import change_correlation

    a = np.array([0.0, 1, 3, 2, 5, 4, 4.5])
    b = 2 * a + 1  # changes proportional: r = 1
    out = change_correlation(a, b, n_permutations=999, random_state=0)
    assert out["r"] == pytest.approx(1.0) and out["n_pairs"] == 6
    # exact permutation distribution of 6 distinct changes: |r*| = 1 for 2 of 720 orders
    assert out["p_value"] < 0.02
    # lag 1 pairs Δa_t with Δb_{t+1}, checked against numpy directly
    c = np.array([3.0, 1, 4, 1, 5, 9, 2])
    lagged = change_correlation(a, c, lag=1, n_permutations=99)["r"]
    assert lagged == pytest.approx(np.corrcoef(np.diff(a)[:-1], np.diff(c)[1:])[0, 1])
    # groups: changes never straddle two groups
    g = change_correlation(np.r_[a, a + 100], np.r_[b, b - 50], groups=[0] * 7 + [1] * 7,
                           n_permutations=99)
    assert g["n_pairs"] == 12 and g["r"] == pytest.approx(1.0)
    # independent noise: p-value roughly uniform, not tiny
    rng = np.random.default_rng(1)
    assert change_correlation(rng.normal(size=200), rng.normal(size=200),
                              n_permutations=999)["p_value"] > 0.01
