"""A selection of points: exact row numbers, set operations, and what the selection holds.

A :class:`Selection` is made from a box or a lasso on a 2-D map (computed from the
coordinates, so it is exact at any scale), combined with another one (replace, add,
intersect, subtract), and taken back to analysis as a table of the selected rows or as the
mix of a column's values against the whole corpus, with a test of over-representation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._validation import check_choice, check_number, check_positive_int, check_rows

__all__ = ["COMBINE_MODES", "Selection", "composition"]

#: How a new selection combines with the current one.
COMBINE_MODES = ("replace", "add", "intersect", "subtract")


@dataclass(frozen=True)
class Selection:
    """Row numbers of selected points (sorted, unique) out of ``n`` points.

    Parameters
    ----------
    rows : array-like of int, or boolean mask of shape (n,)
        Row numbers in ``[0, n)`` (sorted and de-duplicated here), or a boolean mask of
        length ``n`` whose true entries are the selected rows. Floats are refused (a row is
        an integer), and so are rows out of range and masks of another length.
    n : int
        Points in the corpus, >= 0.
    how : str, default ""
        How it was made, for display (e.g. ``"box"``, ``"lasso"``, ``"box, then intersect"``).

    Raises
    ------
    TypeError
        ``rows`` not integers (or a mask), ``n`` not an integer.
    ValueError
        Rows out of ``[0, n)``, a mask of another length, a negative ``n``.

    Examples
    --------
    >>> a = Selection([3, 1, 2], n=10, how="box")
    >>> b = Selection([2, 3, 4], n=10, how="lasso")
    >>> a.combine(b, "intersect").rows.tolist(), len(a.combine(b, "add"))
    ([2, 3], 4)
    >>> Selection(np.array([True, False, True]), n=3).rows.tolist()
    [0, 2]
    """

    rows: np.ndarray
    n: int
    how: str = ""

    def __post_init__(self):
        n = check_positive_int(self.n, "n", minimum=0)
        object.__setattr__(self, "n", n)
        object.__setattr__(self, "rows", check_rows(self.rows, n))

    def __len__(self) -> int:
        return len(self.rows)

    @classmethod
    def from_box(cls, coords, bounds) -> Selection:
        """The points of ``coords`` ``(n, 2)`` inside ``bounds = (x0, y0, x1, y1)``.

        Points with a NaN coordinate (not drawn) are never inside.
        """
        from .viz.datamap import rows_in_box

        coords = _check_coords(coords)
        values = _vertices(bounds, "bounds")
        if values.shape != (4,):
            raise ValueError(f"bounds must be 4 numbers (x0, y0, x1, y1), got "
                             f"{values.size}")
        return cls(rows_in_box(coords, values), len(coords), "box")

    @classmethod
    def from_polygon(cls, coords, xs, ys) -> Selection:
        """The points of ``coords`` ``(n, 2)`` inside the polygon (lasso) ``xs, ys``.

        ``xs`` and ``ys`` are the vertices' coordinates, of one length; fewer than 3 vertices
        enclose nothing (an empty selection). Points with a NaN coordinate are never inside.
        """
        from .viz.datamap import rows_in_polygon

        coords = _check_coords(coords)
        xs, ys = _vertices(xs, "xs"), _vertices(ys, "ys")
        if xs.shape != ys.shape:
            raise ValueError(f"xs and ys must be the polygon's vertices, one x and one y each: "
                             f"got {xs.size} xs and {ys.size} ys")
        return cls(rows_in_polygon(coords, xs, ys), len(coords), "lasso")

    def combine(self, other: Selection, mode: str = "replace") -> Selection:
        """This selection combined with ``other`` by one of :data:`COMBINE_MODES`."""
        check_choice(mode, "mode", COMBINE_MODES)
        if not isinstance(other, Selection):
            raise TypeError(f"other must be a Selection, got {type(other).__name__}")
        if other.n != self.n:
            raise ValueError(f"cannot combine selections of {self.n} and {other.n} points")
        if mode == "replace":
            return other
        operation = {"add": np.union1d, "intersect": np.intersect1d,
                     "subtract": np.setdiff1d}[mode]
        return Selection(operation(self.rows, other.rows), self.n, f"{self.how}, {mode} "
                         f"{other.how}".strip(", "))

    def mask(self) -> np.ndarray:
        """A boolean mask ``(n,)``, true on the selected rows."""
        mask = np.zeros(self.n, dtype=bool)
        mask[self.rows] = True
        return mask

    def rows_table(self, meta: pd.DataFrame) -> pd.DataFrame:
        """The selected rows of ``meta`` (all its columns: ids, texts, metadata), in row
        order, indexed by row number.

        A listing of rows, not a result: a selection has no ``table()`` (the long result
        table of :mod:`embviz._tables`)."""
        if not isinstance(meta, pd.DataFrame):
            raise TypeError(f"meta must be a pandas DataFrame, got {type(meta).__name__}")
        if len(meta) != self.n:
            raise ValueError(f"meta has {len(meta)} rows but the selection is over {self.n}")
        table = meta.iloc[self.rows].copy()
        table.index = pd.Index(self.rows, name="row")
        return table


def _check_coords(coords) -> np.ndarray:
    """Map coordinates as a float array (n, 2); NaN allowed (a point not drawn)."""
    try:
        coords = np.asarray(coords, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"coords must be numbers of shape (n, 2), got "
                        f"{type(coords).__name__}") from None
    if coords.ndim != 2 or coords.shape[1] != 2:
        raise ValueError(f"coords must have shape (n, 2) (a 2-D map), got {coords.shape}")
    return coords


def _vertices(values, name: str) -> np.ndarray:
    """A 1-D array of finite numbers (polygon vertices, box bounds)."""
    try:
        values = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a 1-D sequence of numbers, got "
                        f"{type(values).__name__}") from None
    if values.ndim != 1:
        raise ValueError(f"{name} must be a 1-D sequence of numbers, got shape {values.shape}")
    if not np.isfinite(values).all():
        raise ValueError(f"{name} must be finite numbers, got {values.tolist()[:8]}")
    return values


def composition(values, rows, alpha: float = 0.05) -> pd.DataFrame:
    """The mix of a column's values in a selection against the whole corpus, with a one-sided
    test of over-representation for each value.

    For each value ``v`` with ``K`` of ``N`` points in the corpus and ``k`` of the ``n``
    selected ones, the p-value is the hypergeometric upper tail ``P(X >= k)``, ``X ~
    Hypergeom(N, K, n)`` (the one-sided Fisher exact test of the 2 x 2 table
    selected x has-value); ``q_value`` applies the Benjamini-Hochberg correction over all
    values tested.

    Parameters
    ----------
    values : array-like of shape (N,)
        A categorical column (missing values are counted as "(missing)").
    rows : array-like of int, or boolean mask of shape (N,)
        Selected row numbers in ``[0, N)`` (or a mask, as in :class:`Selection`).
    alpha : float in (0, 1), default 0.05
        ``over_represented`` is ``q_value < alpha``.

    Returns
    -------
    DataFrame, one row per value, most selected first, with ``value``, ``n_selected``,
    ``share_selected``, ``n_corpus``, ``share_corpus``, ``enrichment`` (share ratio),
    ``p_value``, ``q_value``, ``over_represented``.

    References
    ----------
    Rivals, I., Personnaz, L., Taing, L., & Potier, M.-C. (2007). Enrichment or depletion of a
    GO category within a class of genes: which test? Bioinformatics 23(4), 401-407.
    Benjamini, Y., & Hochberg, Y. (1995). Controlling the false discovery rate. JRSS B 57(1).

    Examples
    --------
    >>> table = composition(["a"] * 50 + ["b"] * 50, rows=range(40))
    >>> table[["value", "n_selected", "n_corpus"]].values.tolist()
    [['a', 40, 50], ['b', 0, 50]]
    >>> bool(table["over_represented"].iloc[0])
    True
    """
    column = np.asarray(values, dtype=object)
    if column.ndim != 1:
        raise ValueError(f"values must be a 1-D column (one value per point), got shape "
                         f"{column.shape}")
    alpha = check_number(alpha, "alpha", 0, 1, low_open=True, high_open=True)
    return _composition(column, check_rows(rows, len(column)), alpha)


def _composition(column: np.ndarray, rows: np.ndarray, alpha: float = 0.05) -> pd.DataFrame:
    """:func:`composition` of a 1-D column and checked rows (the kernel behind the door)."""
    from scipy.stats import hypergeom

    from .stats.multiplicity import _benjamini_hochberg

    text = pd.Series(column).astype("string").fillna("(missing)")
    corpus = text.value_counts()
    selected = text.iloc[rows].value_counts().reindex(corpus.index, fill_value=0)
    n_all, n_selected = len(text), len(rows)
    p_value = hypergeom.sf(selected.to_numpy() - 1, n_all, corpus.to_numpy(), n_selected)
    table = pd.DataFrame({
        "value": corpus.index.astype(str), "n_selected": selected.to_numpy(),
        "share_selected": selected.to_numpy() / max(n_selected, 1),
        "n_corpus": corpus.to_numpy(), "share_corpus": corpus.to_numpy() / n_all,
        "p_value": np.clip(p_value, 0.0, 1.0)})
    table.insert(5, "enrichment", table["share_selected"] / table["share_corpus"])
    table["q_value"] = _benjamini_hochberg(table["p_value"].to_numpy(np.float64))
    table["over_represented"] = (table["q_value"] < alpha) & (table["n_selected"] > 0)
    return table.sort_values(["n_selected", "n_corpus"], ascending=False, kind="stable"
                             ).reset_index(drop=True)
