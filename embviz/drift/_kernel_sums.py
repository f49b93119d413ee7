"""One blocked pass over a pooled kernel (or distance) matrix that yields the quadratic forms
of many label/weight vectors at once: every permutation and bootstrap replicate of an MMD or
energy test in a single sweep.

For the pooled sample Z (N = n_a + n_b rows) and a matrix V (N, C) of label or resampling
weights, one pass computes, block of rows I by block:

    KV_I = K[I, :] @ V          (a GEMM; K[I, :] is built on the fly)
    quad   += sum_I V[I] * KV_I   -> v_cᵀ K v_c for every column c
    colsum += sum_I KV_I          -> 1ᵀ K v_c
    cross  += sum_I U[I] * KV_I[:, pair]  -> u_cᵀ K w_c for paired bootstrap columns

so memory is O(block · N + N · C) and the (N, N) matrix never exists. The kernel is shifted by
a constant ``center`` (an estimate of its mean) before the products: the unbiased MMD² and the
energy distance are invariant to that shift, and it removes most of the cancellation between
the within- and between-sample sums in float32.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

_BLOCK_BYTES = 1 << 27  # 128 MB of kernel values per row block
_NUMPY_MAX_ROWS = 4096  # below this many pooled rows on CPU, numpy beats torch's overheads


@dataclass(frozen=True)
class KernelSpec:
    """``kind`` "rbf": exp(-|x-y|² / (2 bandwidth²)); "distance": |x-y|; minus ``center``."""

    kind: str
    bandwidth: float
    center: float

    @property
    def diagonal(self) -> float:
        """k(x, x) - center."""
        return (1.0 if self.kind == "rbf" else 0.0) - self.center


def subsample_sq_distances(Z: np.ndarray, max_points: int, rng: np.random.Generator
                           ) -> np.ndarray:
    """Squared Euclidean distances of all pairs i < j of at most ``max_points`` random rows."""
    rows = rng.choice(len(Z), min(len(Z), max_points), replace=False)
    S = Z[rows].astype(np.float64)
    sq = (S * S).sum(1)
    d2 = np.maximum(sq[:, None] + sq[None, :] - 2 * S @ S.T, 0)
    return d2[np.triu_indices(len(S), 1)]


def median_distance(Z: np.ndarray, max_points: int, rng: np.random.Generator) -> float:
    """Median pairwise Euclidean distance on at most ``max_points`` random rows (i < j)."""
    return float(np.sqrt(np.median(subsample_sq_distances(Z, max_points, rng))))


def mean_kernel(d2: np.ndarray, kind: str, bandwidth: float) -> float:
    """Mean kernel (or distance) value over squared distances ``d2``: the ``center``."""
    values = np.exp(-d2 / (2 * bandwidth**2)) if kind == "rbf" else np.sqrt(d2)
    return float(values.mean())


def _kernel_block(xp, Zi, Z, sq_i, sq, spec: KernelSpec, start: int):
    """K[I, :] − center for rows I = start, start + 1, ... (``xp``: torch or numpy).

    Squared distances come from ‖x‖² + ‖y‖² − 2xᵀy; a row's distance to itself is set to
    exactly 0 (the formula leaves rounding noise that a square root would amplify).
    """
    d2 = sq_i[:, None] + sq[None, :] - 2 * (Zi @ Z.T)
    rows = xp.arange(len(Zi))
    d2[rows, rows + start] = 0
    d2 = d2.clamp_(min=0) if xp.__name__ == "torch" else np.maximum(d2, 0, out=d2)
    if spec.kind == "rbf":
        d2 *= -0.5 / spec.bandwidth**2
        out = xp.exp(d2, out=d2) if xp is np else d2.exp_()
    else:
        out = np.sqrt(d2, out=d2) if xp is np else d2.sqrt_()
    out -= spec.center
    return out


def _forms_numpy(Z, V, spec, pairs, block, progress, desc):
    from .._progress import progress_bar

    n = len(Z)
    sq = (Z * Z).sum(1)
    quad, colsum = np.zeros(V.shape[1]), np.zeros(V.shape[1])
    cross = np.zeros(len(pairs))
    for start in progress_bar(range(0, n, block), desc=desc, disable=not progress,
                              leave=False):
        stop = min(start + block, n)
        KV = _kernel_block(np, Z[start:stop], Z, sq[start:stop], sq, spec, start) @ V
        quad += (V[start:stop] * KV).sum(0, dtype=np.float64)
        colsum += KV.sum(0, dtype=np.float64)
        if len(pairs):
            cross += (V[start:stop][:, pairs[:, 0]] * KV[:, pairs[:, 1]]).sum(
                0, dtype=np.float64)
    return quad, colsum, cross


def kernel_forms(Z: np.ndarray, V: np.ndarray, spec: KernelSpec,
                 pairs: np.ndarray | None = None, block: int | None = None,
                 device: str = "auto", progress: bool = False, desc: str = "kernel pass",
                 backend: str | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Quadratic forms of the shifted kernel for all columns of ``V`` in one blocked pass.

    Parameters
    ----------
    Z : ndarray of shape (N, d)
    V : ndarray of shape (N, C)
    spec : KernelSpec
    pairs : ndarray of shape (P, 2), optional
        Column pairs (u, w) whose cross form uᵀ K w is wanted.
    block : int, optional
        Rows per block (default: 128 MB of kernel values). ``block >= N`` is unblocked.
    device : str
        Torch device ("auto": CUDA, MPS, CPU); float64 input is computed in float64.
    backend : {"torch", "numpy"}, optional
        Default: numpy for at most 4,096 pooled rows on CPU (no torch overhead), else torch.

    Returns
    -------
    quad : ndarray (C,), float64
        vᵀ K v per column.
    colsum : ndarray (C,), float64
        1ᵀ K v per column.
    cross : ndarray (P,), float64
        uᵀ K w per pair.
    """
    n = len(Z)
    block = block or max(1, min(n, _BLOCK_BYTES // (4 * n)))
    pairs = np.zeros((0, 2), np.int64) if pairs is None else np.asarray(pairs, np.int64)
    if backend is None:
        backend = "numpy" if n <= _NUMPY_MAX_ROWS and device in ("auto", "cpu") else "torch"
    if backend == "numpy":
        return _forms_numpy(Z, V.astype(Z.dtype, copy=False), spec, pairs, block, progress,
                            desc)
    import torch

    from .._progress import progress_bar
    from ..embed.device import resolve_device

    dev = resolve_device(device)
    dtype = torch.float64 if Z.dtype == np.float64 else torch.float32
    if dev.type == "mps" and dtype == torch.float64:
        dev = torch.device("cpu")
    quad = torch.zeros(V.shape[1], dtype=torch.float64, device=dev)
    colsum = torch.zeros(V.shape[1], dtype=torch.float64, device=dev)
    cross = torch.zeros(len(pairs), dtype=torch.float64, device=dev)
    with torch.inference_mode():
        Zt = torch.as_tensor(Z, device=dev, dtype=dtype)
        Vt = torch.as_tensor(V, device=dev, dtype=dtype)
        sq = (Zt * Zt).sum(1)
        u_cols, w_cols = (torch.as_tensor(pairs[:, i], device=dev) for i in (0, 1))
        for start in progress_bar(range(0, n, block), desc=desc, disable=not progress,
                                  leave=False):
            stop = min(start + block, n)
            K = _kernel_block(torch, Zt[start:stop], Zt, sq[start:stop], sq, spec, start)
            KV = K @ Vt
            del K
            quad += (Vt[start:stop] * KV).sum(0, dtype=torch.float64)
            colsum += KV.sum(0, dtype=torch.float64)
            if len(pairs):
                cross += (Vt[start:stop][:, u_cols] * KV[:, w_cols]).sum(0, dtype=torch.float64)
    return quad.cpu().numpy(), colsum.cpu().numpy(), cross.cpu().numpy()
