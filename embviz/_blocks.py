"""Streaming numerics: arrays read block by block, so a memory-mapped input is never copied.

Row blocks (:func:`read_blocks`, with pages of a memory map released behind the reader),
second moments in float64 at an exact power-of-two scale (:func:`scaled_moments`), unit rows
without a float64 copy of the input (:func:`unit_rows`), and the scans that find non-finite
rows or rows a float32 cast would overflow. The checks in :mod:`embviz._validation` and the
kernels of the measures use them; nothing here checks an argument.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np


def float32_overflow_rows(X: np.ndarray, block: int = 65_536) -> np.ndarray:
    """Row numbers of ``X`` (n, d) holding finite values beyond float32's range (|x| > 3.4e38):
    values that become infinite when the vectors are stored as float32. Empty for float32 (or
    narrower, or non-float) input and for anything that is not 2-D."""
    X = np.asarray(X)
    if X.ndim != 2 or X.dtype.kind != "f" or X.dtype.itemsize <= 4:
        return np.empty(0, np.int64)
    limit = np.finfo(np.float32).max
    bad = [rows.start + np.flatnonzero((np.isfinite(values) & (np.abs(values) > limit))
                                       .any(axis=-1))
           for rows, values in read_blocks(X, block)]
    return np.concatenate(bad) if bad else np.empty(0, np.int64)


def nonfinite_rows(X: np.ndarray, block: int = 65_536) -> np.ndarray:
    """Row numbers of ``X`` (n, d) holding NaN or infinite values, checked block by block.

    A memory-mapped ``X`` is read a block at a time, and no (n, d) mask is allocated (384 MB
    for 1M x 384 at once).
    """
    bad = [rows.start + np.flatnonzero(~np.isfinite(values).all(axis=1))
           for rows, values in read_blocks(X, block)]
    return np.concatenate(bad) if bad else np.empty(0, np.int64)


def power_of_two_scale(X: np.ndarray) -> int:
    """The exponent ``e`` with ``max|X|`` in ``[2**(e-1), 2**e)`` (0 for an all-zero ``X``).

    ``np.ldexp(X, -e)`` then has entries of magnitude below 1 and is *exactly* ``X / 2**e``
    (a power of two changes only the exponent), so scale-free computations on it (spectra,
    neighbours, unit rows) neither overflow nor underflow and give the same numbers as on
    ``X`` wherever ``X`` itself did not overflow.
    """
    peak = max((float(np.max(np.abs(values))) for _, values in read_blocks(X)
                if values.size), default=0.0)
    return int(np.frexp(peak)[1]) if peak > 0 else 0


#: Rows per block of the blocked statistics below (65,536 x 384 float64 is 200 MB).
BLOCK_ROWS = 65_536


def row_blocks(n: int, block: int = BLOCK_ROWS) -> list[slice]:
    """Slices of ``block`` consecutive rows covering ``0..n``.

    The blocked statistics read an ``(n, d)`` array a block at a time, so a memory-mapped
    array is never loaded whole and no ``(n, d)`` float64 copy is made.
    """
    return [slice(start, min(start + block, n)) for start in range(0, n, block)]


def read_blocks(X: np.ndarray, block: int = BLOCK_ROWS) -> Iterator[tuple[slice, np.ndarray]]:
    """``(rows, X[rows])`` for consecutive blocks of rows, releasing each block's mapped pages.

    Reading a memory-mapped file brings its pages into the process's resident memory, where
    they stay until the kernel needs the memory back: one pass over a 1M x 384 float32 ``.npy``
    adds 1.5 GB to the RSS. When ``X`` is a read-only ``numpy.memmap`` (or a view of one, as
    :func:`embviz.sources.open_npy` returns), each block's pages are handed back with
    ``madvise(MADV_DONTNEED)`` once the caller asks for the next block (they stay in the page
    cache: a later pass re-reads them without touching the disk). Any other array is read as
    it is; the values are the same either way.
    """
    release = _page_releaser(X)
    for rows in row_blocks(len(X), block):
        yield rows, X[rows]
        if release is not None:
            release(rows)


def release_pages(X: np.ndarray) -> None:
    """Hand back all mapped pages of a read-only memory-mapped ``X`` (see :func:`read_blocks`);
    nothing for any other array."""
    release = _page_releaser(X)
    if release is not None:
        release(slice(0, len(X)))


def _page_releaser(X: np.ndarray) -> Callable[[slice], None] | None:
    """A function releasing the pages of a row range of ``X``, when ``X`` is a C-contiguous
    view of a read-only ``numpy.memmap`` (shared and unmodifiable: dropping its pages can never
    lose data); else ``None``."""
    base = X
    while isinstance(base, np.ndarray) and not isinstance(base, np.memmap):
        base = base.base
    mapping = getattr(base, "_mmap", None)
    if (mapping is None or getattr(base, "mode", None) != "r" or not X.flags.c_contiguous
            or not hasattr(mapping, "madvise") or X.size == 0):
        return None
    import mmap

    try:
        start_of_map = np.frombuffer(mapping, np.uint8).__array_interface__["data"][0]
    except (TypeError, ValueError):  # a closed mapping
        return None
    first = X.__array_interface__["data"][0] - start_of_map
    row_bytes = X.strides[0]

    def release(rows: slice) -> None:
        begin = first + rows.start * row_bytes
        end = first + rows.stop * row_bytes
        begin -= begin % mmap.PAGESIZE  # madvise needs a page-aligned start
        try:
            mapping.madvise(mmap.MADV_DONTNEED, begin, min(end, len(mapping)) - begin)
        except (OSError, ValueError):  # best effort: the pages merely stay resident
            pass

    return release


def scaled_moments(X: np.ndarray, exponent: int = 0, center: bool = True,
                   dtype=np.float64) -> tuple[np.ndarray, np.ndarray]:
    """Mean and scatter matrix of ``X / 2**exponent``, accumulated block by block.

    Parameters
    ----------
    X : array of shape (n, d)
        Any array, memory-mapped ones included (read one block of rows at a time).
    exponent : int, default 0
        Rows are divided by ``2**exponent`` first (exact).
    center : bool, default True
        Scatter about the mean, Σ (x − μ)(x − μ)ᵀ (a second pass), or the uncentred Σ x xᵀ.
    dtype : numpy dtype, default float64
        Precision of each block's product (sums are float64).

    Returns
    -------
    mean : ndarray of shape (d,), float64
    scatter : ndarray of shape (d, d), float64
    """
    total = sum(np.ldexp(values.astype(dtype), -exponent).sum(axis=0, dtype=np.float64)
                for _, values in read_blocks(X))
    mean = total / len(X)
    scatter = np.zeros((X.shape[1], X.shape[1]))
    for _, values in read_blocks(X):
        block = np.ldexp(values.astype(dtype), -exponent).astype(dtype)
        if center:
            block = (block - mean).astype(dtype)
        scatter += (block.T @ block).astype(np.float64)
    return mean, scatter


# Rows whose norm lies outside this range are rescaled before normalising: their squared norm
# would overflow or lose precision in float64 (1e200 or 1e-300 times ordinary data).
_SAFE_NORMS = (1e-150, 1e150)


def unit_rows(X: np.ndarray, dtype=np.float64, name: str = "X",
              block: int = 65_536) -> np.ndarray:
    """Rows (along the last axis) scaled to unit L2 norm, for cosine geometry.

    Norms are accumulated in float64 block by block, so a float32 input of 1M x 384 needs no
    float64 copy. Rows of extreme scale (norms beyond 1e±150, whose squares overflow or
    underflow) are first divided by a power of two, exactly, so the result does not depend on
    the scale. Zero rows are refused: cosine is undefined for them.
    """
    X = np.asarray(X)
    out = np.empty(X.shape, dtype)
    for where, values in read_blocks(X, block):
        start = where.start
        rows = values.astype(np.float64)
        with np.errstate(over="ignore", under="ignore"):  # such rows are rescaled below
            norms = np.linalg.norm(rows, axis=-1, keepdims=True)
        extreme = ~((norms > _SAFE_NORMS[0]) & (norms < _SAFE_NORMS[1]))
        if extreme.any():
            peak = np.max(np.abs(rows), axis=-1, keepdims=True)
            exponent = np.where(extreme & (peak > 0), np.frexp(peak)[1], 0)
            rows = np.ldexp(rows, -exponent)
            norms = np.linalg.norm(rows, axis=-1, keepdims=True)
        zero = np.flatnonzero((norms == 0).any(axis=tuple(range(1, norms.ndim))))
        if zero.size:
            raise ValueError(f"{name} has zero row(s), first at row {start + zero[0]}: cosine "
                             f"is undefined for them")
        out[start:start + block] = np.divide(rows, norms, out=rows)  # no second float64 block
    return out
