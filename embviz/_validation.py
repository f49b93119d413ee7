"""Input checks, in one place, with messages that name the argument and what was expected.

Algorithm code calls these once at its entry point and then assumes clean input
(scikit-learn's parameter-validation idea, PR #22722).

Nesting: doors and kernels
--------------------------
A public function is a *door*: it checks its inputs once — vectors through
:func:`check_embeddings` (the one scan of the rows), a user's graph through
:func:`embviz.neighbors.check_knn_graph` (the one graph check; doors that already hold
checked rows call its kernel ``embviz.neighbors._check_graph`` with them, so the rows are not
scanned again) — and then calls *kernels*: private functions (``_twonn``, ``_mle``,
``_local_intrinsic_dimension``, ``_occurrence``, ``_knn_graph``, ``_subgraph``, ...) that take
checked arrays and graphs and never check them again. This is scikit-learn's
``validate_params(..., prefer_skip_nested_validation=True)`` decided once for the whole
package, and its public-function → private-kernel split (scikit-dimension's ``fit`` →
``_twonn``; datashader's single ``bypixel`` entry). The rules:

1. Public code never calls public code on rows or graphs it has already checked, and never
   inside a loop: composite results (``geometry_report``, its half-sample loops, region cards,
   :class:`~embviz.Exploration`) call kernels only.
2. A kernel is told what is known about its input instead of finding out again: e.g. local
   intrinsic dimension is told its rows are unit length (``unit=True``) and does not normalise
   them a second time.
3. Warnings about the data (duplicates left out, ties) are given once, by the door's own pass;
   a kernel run again on resamples is called with ``warn=False``, never wrapped in
   ``warnings.catch_warnings``.
4. Cheap scalar parameters a kernel receives from another door (a permutation count, say) may
   still be checked inside it; arrays and graphs are not.

``tests/test_check_counts.py`` counts the scans and graph checks of the composite results:
one scan of the input and at most one check of a given graph per report (with intervals too),
at most two scans per region card.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import numpy as np


def check_choice(value: Any, name: str, choices: Iterable[Any]) -> Any:
    """Return ``value`` if it is one of ``choices``, else raise ``ValueError``."""
    choices = list(choices)
    if value not in choices:
        raise ValueError(f"{name} must be one of {choices}, got {value!r}")
    return value


def check_positive_int(value: Any, name: str, minimum: int = 1) -> int:
    """Return ``value`` as ``int`` if it is an integer >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer >= {minimum}, got {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value}")
    return int(value)


#: Upper bound of ``n_permutations`` and ``n_resamples`` (see :func:`check_replicates`).
MAX_REPLICATES = 1_000_000


def check_replicates(value: Any, name: str, minimum: int = 1) -> int:
    """Return a count of permutations or resamples as ``int`` if it is in
    ``[minimum, MAX_REPLICATES]``.

    A million replicates resolve a p-value (1 / (1 + P)) or an interval end to 1e-6, beyond
    what any analysis reads; every replicate costs time and, in the permutation tests, a
    column of weights over all rows, so larger counts only exhaust memory.
    """
    value = check_positive_int(value, name, minimum)
    if value > MAX_REPLICATES:
        raise ValueError(f"{name} must be an integer in [{minimum}, {MAX_REPLICATES:,}], got "
                         f"{value:,}: a million replicates already resolve a p-value or an "
                         f"interval end to 1e-6, and each one costs time and memory")
    return value


def available_memory() -> int | None:
    """Bytes of memory a new allocation can use: ``MemAvailable`` on Linux, else the physical
    memory, ``None`` where neither is known."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        import os

        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, OSError, ValueError):
        return None


def _size(n_bytes: float) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if n_bytes < 1024 or unit == "TiB":
            return f"{n_bytes:.0f} {unit}" if unit == "bytes" else f"{n_bytes:.1f} {unit}"
        n_bytes /= 1024
    raise AssertionError  # pragma: no cover


def check_memory(n_bytes: float, what: str, advice: str) -> None:
    """Refuse, before allocating, work that needs more memory than is available.

    Parameters
    ----------
    n_bytes : float
        Estimated peak memory of the work.
    what : str
        The work, e.g. ``"mmd_test with n_permutations=100,000 on 40,000 rows"``.
    advice : str
        What to change to need less.
    """
    available = available_memory()
    if available is not None and n_bytes > available:
        raise ValueError(f"{what} needs about {_size(n_bytes)} of memory, more than the "
                         f"{_size(available)} available; {advice}")


def check_random_state(value: Any, name: str = "random_state") -> int | None:
    """Return a seed (an integer >= 0, as ``int``) or ``None``; anything else is refused."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be a non-negative integer or None, got "
                        f"{type(value).__name__} {value!r}")
    if value < 0:
        raise ValueError(f"{name} must be a non-negative integer or None, got {value}")
    return int(value)


def check_number(value: Any, name: str, low: float = -np.inf, high: float = np.inf,
                 low_open: bool = False, high_open: bool = False) -> float:
    """Return ``value`` as ``float`` if it is a real number in the stated interval.

    Parameters
    ----------
    value : Any
    name : str
        The argument's name, used in error messages.
    low, high : float
        Bounds of the interval (infinite by default).
    low_open, high_open : bool
        Whether the bound itself is excluded. NaN is always refused.

    Examples
    --------
    >>> check_number(0.95, "confidence", 0, 1, low_open=True, high_open=True)
    0.95
    """
    interval = (f"{'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}")
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a number in {interval}, got {type(value).__name__}")
    value = float(value)
    below = value <= low if low_open else value < low
    above = value >= high if high_open else value > high
    if np.isnan(value) or below or above:
        raise ValueError(f"{name} must be a number in {interval}, got {value!r}")
    return value


def check_p_values(p_values: Any, name: str = "p_values",
                   allow_nan: bool = False) -> np.ndarray:
    """Return ``p_values`` as a 1-D float64 array of values in [0, 1] (NaN refused unless
    ``allow_nan``, where it marks an untested entry).

    The one check of the multiplicity corrections (:func:`embviz.stats.holm`,
    :func:`embviz.stats.benjamini_hochberg`): a NaN would make every adjusted value NaN, and a
    "p-value" of 2 is not one to clip.
    """
    try:
        p = np.asarray(p_values, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a 1-D array of values in [0, 1], got "
                        f"{type(p_values).__name__}") from None
    if p.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array of values in [0, 1], got shape {p.shape}")
    bad = np.flatnonzero(~((p >= 0) & (p <= 1) | (allow_nan & np.isnan(p))))  # NaN fails both
    if bad.size:
        raise ValueError(f"{name} must be a 1-D array of values in [0, 1]; {bad.size} are not, "
                         f"first {float(p[bad[0]]):g} at position {int(bad[0])}")
    return p


def check_measure(measure: Any, name: str = "measure") -> None:
    """Refuse a ``measure`` that is not callable (a resampling interval calls it per resample)."""
    if not callable(measure):
        raise TypeError(f"{name} must be a callable taking an array (n, d) and returning a "
                        f"number (e.g. embviz.metrics.isoscore), got {type(measure).__name__}")


def check_counts(values: Any, name: str, minimum: int = 0) -> np.ndarray:
    """Return counts (a number or an array of them) as float64, if every one is a whole
    number >= ``minimum``.

    Whole-valued floats (``3.0``, e.g. a sum of booleans in a float column) are accepted;
    fractions, NaN, infinities and negative counts are refused.
    """
    try:
        x = np.asarray(values)
    except (TypeError, ValueError):
        x = np.asarray(values, dtype=object)
    if x.dtype == bool or x.dtype.kind not in "iuf":
        raise TypeError(f"{name} must be whole numbers >= {minimum} (counts), got "
                        f"{type(values).__name__} of dtype {x.dtype}")
    x = x.astype(np.float64)
    bad = np.flatnonzero(~(np.isfinite(x) & (x == np.round(x)) & (x >= minimum)))
    if bad.size:
        raise ValueError(f"{name} must be whole numbers >= {minimum} (counts), got "
                         f"{float(x.ravel()[bad[0]]):g}"
                         + (f" at position {int(bad[0])}" if x.ndim else ""))
    return x


def check_rows(rows: Any, n: int, name: str = "rows", min_rows: int = 0) -> np.ndarray:
    """Distinct row numbers in ``[0, n)``, sorted, as int64.

    Accepts a 1-D array of integers or a boolean mask of length ``n`` (its true rows).
    Floats are refused (``1.7`` is not a row; ``True``/``False`` are read as a mask, never
    as rows 1 and 0), as are rows out of range and, with ``min_rows``, too few rows.
    """
    rows = np.asarray(rows)
    if rows.dtype == bool:
        if rows.shape != (n,):
            raise ValueError(f"{name} as a boolean mask must have shape ({n},), got "
                             f"{rows.shape}")
        rows = np.flatnonzero(rows)
    if rows.ndim != 1 or (rows.size and rows.dtype.kind not in "iu"):
        raise TypeError(f"{name} must be a 1-D array of row numbers (integers) or a boolean "
                        f"mask of length {n}, got {rows.dtype} of shape {rows.shape}")
    rows = np.unique(rows.astype(np.int64))
    if rows.size and (rows[0] < 0 or rows[-1] >= n):
        raise ValueError(f"{name} must lie in [0, {n}), got {rows[0]}..{rows[-1]}")
    if rows.size < min_rows:
        raise ValueError(f"{name} must hold at least {min_rows} distinct rows, got {rows.size}")
    return rows


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


def invalid_text_positions(texts: Sequence[Any]) -> list[int]:
    """Positions of items that are not non-empty strings (None, numbers, ``""``, ``"  "``)."""
    return [i for i, t in enumerate(texts) if not isinstance(t, str) or not t.strip()]


def check_texts(texts: Any, name: str = "texts") -> list[str]:
    """Return ``texts`` as a list of non-empty strings, or raise a clear error.

    Parameters
    ----------
    texts : sequence of str
        A list, tuple, numpy array or pandas Series of strings. A single string is refused
        (it would otherwise be iterated character by character).
    name : str
        The argument's name, used in error messages.
    """
    if isinstance(texts, (str, bytes)):
        raise TypeError(f"{name} must be a sequence of strings, got a single string; "
                        f"wrap it in a list: [{name}]")
    if not isinstance(texts, Iterable):
        raise TypeError(f"{name} must be a sequence of strings, got {type(texts).__name__}")
    texts = list(texts)
    if not texts:
        raise ValueError(f"{name} is empty: expected at least one text")
    bad = invalid_text_positions(texts)
    if bad:
        examples = ", ".join(f"[{i}]={texts[i]!r}" for i in bad[:5])
        raise ValueError(f"{name} must hold non-empty strings; {len(bad)} item(s) are not: "
                         f"{examples}{' ...' if len(bad) > 5 else ''}")
    return texts


def vectors_of(X: Any) -> Any:
    """The vectors of an :class:`~embviz.EmbeddingSet`; anything else unchanged.

    The one place where the package unwraps its inputs: every function that takes vectors
    accepts an EmbeddingSet, a numpy array (or array-like) or a torch tensor.
    """
    from .embedding_set import EmbeddingSet

    return X.vectors if isinstance(X, EmbeddingSet) else X


def check_embeddings(X: Any, name: str = "X", min_rows: int = 1,
                     allow_nan: bool = False) -> np.ndarray:
    """Return ``X`` as a C-contiguous float array of shape ``(n, d)``.

    Accepts an :class:`~embviz.EmbeddingSet`, numpy arrays, array-likes and torch tensors
    (moved to CPU) without importing torch. float64 input stays float64; anything else becomes
    float32.
    """
    X = vectors_of(X)
    if hasattr(X, "detach") and hasattr(X, "cpu"):  # a torch tensor
        X = X.detach().cpu().float().numpy()
    try:
        X = np.asarray(X)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{name} must be a numeric array of shape (n, d): {err}") from None
    if X.dtype.kind not in "fiub":
        raise TypeError(f"{name} must be a numeric array of shape (n, d), got dtype {X.dtype}")
    if X.ndim != 2:
        raise ValueError(f"{name} must be 2-D with shape (n, d), got shape {X.shape}")
    if X.shape[0] < min_rows:
        raise ValueError(f"{name} needs at least {min_rows} row(s), got {X.shape[0]}")
    if X.shape[1] < 1:
        raise ValueError(f"{name} needs at least one column, got shape {X.shape}")
    X = np.ascontiguousarray(X, dtype=np.float64 if X.dtype == np.float64 else np.float32)
    if not allow_nan:
        rows = nonfinite_rows(X)
        if rows.size:
            raise ValueError(f"{name} contains NaN or infinite values in {len(rows)} row(s), "
                             f"first at rows {rows[:5].tolist()}")
    return X


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
