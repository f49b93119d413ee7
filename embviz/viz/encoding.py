"""Colour encodings chosen by the data, shared by the map on the screen and its export.

:func:`choose_encoding` looks at the values that colour a map and picks how to show them:

- **category** — strings, booleans or at most 12 distinct numbers: one colour each from
  colorcet's Glasbey palette (distinguishable well past 45 categories);
- **diverging** — signed values (both signs, each on at least 5% of the points, or ends
  named by the caller): a diverging scale centred at 0, symmetric, with both ends named
  ("more KJV-like ↔ more WEB-like");
- **sparse** — non-negative values that are zero on at least half of the points (SAE
  activations): the active points are coloured and drawn on top, the zeros faint grey;
- **log** — heavy-tailed non-negative counts (k-occurrence): ``log10(1 + v)``, with ticks
  in the original units;
- **linear** — anything else.

Points without a value (NaN: a measure that left them out) are never coloured as if they had
one: they are drawn in :data:`NO_VALUE_COLOR` and counted in the legend as "no value".

References
----------
Kovesi (2015), "Good colour maps: how to design them", arXiv:1509.03700 (colorcet's
perceptually uniform and diverging maps); Glasbey et al. (2007), Color Research & Application
32(4).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = ["MAX_CATEGORIES", "NO_VALUE_COLOR", "ZERO_COLOR", "ColorEncoding", "category_colors",
           "choose_encoding", "is_continuous"]

#: Categories past this many share the last colour (grey) and the legend entry "other".
MAX_CATEGORIES = 255
_OTHER_COLOR = "#b0b0b0"


def category_colors(n: int) -> list[str]:
    """``n`` distinguishable hex colours: colorcet's Glasbey palette (256 colours, light
    colours removed), then grey for every category past :data:`MAX_CATEGORIES`."""
    import colorcet

    palette = list(colorcet.palette["glasbey_category10"])[:MAX_CATEGORIES]
    return [palette[i] if i < len(palette) else _OTHER_COLOR for i in range(n)]


#: Colour of points without a value (and the legend swatch "no value").
NO_VALUE_COLOR = "#d9d9d9"
#: Colour of the zeros of a sparse measure (drawn faint, under the active points).
ZERO_COLOR = "#c8c8c8"
_PALETTES = {"linear": "bmy", "log": "bmy", "sparse": "bmy", "diverging": "coolwarm"}
_MAX_CATEGORY_NUMBERS = 12
_SPARSE_ZEROS = 0.5
_SIGNED_SHARE = 0.05
_HEAVY_TAIL = 4.0  # max / median above this (and skewness > 1): a log scale


@dataclass(frozen=True)
class ColorEncoding:
    """How one column of values becomes colours.

    Attributes
    ----------
    kind : {"category", "linear", "log", "sparse", "diverging"}
    name : str
        The values' display name (legend and colour-bar title).
    low, high : float
        The colour range in *scaled* units (``log10(1 + v)`` for "log"; the active values for
        "sparse"; symmetric about 0 for "diverging").
    ends : (str, str)
        What the low and high ends mean ("diverging" only; empty otherwise).
    missing : int
        Points without a value.
    zeros : int
        Zero-valued points ("sparse" only).
    n : int
        Points in all.
    """

    kind: str
    name: str
    low: float = 0.0
    high: float = 1.0
    ends: tuple[str, str] = ("", "")
    missing: int = 0
    zeros: int = 0
    n: int = 0
    categories: tuple[str, ...] = field(default=(), repr=False)

    @property
    def continuous(self) -> bool:
        return self.kind != "category"

    @property
    def palette(self) -> list[str]:
        """Hex colours: one per category, or the continuous scale from low to high."""
        import colorcet

        if self.kind == "category":
            return category_colors(len(self.categories))
        return list(colorcet.palette[_PALETTES[self.kind]])

    def scale(self, values) -> np.ndarray:
        """Values in the units of ``low``/``high`` (float64; NaN stays NaN; zeros of a
        sparse measure become NaN, they are drawn apart)."""
        values = np.asarray(values, dtype=np.float64)
        if self.kind == "log":
            with np.errstate(invalid="ignore"):
                return np.log10(1 + np.clip(values, 0, None))
        if self.kind == "sparse":
            return np.where(values == 0, np.nan, values)
        return values

    def colors(self, scaled: np.ndarray) -> np.ndarray:
        """RGB floats ``(..., 3)`` of scaled values on the colour range (NaN -> low end)."""
        palette = np.array([hex_rgb(c) for c in self.palette], np.float64)
        span = (self.high - self.low) or 1.0
        position = (np.nan_to_num(scaled, nan=self.low) - self.low) / span
        index = np.clip((position * (len(palette) - 1)).round().astype(int), 0,
                        len(palette) - 1)
        return palette[index]

    def ticks(self, count: int = 5) -> tuple[list[float], list[str]]:
        """Colour-bar ticks: positions in scaled units and their labels in the data's own
        units (the ends of a diverging scale carry their names)."""
        if self.kind == "log":
            top = 10 ** self.high - 1
            values = [v for v in _log_ticks(top) if v <= top]
            if top >= 1.5 * values[-1]:  # the top of the scale is labelled too
                values.append(float(f"{top:.2g}"))
            return [float(np.log10(1 + v)) for v in values], [_number(v) for v in values]
        if self.kind == "diverging":
            count = 3  # the two named ends and 0
        positions = list(np.linspace(self.low, self.high, count))
        labels = [_number(p) for p in positions]
        if self.kind == "diverging" and any(self.ends):
            labels[0] = f"{labels[0]} {self.ends[0]}".strip()
            labels[-1] = f"{labels[-1]} {self.ends[1]}".strip()
        return positions, labels

    def grey_entries(self) -> list[tuple[str, str, int]]:
        """``(label, colour, points)`` of the grey legend swatches the map needs: "zero" (a
        sparse measure's zeros) and "no value", each only when some point is one."""
        entries = (("zero", ZERO_COLOR, self.zeros), ("no value", NO_VALUE_COLOR, self.missing))
        return [entry for entry in entries if entry[2]]

    def describe(self) -> str:
        """One line under the colour bar: the scale and what is not coloured."""
        scale = {"linear": "linear scale", "log": "log scale, log10(1 + value)",
                 "sparse": f"{self.n - self.zeros - self.missing:,} active points on top "
                           f"({(self.n - self.zeros - self.missing) / max(self.n, 1):.1%}); "
                           f"{self.zeros:,} zeros faint",
                 "diverging": "diverging scale centred at 0"
                              + (f": {self.ends[0]} ↔ {self.ends[1]}" if any(self.ends)
                                 else ""),
                 "category": f"{len(self.categories)} categories"}[self.kind]
        return scale + (f"; {self.missing:,} points have no value (grey)" if self.missing
                        else "")


def choose_encoding(values, name: str = "", ends: tuple[str, str] | None = None,
                    categories: list[str] | None = None) -> ColorEncoding:
    """The encoding the values call for (see the module notes).

    Parameters
    ----------
    values : array-like of shape (n,)
    name : str
        Display name of the values.
    ends : (str, str), optional
        Names of the negative and positive ends: the values are signed (a diverging scale),
        e.g. ``("more KJV-like", "more WEB-like")``.
    categories : list of str, optional
        The category order, when the values are categories (the caller's legend order).

    Returns
    -------
    ColorEncoding
    """
    series = pd.Series(np.asarray(values)).reset_index(drop=True)
    if categories is not None or not is_continuous(series):
        order = categories if categories is not None else (
            series.astype("string").fillna("(missing)").value_counts().index.tolist())
        return ColorEncoding("category", name, categories=tuple(map(str, order)),
                             n=len(series))
    numbers = series.to_numpy(np.float64)
    finite = numbers[np.isfinite(numbers)]
    common = dict(name=name, missing=int(len(numbers) - finite.size), n=len(numbers))
    if finite.size == 0:
        return ColorEncoding("linear", **common)
    if ends is not None or _signed(finite):
        top = float(np.abs(finite).max()) or 1.0
        return ColorEncoding("diverging", low=-top, high=top, ends=tuple(ends or ("", "")),
                             **common)
    nonnegative = finite.min() >= 0
    zeros = int((finite == 0).sum())
    if nonnegative and zeros >= _SPARSE_ZEROS * finite.size and zeros < finite.size:
        active = finite[finite > 0]
        return ColorEncoding("sparse", low=float(active.min()), high=float(active.max()),
                             zeros=zeros, **common)
    if nonnegative and _heavy_tailed(finite):
        return ColorEncoding("log", low=0.0, high=float(np.log10(1 + finite.max())), **common)
    low, high = float(finite.min()), float(finite.max())
    return ColorEncoding("linear", low=low, high=high if high > low else low + 1, **common)


def is_continuous(values: pd.Series) -> bool:
    """Numbers with more than 12 distinct values, or with fractions (a measure on a grid, as
    kNN recall's 0, 0.1, …, 1); few whole numbers, strings or booleans are categories."""
    if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        return False
    if values.nunique() > _MAX_CATEGORY_NUMBERS:
        return True
    finite = values.to_numpy(np.float64)
    finite = finite[np.isfinite(finite)]
    return bool((finite != np.round(finite)).any())


def _signed(finite: np.ndarray) -> bool:
    return bool((finite < 0).mean() >= _SIGNED_SHARE and (finite > 0).mean() >= _SIGNED_SHARE)


def _heavy_tailed(finite: np.ndarray) -> bool:
    from scipy import stats

    median = np.median(finite)
    return bool(finite.max() > _HEAVY_TAIL * max(median, 1e-12) and stats.skew(finite) > 1)


def _log_ticks(top: float) -> list[float]:
    """0, 1, 2, 5, 10, 20, 50, ... up to ``top`` (at most ~7 of them)."""
    ticks = [0.0]
    decade = 1.0
    while decade <= max(top, 1):
        ticks += [decade * m for m in (1, 2, 5) if decade * m <= top or decade == 1]
        decade *= 10
    if len(ticks) > 7:
        ticks = [0.0] + [t for t in ticks[1:] if np.log10(t) % 1 == 0]
    return ticks


def _number(value: float) -> str:
    if value == 0:
        return "0"
    text = f"{value:.3g}"
    return text.replace("-", "−")


def hex_rgb(color: str) -> tuple[int, int, int]:
    color = color.lstrip("#")
    return tuple(int(color[i:i + 2], 16) for i in (0, 2, 4))
