"""Clear errors at the entry points."""

import numpy as np
import pytest

from embviz._validation import check_embeddings, check_texts


@pytest.mark.parametrize("texts, error, match", [
    ([], ValueError, "empty"),
    ("one string", TypeError, "single string"),
    (["ok", None], ValueError, r"\[1\]=None"),
    (["ok", 3], ValueError, r"\[1\]=3"),
    (["ok", ""], ValueError, r"\[1\]=''"),
    (["ok", "   "], ValueError, "non-empty strings"),
    (42, TypeError, "sequence of strings"),
])
def test_check_texts_errors(texts, error, match):
    with pytest.raises(error, match=match):
        check_texts(texts)


def test_check_texts_accepts_sequences():
    assert check_texts(("a", "b")) == ["a", "b"]
    assert check_texts(np.array(["a", "b"])) == ["a", "b"]


@pytest.mark.parametrize("X, error, match", [
    (np.ones(5), ValueError, r"2-D with shape \(n, d\)"),
    (np.array([["a", "b"]]), TypeError, "numeric"),
    (np.array([[1.0, np.nan], [0.0, 1.0]]), ValueError, r"NaN.*rows \[0\]"),
    (np.ones((1, 3)), ValueError, "at least 2 row"),
])
def test_check_embeddings_errors(X, error, match):
    with pytest.raises(error, match=match):
        check_embeddings(X, min_rows=2)


def test_check_embeddings_accepts_torch_tensors():
    import torch

    X = check_embeddings(torch.ones(3, 2, dtype=torch.float16))
    assert X.dtype == np.float32 and X.shape == (3, 2)
