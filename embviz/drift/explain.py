"""Which texts drive a detected difference: per-point scores aligned with the pooled rows
(``a`` first, then ``b``), with their texts when EmbeddingSets are given — ready to colour a map.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._validation import check_number, check_positive_int, texts_of
from ._inputs import MIN_SAMPLE, check_bandwidth, check_samples, sample_frame
from ._kernel_sums import _BLOCK_BYTES, _NUMPY_MAX_ROWS, KernelSpec, _kernel_block, median_distance
from .classifier import out_of_fold_scores
from .depth import _reference_depths

__all__ = ["classifier_confidence", "depth_outliers", "mmd_witness"]


def _row_kernel_sums(Z: np.ndarray, V: np.ndarray, spec: KernelSpec, block, device):
    """K @ V block by block (numpy for small CPU problems, torch otherwise)."""
    n = len(Z)
    block = block or max(1, min(n, _BLOCK_BYTES // (4 * n)))
    out = np.empty((n, V.shape[1]))
    if n <= _NUMPY_MAX_ROWS and device in ("auto", "cpu"):
        sq = (Z * Z).sum(1)
        for start in range(0, n, block):
            stop = min(start + block, n)
            out[start:stop] = _kernel_block(np, Z[start:stop], Z, sq[start:stop], sq, spec,
                                            start) @ V
        return out
    import torch

    from ..embed.device import resolve_device

    dev = resolve_device(device)
    dtype = torch.float64 if Z.dtype == np.float64 else torch.float32
    with torch.inference_mode():
        Zt = torch.as_tensor(Z, device=dev, dtype=dtype)
        Vt = torch.as_tensor(V, device=dev, dtype=dtype)
        sq = (Zt * Zt).sum(1)
        for start in range(0, n, block):
            stop = min(start + block, n)
            K = _kernel_block(torch, Zt[start:stop], Zt, sq[start:stop], sq, spec, start)
            out[start:stop] = (K @ Vt).double().cpu().numpy()
    return out


def _witness_values(Z: np.ndarray, n_a: int, bandwidth: float, block, device) -> np.ndarray:
    """Leave-one-out witness: mean k(z, a_i) − mean k(z, b_j), z left out of its own sample."""
    n_b = len(Z) - n_a
    in_a = np.r_[np.ones(n_a, bool), np.zeros(n_b, bool)]
    V = np.c_[in_a, ~in_a].astype(Z.dtype)
    sums = _row_kernel_sums(Z, V, KernelSpec("rbf", bandwidth, 0.0), block, device)
    mean_a = np.where(in_a, (sums[:, 0] - 1) / (n_a - 1), sums[:, 0] / n_a)
    mean_b = np.where(~in_a, (sums[:, 1] - 1) / (n_b - 1), sums[:, 1] / n_b)
    return mean_a - mean_b


def mmd_witness(a, b, bandwidth: float | None = None, block: int | None = None,
                device: str = "auto", random_state: int | None = 0) -> pd.DataFrame:
    """Value of the MMD witness function at every pooled point.

    witness(z) = mean_i k(z, a_i) − mean_j k(z, b_j) (RBF kernel, median bandwidth as in
    :func:`~embviz.drift.mmd_test`); a point is left out of its own sample's mean. Large
    positive: regions where ``a`` is over-represented; large negative: where ``b`` is.
    Memory O(block · N).

    Parameters
    ----------
    a, b : arrays (n_a, d), (n_b, d) or EmbeddingSets (at least 5 rows each, same d)
    bandwidth : float, optional
    block : int, optional
    device : str, default "auto"
    random_state : int or None, default 0
        Seeds the bandwidth subsample.

    Returns
    -------
    pandas.DataFrame of n_a + n_b rows (a's rows, then b's)
        ``sample`` ("a"/"b"), ``row`` (within its sample), ``witness``, ``rank`` (1 = most
        characteristic of its own sample) and ``text`` when EmbeddingSets are given.

    References
    ----------
    Gretton et al. (2012), "A Kernel Two-Sample Test", JMLR 13, section 2.3 (witness function);
    Lloyd & Ghahramani (2015), "Statistical model criticism using kernel two sample tests".
    """
    A, B = check_samples(a, b, MIN_SAMPLE)
    bandwidth = check_bandwidth(bandwidth)
    if block is not None:
        check_positive_int(block, "block")
    Z = np.concatenate([A, B])
    if bandwidth is None:
        bandwidth = median_distance(Z, 2000, np.random.default_rng(random_state))
        if not bandwidth > 0:
            raise ValueError("the median pairwise distance of the pooled sample is 0 (mostly "
                             "duplicate rows); pass bandwidth explicitly")
    frame = sample_frame(len(A), len(B), texts_of(a), texts_of(b))
    frame["witness"] = _witness_values(Z, len(A), float(bandwidth), block, device)
    signed = np.where(frame["sample"] == "a", frame["witness"], -frame["witness"])
    frame["rank"] = pd.Series(-signed).groupby(frame["sample"]).rank(method="first").astype(int)
    return frame


def depth_outliers(a, b, quantile: float = 0.05) -> pd.DataFrame:
    """TTE depth of every pooled point with respect to the reference ``a``.

    Parameters
    ----------
    a : array (n_a, d) or EmbeddingSet
        Reference; its rows are left out of their own depth.
    b : array (n_b, d) or EmbeddingSet
    quantile : float, default 0.05
        A point is an ``outlier`` when its depth is below this quantile of the reference's
        own depths.

    Returns
    -------
    pandas.DataFrame of n_a + n_b rows
        ``sample``, ``row``, ``depth``, ``outlier`` (bool), ``text`` when available.

    References
    ----------
    Seegmiller & Preum (2023), "Statistical Depth for Ranking and Characterizing
    Transformer-Based Text Embeddings", EMNLP.
    """
    from .._blocks import unit_rows

    A, B = check_samples(a, b, MIN_SAMPLE)
    quantile = check_number(quantile, "quantile", 0, 1, low_open=True, high_open=True)
    F = unit_rows(A, name="a")
    depth = np.r_[_reference_depths(F), 1 + unit_rows(B, name="b") @ F.mean(0)]
    frame = sample_frame(len(A), len(B), texts_of(a), texts_of(b))
    frame["depth"] = depth
    frame["outlier"] = depth < np.quantile(depth[:len(A)], quantile)
    return frame


def classifier_confidence(a, b, n_folds: int = 5, C: float = 1.0,
                          random_state: int | None = 0) -> pd.DataFrame:
    """Out-of-fold probability that each pooled point comes from ``b``.

    Parameters
    ----------
    a, b : arrays (n_a, d), (n_b, d) or EmbeddingSets (at least max(5, n_folds) rows each)
    n_folds : int, default 5
    C : float, default 1.0
    random_state : int or None, default 0

    Returns
    -------
    pandas.DataFrame of n_a + n_b rows
        ``sample``, ``row``, ``p_b`` (held-out P(b)), ``confidence`` (held-out probability of
        the point's own sample: high = typical of its side, the points that drive the AUC),
        ``rank`` (1 = most confident within its sample), ``text`` when available.
    """
    n_folds = check_positive_int(n_folds, "n_folds", minimum=2)
    A, B = check_samples(a, b, max(MIN_SAMPLE, n_folds))
    check_number(C, "C", 0, np.inf, low_open=True, high_open=True)
    labels = np.r_[np.zeros(len(A), int), np.ones(len(B), int)]
    p_b = out_of_fold_scores(np.concatenate([A, B]), labels, n_folds, C, random_state)
    frame = sample_frame(len(A), len(B), texts_of(a), texts_of(b))
    frame["p_b"] = p_b
    frame["confidence"] = np.where(labels == 1, p_b, 1 - p_b)
    frame["rank"] = (-frame["confidence"]).groupby(frame["sample"]).rank(
        method="first").astype(int)
    return frame
