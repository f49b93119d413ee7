"""Clear errors at the entry points."""

import numpy as np
import pytest

from embviz._blocks import unit_rows
from embviz._validation import (
    check_embeddings,
    check_memory,
    check_number,
    check_replicates,
    check_texts,
    vectors_of,
)


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


def test_check_replicates_caps_counts_and_says_why():
    assert check_replicates(1_000_000, "n_permutations") == 1_000_000
    assert check_replicates(np.int64(0), "n_resamples", minimum=0) == 0
    with pytest.raises(ValueError, match=r"n_resamples must be an integer in \[10, 1,000,000\], "
                                         r"got 1,000,001: a million replicates already "
                                         r"resolve a p-value or an interval end to 1e-6"):
        check_replicates(1_000_001, "n_resamples", minimum=10)
    with pytest.raises(ValueError, match="n_permutations must be an integer >= 1, got 0"):
        check_replicates(0, "n_permutations")


def test_check_memory_refuses_before_allocating(monkeypatch):
    monkeypatch.setattr("embviz._validation.available_memory", lambda: 3 * 2**30)
    check_memory(2 * 2**30, "work", "do less")
    with pytest.raises(ValueError, match=r"^work needs about 218.0 TiB of memory, more than "
                                         r"the 3.0 GiB available; do less$"):
        check_memory(218 * 2**40, "work", "do less")
    monkeypatch.setattr("embviz._validation.available_memory", lambda: None)  # unknown: run
    check_memory(2**60, "work", "do less")


def test_unit_rows_do_not_depend_on_extreme_scales(rng):
    """Norms of rows of 1e200 overflowed (unit rows became 0), of 1e-300 underflowed (the row
    was refused as zero); such rows are rescaled by a power of two first."""
    X = rng.normal(size=(6, 5))
    scaled = X * np.array([1e200, 1e-300, 1, 1e-170, 3e160, 1])[:, None]
    np.testing.assert_allclose(unit_rows(scaled), unit_rows(X), rtol=1e-12)
    with pytest.raises(ValueError, match="zero row"):
        unit_rows(np.vstack([X, np.zeros(5)]))
