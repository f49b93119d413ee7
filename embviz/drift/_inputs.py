"""Entry-point checks shared by the drift tests: arrays or EmbeddingSets in, clean arrays out."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._validation import check_embeddings

#: Smallest sample per side accepted by the two-sample tests.
MIN_SAMPLE = 5


def check_samples(a: Any, b: Any, min_rows: int = MIN_SAMPLE) -> tuple[np.ndarray, np.ndarray]:
    """Both samples as arrays of the same dimension and at least ``min_rows`` rows each.

    float64 is kept only when both inputs are float64 (else float32).
    """
    A = check_embeddings(a, "a", min_rows)
    B = check_embeddings(b, "b", min_rows)
    if A.shape[1] != B.shape[1]:
        raise ValueError(f"a and b must have the same dimension d for a two-sample test; got "
                         f"a: d={A.shape[1]}, b: d={B.shape[1]} (embeddings of two models? "
                         f"compare them with embviz.drift.compare_models)")
    dtype = np.float64 if A.dtype == B.dtype == np.float64 else np.float32
    return A.astype(dtype, copy=False), B.astype(dtype, copy=False)


def check_bandwidth(bandwidth: Any) -> float | None:
    """``None`` (the median heuristic) or a finite, positive kernel bandwidth as ``float``."""
    if bandwidth is None:
        return None
    if isinstance(bandwidth, bool) or not isinstance(bandwidth, (int, float, np.integer,
                                                                 np.floating)):
        raise TypeError(f"bandwidth must be a positive number or None, got "
                        f"{type(bandwidth).__name__}")
    if not (np.isfinite(bandwidth) and bandwidth > 0):
        raise ValueError(f"bandwidth must be a positive number (finite), got {bandwidth!r}")
    return float(bandwidth)


def sample_frame(n_a: int, n_b: int, texts_a: list[str] | None, texts_b: list[str] | None):
    """The pooled rows' ``sample`` (``"a"``/``"b"``), ``row`` (within its sample) and ``text``."""
    import pandas as pd

    frame = pd.DataFrame({"sample": ["a"] * n_a + ["b"] * n_b,
                          "row": np.concatenate([np.arange(n_a), np.arange(n_b)])})
    if texts_a is not None or texts_b is not None:
        frame["text"] = (texts_a or [None] * n_a) + (texts_b or [None] * n_b)
    return frame
