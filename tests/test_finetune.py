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
    kwargs = {"steps": 4, "eval_every": 2, "batch_size": 8, "local_k": 10,
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
    with pytest.raises(ValueError, match="steps"):
        finetune_local_id(train, val, steps=0)
    with pytest.raises(ValueError, match="pooling"):
        finetune_local_id(train, val, pooling="sum")
