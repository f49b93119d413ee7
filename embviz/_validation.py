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

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from ._blocks import nonfinite_rows


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
    accepts an EmbeddingSet, a numpy array (or array-like) or a torch tensor. An EmbeddingSet
    is known by its class marker ``_embviz_set``, so this module never imports it (the set
    imports the checks; nothing imports back).
    """
    return X.vectors if getattr(type(X), "_embviz_set", False) is True else X


def texts_of(data: Any, n: int | None = None, texts: Any = None) -> list[str] | None:
    """The texts of ``data`` (an EmbeddingSet's ``text`` column), or ``texts`` given for an
    array (checked to have ``n`` items when ``n`` is given), else ``None``."""
    if texts is None:
        return data.texts if getattr(type(data), "_embviz_set", False) is True else None
    texts = [str(t) for t in texts]
    if n is not None and len(texts) != n:
        raise ValueError(f"texts has {len(texts)} items but data has {n} rows")
    return texts


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
