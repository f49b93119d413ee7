"""Drift over time: each time window tested against a reference window."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._validation import check_number, check_positive_int, check_replicates
from ..embedding_set import EmbeddingSet
from ..stats import benjamini_hochberg
from ._inputs import MIN_SAMPLE
from .table import TESTS, _run

__all__ = ["drift_over_time"]


def _windows(time: pd.Series, window) -> pd.Series:
    """Window label per row: equal-frequency bins (int) or calendar periods (str)."""
    if isinstance(window, str):
        if not pd.api.types.is_datetime64_any_dtype(time):
            try:
                time = pd.to_datetime(time)
            except (TypeError, ValueError) as err:
                raise ValueError(f"window={window!r} (a pandas frequency) needs a datetime "
                                 f"time column: {err}") from None
        frame = pd.DataFrame({"t": time})
        try:
            grouped = frame.groupby(pd.Grouper(key="t", freq=window))
        except ValueError as err:
            raise ValueError(f"window={window!r} is not a pandas frequency: {err}") from None
        starts = np.array(sorted(grouped.groups.keys()))
        return pd.Series(starts[grouped.ngroup().to_numpy()], index=time.index)
    window = check_positive_int(window, "window")
    if not (pd.api.types.is_numeric_dtype(time) or pd.api.types.is_datetime64_any_dtype(time)):
        raise TypeError(f"the time column must be numeric or datetime, got {time.dtype}")
    if time.nunique() <= window:  # few distinct times (1769 and 2020): one window each
        return time.copy()
    codes = pd.qcut(time.rank(method="dense"), window, labels=False, duplicates="drop")
    starts = time.groupby(codes).transform("min")
    return starts


def _reference_mask(time: pd.Series, labels: pd.Series, reference) -> np.ndarray:
    if reference is None:
        return (labels == labels.min()).to_numpy()
    if not (isinstance(reference, tuple) and len(reference) == 2):
        raise TypeError(f"reference must be None (first window) or a (low, high) tuple of "
                        f"times, got {reference!r}")
    low, high = reference
    return ((time >= low) & (time <= high)).to_numpy()


def drift_over_time(data: EmbeddingSet, time_column: str = "time", reference=None,
                    window=5, test: str = "mmd", n_permutations: int = 500,
                    alpha: float = 0.05, random_state: int | None = 0, device: str = "auto",
                    progress: bool = True) -> pd.DataFrame:
    """Test every time window of a corpus against a reference period.

    Parameters
    ----------
    data : EmbeddingSet
        With a numeric or datetime column ``time_column`` in its ``meta``.
    time_column : str, default "time"
    reference : (low, high), optional
        Rows with low <= time <= high form the reference; default: the first window.
    window : int or str, default 5
        An int: that many equal-frequency bins of the time values (ties stay together, so
        fewer bins may result; a column with at most that many distinct times gets one
        window per time, e.g. the Bible's 1769 and 2020); a str: a pandas frequency over a
        datetime column, bins as in ``pd.Grouper(freq=...)`` ("MS", "QS", "YS", "10YS", "W", ...).
    test : {"mmd", "energy", "depth", "classifier", "centroid", "dimensions"}, default "mmd"
    n_permutations : int, default 500
        Permutations of the permutation tests (MMD, energy, centroid), at most 1,000,000.
    alpha : float in (0, 1), default 0.05
        False-discovery rate of the ``significant`` column, and the level the effect
        intervals match: (1 − 2·alpha) intervals whose lower end is the one-sided (1 − alpha)
        bound, so a permutation test's ``ci_low > 0`` exactly when the window's own
        ``p_value < alpha``.
    random_state : int or None, default 0
    device : str, default "auto"
    progress : bool, default True

    Returns
    -------
    pandas.DataFrame, one row per window in time order
        ``window`` (start time), ``end`` (last time in the window), ``n``, ``n_reference``,
        ``is_reference``, ``statistic``, ``p_value``; ``q_value``: Benjamini–Hochberg over
        the windows tested in this call (each against the same reference, so their p-values
        are positively dependent, where BH holds; NaN for the reference and for windows too
        small to test); ``significant``: ``q_value < alpha`` (False where nothing was
        tested); ``effect_size``, ``ci_low``, ``ci_high`` (the test's effect and interval:
        for the permutation tests ``ci_low > 0`` exactly when the window's own p-value is
        below ``alpha``, see :func:`~embviz.drift.mmd_test`), ``method``, ``note`` (why a
        row is empty).

    References
    ----------
    Benjamini & Hochberg (1995), "Controlling the false discovery rate", JRSS B 57;
    Benjamini & Yekutieli (2001), Annals of Statistics 29 (BH under positive dependence).
    """
    if not isinstance(data, EmbeddingSet):
        raise TypeError(f"data must be an EmbeddingSet (it needs the time column), got "
                        f"{type(data).__name__}")
    if time_column not in data.meta.columns:
        raise ValueError(f"time_column={time_column!r} is not a column of the EmbeddingSet's "
                         f"meta; its columns are {list(data.meta.columns)}")
    if test not in TESTS:
        raise ValueError(f"test must be one of {list(TESTS)}, got {test!r}")
    check_replicates(n_permutations, "n_permutations")
    alpha = check_number(alpha, "alpha", 0, 1, low_open=True, high_open=True)
    time = data.meta[time_column]
    if time.isna().any():
        raise ValueError(f"time column {time_column!r} has {int(time.isna().sum())} missing "
                         f"values; drop those rows first")
    labels = _windows(time, window)
    if labels.nunique() < 2 and reference is None:
        raise ValueError(f"time column {time_column!r} forms a single window "
                         f"({_times(time)}): there is no second period to compare with; "
                         f"use more windows or a column with more distinct times")
    ref = _reference_mask(time, labels, reference)
    if ref.sum() < MIN_SAMPLE:
        raise ValueError(f"the reference holds {int(ref.sum())} rows; at least {MIN_SAMPLE} "
                         f"are needed")
    X = data.vectors
    seeds = np.random.SeedSequence(random_state).generate_state(labels.nunique())
    rows = []
    for (start, idx), seed in zip(labels.groupby(labels).groups.items(), seeds):
        rows.append(_window_row(X, ref, np.asarray(idx), start, time.loc[idx].max(), test, alpha,
                                n_permutations, int(seed), device, progress))
    return _with_q_values(pd.DataFrame(rows), alpha)


def _times(time: pd.Series) -> str:
    values = sorted(time.unique())
    shown = ", ".join(map(str, values[:5])) + (", …" if len(values) > 5 else "")
    return f"{len(values)} distinct value{'s' if len(values) != 1 else ''}: {shown}"


def _with_q_values(table: pd.DataFrame, alpha: float) -> pd.DataFrame:
    """``q_value`` (BH over the tested windows, NaN elsewhere) and ``significant`` after
    ``p_value``."""
    q = benjamini_hochberg(table["p_value"].to_numpy(np.float64), nan_policy="omit")
    at = table.columns.get_loc("p_value") + 1
    table.insert(at, "q_value", q)
    table.insert(at + 1, "significant", q < alpha)  # NaN < alpha is False
    return table


def _window_row(X, ref, idx, start, end, test, alpha, n_permutations, seed, device,
                progress) -> dict:
    """One window's row; rows that are also in the reference are left out of its sample."""
    window = np.zeros(len(X), bool)
    window[idx] = True
    mask = window & ~ref
    row = {"window": start, "end": end, "n": int(mask.sum()), "n_reference": int(ref.sum()),
           "is_reference": bool((window & ref).any() and not mask.any()), "statistic": np.nan,
           "p_value": np.nan, "effect_size": np.nan, "ci_low": np.nan, "ci_high": np.nan,
           "method": test, "note": ""}
    if row["is_reference"]:
        row["note"] = "reference window"
    elif mask.sum() < MIN_SAMPLE:
        row["note"] = f"fewer than {MIN_SAMPLE} rows outside the reference"
    else:
        res = _run(test, X[ref], X[mask], n_permutations, seed, device, progress,
                   confidence=1 - 2 * alpha)
        row.update({k: v for k, v in res.to_dict().items()
                    if k in ("statistic", "p_value", "ci_low", "ci_high")},
                   effect_size=float(res.effect_size))  # to_dict() calls it "value"
    return row
