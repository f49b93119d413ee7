"""Clear errors at the entry points."""

import numpy as np
import pytest

from embviz._validation import check_embeddings, check_number, check_texts, vectors_of


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


@pytest.mark.parametrize("value, low, high, low_open, high_open", [
    (0, 0, 1, False, False), (1, 0, 1, False, False), (0.5, 0, 1, True, True),
    (np.float32(0.25), 0, 1, True, False), (np.int64(3), 0, np.inf, True, True),
    (-1e300, -np.inf, np.inf, False, False),
])
def test_check_number_accepts_values_inside_the_interval(value, low, high, low_open,
                                                         high_open):
    out = check_number(value, "x", low, high, low_open=low_open, high_open=high_open)
    assert isinstance(out, float) and out == float(value)


@pytest.mark.parametrize("value, low, high, low_open, high_open, match", [
    (0.0, 0, 1, True, False, r"x must be a number in \(0, 1\], got 0.0"),
    (1.0, 0, 1, False, True, r"x must be a number in \[0, 1\), got 1.0"),
    (1.0, 0, 1, True, True, r"x must be a number in \(0, 1\), got 1.0"),
    (-0.1, 0, 1, False, False, r"x must be a number in \[0, 1\], got -0.1"),
    (1.5, 0, 1, False, False, r"x must be a number in \[0, 1\], got 1.5"),
    (0, 0, np.inf, True, True, r"x must be a number in \(0, inf\), got 0.0"),
    (np.inf, 0, np.inf, True, True, r"x must be a number in \(0, inf\), got inf"),
    (float("nan"), -np.inf, np.inf, False, False, r"x must be a number in \[-inf, inf\], got nan"),
    (np.nan, 0, 1, False, False, "got nan"),
])
def test_check_number_refuses_values_outside_the_interval(value, low, high, low_open,
                                                          high_open, match):
    with pytest.raises(ValueError, match=match):
        check_number(value, "x", low, high, low_open=low_open, high_open=high_open)


def test_check_number_bounds_are_closed_by_default_and_unbounded():
    assert check_number(0, "x", 0, 1) == 0.0 and check_number(1, "x", 0, 1) == 1.0
    assert check_number(-5, "x") == -5.0 and check_number(np.inf, "x") == np.inf


@pytest.mark.parametrize("value, kind", [
    (True, "bool"), (False, "bool"), (np.bool_(True), "bool"), ("0.5", "str"), (None, "NoneType"),
    ([0.5], "list"), (1 + 0j, "complex"),
])
def test_check_number_refuses_non_numbers_with_type_error(value, kind):
    with pytest.raises(TypeError, match=rf"confidence must be a number in \(0, 1\), got {kind}"):
        check_number(value, "confidence", 0, 1, low_open=True, high_open=True)


def test_vectors_of_unwraps_an_embedding_set_only(rng):
    import pandas as pd

    from embviz import EmbeddingSet

    vectors = rng.normal(size=(3, 2))
    es = EmbeddingSet(vectors, pd.DataFrame({"id": [0, 1, 2], "text": ["a", "b", "c"]}))
    assert vectors_of(es) is es.vectors
    assert vectors_of(vectors) is vectors
    nested = [[1.0, 2.0]]
    assert vectors_of(nested) is nested and vectors_of(None) is None
    np.testing.assert_array_equal(check_embeddings(es), check_embeddings(es.vectors))
    with pytest.raises(ValueError, match="at least 4 row"):
        check_embeddings(es, min_rows=4)
