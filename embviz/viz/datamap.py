"""Every point of a 2-D map, aggregated on the server by Datashader and drawn as one image.

A :class:`DataMap` holds the coordinates of all ``n`` points (no sampling) and re-aggregates
them into a ``width x height`` pixel grid for the visible range on every pan or zoom: a
million points take about a tenth of a second to aggregate on one core, and the browser only
receives the image. Categories are coloured by the mean colour of the points in each pixel
(palette: colorcet's Glasbey, distinguishable well past 45 categories), numbers by the pixel's
mean value on a fixed colour scale. Hovering a pixel shows the text and colour value of one
point in it (its lowest row number); box and lasso selections are computed from the geometry
in Python, so they give exact row numbers at any scale.

References
----------
Datashader: https://datashader.org. Glasbey et al. (2007), "Colour displays for categorical
images", Color Research & Application 32(4).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from .._validation import check_embeddings
from .encoding import (
    MAX_CATEGORIES,
    NO_VALUE_COLOR,
    ZERO_COLOR,
    ColorEncoding,
    category_colors,
    choose_encoding,
    hex_rgb,
    is_continuous,
)

__all__ = ["DataMap", "DrawnView", "datamap_figure", "rows_in_box", "rows_in_polygon"]

_HOVER_CHARS = 200
_MIN_ALPHA = 150  # the faintest non-empty pixel (one point) stays clearly visible
_UNSELECTED_ALPHA = 0.25  # how much unselected points fade while a selection is shown
_FAINT_ALPHA = 0.35  # the zeros of a sparse measure, under its active points


def rows_in_box(coords: np.ndarray, bounds) -> np.ndarray:
    """Row numbers of the points inside a box ``(x0, y0, x1, y1)``, edges included.

    Parameters
    ----------
    coords : ndarray of shape (n, 2)
    bounds : 4 numbers (left, bottom, right, top), in either order per axis

    Returns
    -------
    ndarray of int64, sorted
    """
    x0, y0, x1, y1 = (float(b) for b in bounds)
    x0, x1 = sorted((x0, x1))
    y0, y1 = sorted((y0, y1))
    x, y = coords[:, 0], coords[:, 1]
    return np.flatnonzero((x >= x0) & (x <= x1) & (y >= y0) & (y <= y1))


def rows_in_polygon(coords: np.ndarray, xs, ys) -> np.ndarray:
    """Row numbers of the points inside a polygon (a lasso), by the even-odd rule.

    Parameters
    ----------
    coords : ndarray of shape (n, 2)
    xs, ys : array-like of shape (m,), m >= 3
        The polygon's vertices in order; it is closed automatically.

    Returns
    -------
    ndarray of int64, sorted
    """
    from matplotlib.path import Path

    vertices = np.column_stack([np.asarray(xs, float), np.asarray(ys, float)])
    if len(vertices) < 3:
        return np.empty(0, dtype=np.int64)
    low, high = vertices.min(axis=0), vertices.max(axis=0)
    candidates = np.flatnonzero(((coords >= low) & (coords <= high)).all(axis=1))
    inside = Path(vertices).contains_points(coords[candidates])
    return candidates[inside]


@dataclass(frozen=True)
class DrawnView:
    """One view as :meth:`DataMap.element` drew it.

    Attributes
    ----------
    image : ndarray of shape (height, width, 4), uint8
        RGBA, row 0 at the bottom.
    x, y : ndarray of shape (width,), (height,)
        Pixel centres in data coordinates.
    points : int
        Points aggregated into the view.
    """

    image: np.ndarray
    x: np.ndarray
    y: np.ndarray
    points: int


class DataMap:
    """All points of a 2-D map, re-aggregated for each view.

    Parameters
    ----------
    coords : array-like of shape (n, 2)
    texts : array-like of shape (n,)
        Shown (truncated to 200 characters) when hovering a point.
    values : array-like of shape (n,), optional
        What colours the points: strings or few distinct values are categories (one colour
        each, in order of frequency), other numbers a continuous colour scale. ``None``
        colours by density only.
    name : str, default ""
        The name of ``values`` (legend title, hover label).
    ends : (str, str), optional
        Names of the negative and positive ends of signed values (a diverging scale centred
        at 0), e.g. ``("more KJV-like", "more WEB-like")``. The encoding is otherwise chosen
        from the values (:func:`~embviz.viz.encoding.choose_encoding`): categories, diverging,
        sparse (active points on top, zeros faint), log (heavy-tailed counts) or linear;
        points without a value (NaN) are grey and counted, never coloured.
    width, height : int
        Pixels of the first aggregation (later ones follow the plot's size).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> m = DataMap(rng.normal(size=(1000, 2)), [f"t{i}" for i in range(1000)],
    ...             values=rng.choice(["a", "b"], 1000), name="label")
    >>> image = m.shade(m.aggregate())
    >>> image.shape, image.dtype
    ((400, 600, 4), dtype('uint8'))
    >>> int(m.aggregate()["count"].sum())
    1000
    """

    def __init__(self, coords, texts, values=None, name: str = "", width: int = 600,
                 height: int = 400, ends: tuple[str, str] | None = None):
        coords = check_embeddings(coords, name="coords").astype(np.float32)
        if coords.shape[1] != 2:
            raise ValueError(f"coords must have 2 columns, got shape {coords.shape}")
        self.coords = coords
        self.texts = np.asarray(texts, dtype=object)
        if len(self.texts) != len(coords):
            raise ValueError(f"texts has {len(self.texts)} rows but coords has {len(coords)}")
        self.name = name
        self.width, self.height = int(width), int(height)
        self.selected: np.ndarray | None = None
        self.drawn: DrawnView | None = None  # the last view drawn by element()
        self._frame = pd.DataFrame({"x": coords[:, 0], "y": coords[:, 1],
                                    "row": np.arange(len(coords), dtype=np.float64)})
        self.categories: list[str] = []
        self.values = None
        self.encoding: ColorEncoding | None = None
        if values is not None:
            self._set_values(pd.Series(np.asarray(values)).reset_index(drop=True), ends)
        self.full_range = _padded_range(coords)

    def __len__(self) -> int:
        return len(self.coords)

    @cached_property
    def _hover_texts(self) -> np.ndarray:
        return _clip_texts(self.texts)

    @property
    def categorical(self) -> bool:
        return bool(self.categories)

    def _set_values(self, values: pd.Series, ends) -> None:
        if len(values) != len(self.coords):
            raise ValueError(f"values has {len(values)} rows but coords has {len(self.coords)}")
        if is_continuous(values):  # (categories: their encoding once their order is known)
            encoding = choose_encoding(values, self.name, ends)
            self.encoding = encoding
            self.values = values.to_numpy(np.float64)
            self._frame["value"] = encoding.scale(self.values)
            return
        text = values.astype("string").fillna("(missing)")
        order = text.value_counts(sort=True).index.tolist()
        shown = order[:MAX_CATEGORIES] + (["other"] if len(order) > MAX_CATEGORIES else [])
        codes = pd.Categorical(text, categories=order).codes.astype(np.int64)
        codes = np.minimum(codes, MAX_CATEGORIES)
        self.categories = shown
        self.encoding = choose_encoding(values, self.name, categories=shown)
        self.values = text.to_numpy(dtype=object)
        self._frame["category"] = pd.Categorical.from_codes(codes, categories=shown)

    # -- aggregation and shading -------------------------------------------------------------
    def aggregate(self, x_range=None, y_range=None, width: int | None = None,
                  height: int | None = None):
        """Aggregate every point inside the ranges into a pixel grid.

        Returns
        -------
        xarray.Dataset on ``(y, x)`` with ``count`` (points per pixel), ``first`` (the lowest
        row number in the pixel, ``-1`` if empty; int32), ``selected`` (selected points per
        pixel), and ``by_category`` ``(y, x, category)`` or ``mean`` (the mean value) when coloured.
        """
        import datashader as ds

        x_range = tuple(x_range) if x_range is not None else self.full_range[0]
        y_range = tuple(y_range) if y_range is not None else self.full_range[1]
        canvas = ds.Canvas(plot_width=max(int(width or self.width), 1),
                           plot_height=max(int(height or self.height), 1),
                           x_range=x_range, y_range=y_range)
        frame = self._frame
        if self.selected is not None:
            frame = frame.assign(is_selected=self._selected_mask())
        agg = canvas.points(frame, "x", "y", agg=self._reduction(self.selected is not None))
        agg["first"] = agg["first"].fillna(-1).astype(np.int32)
        return agg

    @functools.cache  # noqa: B019 - one reduction object per map, so Datashader compiles once
    def _reduction(self, with_selection: bool):
        import datashader as ds

        reductions = {"count": ds.count(), "first": ds.min("row")}
        if self.categorical:
            reductions["by_category"] = ds.count_cat("category")
        elif self.values is not None:  # scaled values; NaN (no value, sparse zeros) skipped
            reductions["mean"] = ds.mean("value")
            reductions["valued"] = ds.count("value")
        if with_selection:
            reductions["selected"] = ds.sum("is_selected")
        return ds.summary(**reductions)

    def _selected_mask(self) -> np.ndarray:
        mask = np.zeros(len(self), dtype=np.float32)
        mask[self.selected] = 1
        return mask

    def shade(self, agg) -> np.ndarray:
        """The RGBA image ``(height, width, 4)`` uint8 of an :meth:`aggregate` result; row 0
        is the bottom of the map (as Datashader's ``y`` axis). Where points are sparse they
        are drawn up to 3 pixels wide (Datashader's ``dynspread``), so a small corpus reads
        as points, not specks."""
        count = agg["count"].to_numpy().astype(np.float64)
        rgb = self._pixel_colors(agg, count)
        alpha = _density_alpha(count)
        if "valued" in agg:  # pixels whose points have no value (or are sparse zeros): grey
            grey = (agg["valued"].to_numpy() == 0) & (count > 0)
            sparse = self.encoding.kind == "sparse"
            rgb[grey] = hex_rgb(ZERO_COLOR if sparse else NO_VALUE_COLOR)
            alpha[grey] = alpha[grey] * (_FAINT_ALPHA if sparse else 1.0)
        if "selected" in agg:
            faded = agg["selected"].to_numpy() == 0
            alpha[faded] = alpha[faded] * _UNSELECTED_ALPHA
        image = np.zeros((*count.shape, 4), dtype=np.uint8)
        image[..., :3] = np.clip(rgb, 0, 255).astype(np.uint8)
        image[..., 3] = alpha.astype(np.uint8)
        image = _dynspread(image, _spread_pixels(len(self)))
        if self.encoding is not None and self.encoding.kind == "sparse":
            image = _active_on_top(image, agg["valued"].to_numpy() > 0)
        return image

    def _pixel_colors(self, agg, count: np.ndarray) -> np.ndarray:
        if self.categorical:
            filled = count > 0
            counts = agg["by_category"].to_numpy()[filled].astype(np.float32)
            palette = np.array([hex_rgb(c) for c in category_colors(len(self.categories))],
                               np.float32)
            rgb = np.zeros((*count.shape, 3), np.float32)
            rgb[filled] = (counts / counts.sum(axis=-1, keepdims=True)) @ palette
            return rgb
        if self.values is not None:
            return self.encoding.colors(agg["mean"].to_numpy())
        return np.tile(np.array(hex_rgb("#1f3b73"), np.float64), (*count.shape, 1))

    @property
    def hover_fields(self) -> tuple[str, ...]:
        """The names of :meth:`hover_data`'s fields, in order."""
        fields = ["text"]
        if self.values is not None:
            fields.append(self.name or "value")
            if not self.categorical:
                fields.append("colour shows")
        return (*fields, "points here")

    def hover_data(self, agg) -> dict:
        """Per-pixel hover fields, as ``(y, x)`` :class:`xarray.Variable`: the text and value
        of the pixel's first point (``"-"`` or NaN where the pixel is empty) and, for numbers,
        the value its colour shows (the mean over the pixel's points that have one).

        The text and value are looked up from the pixel's first row only when read (a
        hover reads one pixel), so a view costs 4 bytes per pixel for them, not 16: the
        server keeps several views per open page (HoloViews holds earlier frames).
        """
        import xarray as xr

        first = agg["first"].to_numpy()
        fields = {"text": _rows_at_pixels(self._hover_texts, first, "-")}
        if self.values is not None:
            missing = "-" if self.categorical else np.nan
            fields[self.name or "value"] = _rows_at_pixels(self.values, first, missing)
        if "mean" in agg:
            fields["colour shows"] = xr.Variable(("y", "x"),
                                                 self._colour_value(agg["mean"].to_numpy()))
        fields["points here"] = xr.Variable(("y", "x"), agg["count"].to_numpy())
        return fields

    def _colour_value(self, mean: np.ndarray) -> np.ndarray:
        """The pixel's colour in the data's units (``10**m - 1`` on a log scale)."""
        return 10 ** mean - 1 if self.encoding.kind == "log" else mean

    def legend(self) -> pd.DataFrame:
        """The categories in colour order: ``category``, ``color``, ``count`` (points)."""
        if not self.categorical:
            return pd.DataFrame({"category": [], "color": [], "count": []})
        counts = self._frame["category"].value_counts(sort=False)
        return pd.DataFrame({"category": self.categories,
                             "color": category_colors(len(self.categories)),
                             "count": counts.reindex(self.categories).to_numpy()})

    def redraw(self, view: DrawnView, pixels: int) -> DrawnView:
        """The same view (ranges, colours, selection) aggregated at ``pixels`` across."""
        height, width = view.image.shape[:2]
        rows = max(1, round(pixels * height / width))
        agg = self.aggregate(_pixel_edges(view.x), _pixel_edges(view.y), pixels, rows)
        return DrawnView(self.shade(agg), agg["x"].to_numpy(), agg["y"].to_numpy(),
                         int(agg["count"].sum()))

    # -- HoloViews --------------------------------------------------------------------------
    def element(self, x_range=None, y_range=None, width=None, height=None):
        """One view as a ``holoviews.RGB`` whose hover shows each pixel's first point."""
        import holoviews as hv
        import xarray as xr

        agg = self.aggregate(x_range, y_range, width, height)
        image = self.shade(agg)
        data = xr.Dataset({channel: (("y", "x"), image[..., i])
                           for i, channel in enumerate("RGBA")},
                          coords={"x": agg["x"].to_numpy(), "y": agg["y"].to_numpy()})
        for name, values in self.hover_data(agg).items():
            data[name] = values
        data["__index__"] = (("y", "x"), agg["first"].to_numpy())
        data.attrs["selector_columns"] = ["__index__", *self.hover_fields]
        data.attrs["selector"] = "first point"
        # what was drawn, without the per-category counts (tens of MB per view)
        self.drawn = DrawnView(image, agg["x"].to_numpy(), agg["y"].to_numpy(),
                               int(agg["count"].sum()))
        return hv.RGB(data, kdims=["x", "y"], vdims=list("RGBA"))


def _active_on_top(image: np.ndarray, active: np.ndarray) -> np.ndarray:
    """The active pixels of a sparse measure grown to 3x3 and drawn over the faint zeros, so
    a feature active on 1% of the points is seen, not buried under the other 99%."""
    import datashader.transfer_functions as tf
    import xarray as xr

    layer = np.where(active[..., None], image, 0).astype(np.uint8)
    packed = np.ascontiguousarray(layer).view(np.uint32)[..., 0]
    grown = tf.spread(tf.Image(xr.DataArray(packed, dims=("y", "x"))), px=1, how="over")
    grown = np.ascontiguousarray(grown.to_numpy()).view(np.uint8).reshape(image.shape)
    out = image.copy()
    over = grown[..., 3] > 0
    out[over] = grown[over]
    out[over, 3] = 255
    return out


def _spread_pixels(n: int) -> int:
    """How far an isolated point may spread: 4 pixels for a few thousand points, down to 1
    at a million (the point size adapts to n)."""
    return int(np.clip(round(7 - np.log10(max(n, 1))), 1, 4))


def _dynspread(image: np.ndarray, max_px: int = 3) -> np.ndarray:
    import datashader.transfer_functions as tf
    import xarray as xr

    packed = np.ascontiguousarray(image).view(np.uint32)[..., 0]
    spread = tf.dynspread(tf.Image(xr.DataArray(packed, dims=("y", "x"))), threshold=0.5,
                          max_px=max_px)
    return np.ascontiguousarray(spread.to_numpy()).view(np.uint8).reshape(image.shape)


def _padded_range(coords: np.ndarray, pad: float = 0.03):
    ranges = []
    for column in coords.T:
        finite = column[np.isfinite(column)]
        low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
        span = (high - low) or 1.0
        ranges.append((low - pad * span, high + pad * span))
    return tuple(ranges)


def _density_alpha(count: np.ndarray) -> np.ndarray:
    """Opacity from the points per pixel: log-scaled between the faintest and the densest
    pixel, so one isolated point stays visible next to a pixel with thousands."""
    alpha = np.zeros_like(count)
    filled = count > 0
    if filled.any():
        logs = np.log1p(count[filled])
        top = logs.max()
        scale = (logs - np.log1p(1)) / (top - np.log1p(1)) if top > np.log1p(1) else 1.0
        alpha[filled] = _MIN_ALPHA + (255 - _MIN_ALPHA) * scale
    return alpha


def _rows_at_pixels(table: np.ndarray, first: np.ndarray, missing):
    """``table[first]`` on ``(y, x)`` (``missing`` where ``first`` is -1), computed only for
    the pixels read: an :class:`xarray.Variable` over a lazily indexed array (the backend
    array protocol of xarray's "How to add a new backend"). ``table`` is shared, not copied."""
    import xarray as xr
    from xarray.core import indexing

    return xr.Variable(("y", "x"), indexing.LazilyIndexedArray(
        _rows_at_pixels_type()(table, first, missing)))


@functools.cache
def _rows_at_pixels_type():
    from xarray.backends import BackendArray
    from xarray.core import indexing

    class RowsAtPixels(BackendArray):
        """``table[first[key]]``, ``missing`` where the pixel is empty (row -1)."""

        def __init__(self, table: np.ndarray, first: np.ndarray, missing):
            self.table, self.first, self.missing = table, first, missing
            self.shape, self.dtype = first.shape, table.dtype

        def __getitem__(self, key):
            return indexing.explicit_indexing_adapter(
                key, self.shape, indexing.IndexingSupport.BASIC, self._lookup)

        def _lookup(self, key):
            rows = self.first[key]
            values = self.table[np.maximum(rows, 0)]
            return np.where(rows < 0, np.array(self.missing, self.dtype), values)

    return RowsAtPixels


def _clip_texts(texts: np.ndarray) -> np.ndarray:
    return np.array([t if len(t) <= _HOVER_CHARS else t[:_HOVER_CHARS] + "…"
                     for t in map(str, texts)], dtype=object)


def datamap_figure(datamap: DataMap, view: DrawnView | None = None, title: str = "",
                   axis_title: str = "", markers=None, marker_name: str = "query neighbour",
                   pixels: int | None = None):
    """A view that :meth:`DataMap.element` drew, as a plotly figure for export: the same
    pixels (a PNG at the view's size, stretched over its data range), the same axes, every
    legend entry (categories with their counts, "no value" when points have none) or the
    same colour bar (palette, range, ticks, named ends), and the markers shown on the screen.

    Parameters
    ----------
    datamap : DataMap
    view : DrawnView, optional
        Default: the last view drawn (``datamap.drawn``).
    title, axis_title : str
    markers : array-like of shape (m, 2), optional
        Points marked on the screen (a text query's neighbours): drawn as red diamonds.
    marker_name : str
        Their legend entry.
    pixels : int, optional
        Aggregate the same view again at this many pixels across (height in proportion), so
        that points keep a visible size when the figure is printed at a column's width (400
        suits 3.5 to 7 inches); default: the pixels drawn on the screen.

    Returns
    -------
    plotly.graph_objects.Figure
        Its ``layout.meta`` holds ``legend_entries`` (the legend's names, in order) and
        ``color_range`` (the colour bar's tick labels), what an export must show.
    """
    import base64
    import html
    import io
    import textwrap

    import plotly.graph_objects as go
    from PIL import Image

    view = view or datamap.drawn
    if view is None:
        raise ValueError("nothing drawn yet: call datamap.element() first")
    if pixels is not None:
        view = datamap.redraw(view, pixels)
    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(view.image[::-1]), "RGBA").save(buffer, format="PNG")
    source = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()
    (x0, x1), (y0, y1) = _pixel_edges(view.x), _pixel_edges(view.y)
    fig = go.Figure()
    fig.add_layout_image(source=source, xref="x", yref="y", x=x0, y=y1, sizex=x1 - x0,
                         sizey=y1 - y0, sizing="stretch", layer="below")
    entries, ticks = _legend_traces(fig, datamap)
    if markers is not None and len(markers):
        markers = np.asarray(markers, dtype=np.float64)
        fig.add_trace(go.Scatter(x=markers[:, 0], y=markers[:, 1], mode="markers",
                                 name=marker_name, marker=dict(
                                     symbol="diamond-open", color="red", size=9,
                                     line=dict(width=1.5))))
        entries.append(marker_name)
    fig.update_xaxes(range=[x0, x1], title=f"{axis_title}1" if axis_title else None,
                     showgrid=False, zeroline=False)
    fig.update_yaxes(range=[y0, y1], title=f"{axis_title}2" if axis_title else None,
                     showgrid=False, zeroline=False)
    continuous = datamap.encoding is not None and datamap.encoding.continuous
    caption = "<br>".join(textwrap.wrap(datamap.encoding.describe(), 60)) if continuous else ""
    if caption:
        fig.update_layout(margin=dict(t=70))
    fig.update_layout(title=dict(text=title, subtitle=dict(
                          text=html.escape(caption, quote=False).replace("&lt;br&gt;", "<br>"),
                          font=dict(size=8))),
                      template="simple_white", meta=dict(legend_entries=entries,
                                                         color_range=ticks),
                      legend=dict(title=None if continuous else html.escape(datamap.name,
                                                                            quote=False),
                                  itemsizing="constant"))
    return fig


def _pixel_edges(centers: np.ndarray) -> tuple[float, float]:
    half = (centers[1] - centers[0]) / 2 if len(centers) > 1 else 0.5
    return float(centers[0] - half), float(centers[-1] + half)


def _legend_traces(fig, datamap: DataMap) -> tuple[list[str], list[str]]:
    """Every legend entry (or the colour bar) of the map; returns the entries' names and the
    colour bar's tick labels."""
    import html

    import plotly.graph_objects as go

    empty = dict(x=[None], y=[None], mode="markers")
    entries: list[str] = []
    if datamap.categorical:
        legend = datamap.legend()
        for category, color, count in legend.itertuples(index=False):
            # plotly renders a subset of HTML in legend names: a category is shown as typed
            name = f"{category} ({count:,})"
            fig.add_trace(go.Scatter(**empty, name=html.escape(name, quote=False),
                                     marker=dict(color=color)))
            entries.append(name)
        return entries, []
    encoding = datamap.encoding
    if encoding is None:
        return entries, []
    tickvals, ticktext = encoding.ticks()
    fig.add_trace(go.Scatter(**empty, showlegend=False, marker=dict(
        color=[encoding.low], cmin=encoding.low, cmax=encoding.high,
        colorscale=encoding.palette, showscale=True, colorbar=dict(
            title=dict(text=html.escape(encoding.name, quote=False), side="right"),
            tickvals=tickvals, ticktext=[html.escape(t, quote=False) for t in ticktext],
            thickness=10, len=0.9))))
    for label, color, count in encoding.grey_entries():
        entries.append(f"{label} ({count:,})")
        fig.add_trace(go.Scatter(**empty, name=entries[-1], marker=dict(color=color)))
    if entries:  # "zero" / "no value" swatches under the colour bar
        fig.update_layout(legend=dict(x=1.02, y=0, xanchor="left", yanchor="top"))
    return entries, ticktext
