"""A paper-ready map with the names of its regions, placed without overlap.

The points are the :class:`~embviz.viz.DataMap` image (Datashader, every point, any n) that
:func:`~embviz.viz.datamap_figure` puts in a plotly figure, so an exported PDF holds one
raster of the points and vector text; the names are plotly annotations placed greedily:
largest region first, at its place on the map (``Regions.regions`` ``x, y``) or, when that
spot is taken, at the nearest of eight spots around it (with a leader line); a name that
fits nowhere is left out and listed in ``layout.meta["dropped_labels"]``. Sizes are estimated
for the paper width the figure is made for (:data:`~embviz.viz.export.COLUMN_WIDTHS`).
"""

from __future__ import annotations

import html

import numpy as np

from .._validation import check_choice, check_positive_int

__all__ = ["annotate_regions", "place_labels", "region_map_figure"]

_CHAR_WIDTH = 0.56  # average glyph width of a sans-serif font, in font sizes
_LINE_HEIGHT = 1.35  # box height, in font sizes
_PAD = 2.0  # pixels between two labels
# margins paper_style gives a figure (pixels): left, right, top (with a title), bottom
_MARGINS = {"l": 40, "r": 10, "t": 30, "b": 35}
_COLORBAR_PX = 110  # room a colour bar or legend takes beside the plot
_SPOTS = [(0, 0), (0, 1), (0, -1), (1, 0), (-1, 0), (1, 1), (-1, 1), (1, -1), (-1, -1)]


def place_labels(anchors: np.ndarray, sizes: np.ndarray, bounds: tuple[float, float]
                 ) -> list[tuple[float, float] | None]:
    """Greedy placement of label boxes without overlap, in the order given.

    Parameters
    ----------
    anchors : array of shape (m, 2)
        Where each label belongs (pixels; x right, y up).
    sizes : array of shape (m, 2)
        Each label's width and height (pixels).
    bounds : (width, height)
        The plot area: boxes stay inside [0, width] × [0, height].

    Returns
    -------
    list of (x, y) centres or None (no spot free) per label

    Examples
    --------
    >>> place_labels(np.array([[50.0, 50], [52, 50]]), np.array([[40.0, 10], [40, 10]]),
    ...              (200, 200))
    [(50.0, 50.0), (52.0, 62.0)]
    """
    placed: list[np.ndarray] = []  # boxes as (x0, y0, x1, y1)
    out: list[tuple[float, float] | None] = []
    width, height = bounds
    for (ax, ay), (w, h) in zip(np.asarray(anchors, float), np.asarray(sizes, float)):
        found = None
        for dx, dy in _SPOTS:
            x, y = ax + dx * (w / 2 + _PAD + 4), ay + dy * (h + _PAD)
            box = np.array([x - w / 2, y - h / 2, x + w / 2, y + h / 2])
            inside = box[0] >= 0 and box[1] >= 0 and box[2] <= width and box[3] <= height
            if inside and not any(_overlap(box, other) for other in placed):
                found = (float(x), float(y))
                placed.append(box)
                break
        out.append(found)
    return out


def _overlap(a: np.ndarray, b: np.ndarray) -> bool:
    return bool(a[0] < b[2] + _PAD and b[0] < a[2] + _PAD and a[1] < b[3] + _PAD
                and b[1] < a[3] + _PAD)


def region_map_figure(coords, regions, level: int = 0, values=None, name: str = "",
                      title: str = "", axis_title: str = "", width: str = "single",
                      font_size: int = 7, pixels: int = 400):
    """A static map with its regions' names, ready for :func:`~embviz.viz.export_figure`.

    Parameters
    ----------
    coords : array of shape (n, 2)
        The map the regions were placed on (``regions(..., coords=coords)``).
    regions : Regions
        From :func:`embviz.regions`; its ``x, y`` place the names.
    level : int, default 0
        Which level's names to show (0 = coarsest, -1 = finest).
    values : array of shape (n,), optional
        What colours the points (a label, a measure); default: the region at ``level``
        (then the names are the legend, and no legend is drawn).
    name : str, default ""
        The name of ``values`` (legend or colour-bar title).
    title, axis_title : str
    width : {"single", "double"}, default "single"
        The paper width the names are fitted to: export with the same width.
    font_size : int, default 7
        Pixels (as the paper style's 9-pt body text is 9).
    pixels : int, default 400
        The points' image, aggregated this many pixels across (see
        :func:`~embviz.viz.datamap_figure`).

    Returns
    -------
    plotly.graph_objects.Figure
        ``layout.meta`` holds ``region_labels`` (the names drawn), ``dropped_labels`` (left
        out: no free spot), ``label_boxes`` (each drawn name's box, in plot pixels, for
        checking) and :func:`~embviz.viz.datamap_figure`'s own entries.
    """
    from .datamap import DataMap, DrawnView, datamap_figure
    from .export import COLUMN_WIDTHS

    check_choice(width, "width", COLUMN_WIDTHS)  # before the work
    font_size = check_positive_int(font_size, "font_size")
    coords = np.asarray(coords, dtype=np.float64)
    table = regions.level(level)
    by_region = values is None
    shown = regions.point_names(level) if by_region else values
    datamap = DataMap(coords, np.full(len(coords), "", dtype=object), values=shown,
                      name="region" if by_region else name, width=pixels,
                      height=max(1, round(pixels * 0.75)))
    agg = datamap.aggregate()
    view = DrawnView(datamap.shade(agg), agg["x"].to_numpy(), agg["y"].to_numpy(),
                     int(agg["count"].sum()))
    fig = datamap_figure(datamap, view, title=title, axis_title=axis_title)
    if by_region:
        fig.update_traces(showlegend=False)
    annotate_regions(fig, table, width, font_size, side_legend=not by_region)
    if by_region:
        fig.layout.meta = {**fig.layout.meta, "legend_entries": []}
    return fig


def _plot_area(total_width: int, titled: bool, side_legend: bool) -> tuple[float, float]:
    """Pixels of the plotting area of a figure paper_style sizes to ``total_width``."""
    top = _MARGINS["t"] if titled else 10
    plot_width = total_width - _MARGINS["l"] - _MARGINS["r"] - (_COLORBAR_PX if side_legend
                                                                  else 0)
    return plot_width, total_width * 0.75 - top - _MARGINS["b"]


def annotate_regions(fig, table, width: str = "single", font_size: int = 7,
                     side_legend: bool = True) -> None:
    """Write the names of ``table``'s regions on a map figure, largest first, where they fit.

    Parameters
    ----------
    fig : plotly.graph_objects.Figure
        A map with fixed axis ranges (:func:`~embviz.viz.datamap_figure`); changed in place.
    table : pandas.DataFrame
        Regions with ``region, name, size, x, y`` (a level of ``Regions.regions``).
    width : {"single", "double"}, default "single"
        The paper width the names are fitted to.
    font_size : int, default 7
    side_legend : bool, default True
        Whether a legend or colour bar takes room beside the plot.

    Notes
    -----
    ``layout.meta`` gains ``region_labels`` (names drawn), ``dropped_labels`` (no free spot)
    and ``label_boxes`` (each drawn name's box in plot pixels).
    """
    from .export import COLUMN_WIDTHS

    check_choice(width, "width", COLUMN_WIDTHS)
    area = _plot_area(COLUMN_WIDTHS[width], bool(fig.layout.title.text), side_legend)
    (x0, x1), (y0, y1) = fig.layout.xaxis.range, fig.layout.yaxis.range
    scale = np.array([area[0] / (x1 - x0), area[1] / (y1 - y0)])
    table = table[np.isfinite(table["x"]) & np.isfinite(table["y"])]
    table = table.sort_values(["size", "region"], ascending=[False, True], kind="stable")
    anchors = (table[["x", "y"]].to_numpy() - [x0, y0]) * scale
    sizes = np.c_[table["name"].str.len() * _CHAR_WIDTH * font_size + 4,
                  np.full(len(table), _LINE_HEIGHT * font_size)]
    spots = place_labels(anchors, sizes, area)
    drawn, dropped, boxes = [], [], []
    for (_, row), anchor, size, spot in zip(table.iterrows(), anchors, sizes, spots):
        if spot is None:
            dropped.append(row["name"])
            continue
        x, y = np.asarray(spot) / scale + [x0, y0]
        moved = not np.allclose(spot, anchor)  # then a leader line from the name to its place
        fig.add_annotation(x=row["x"] if moved else x, y=row["y"] if moved else y, ax=x, ay=y,
                           axref="x", ayref="y", showarrow=moved, arrowhead=0,
                           arrowwidth=0.6, arrowcolor="#555555",
                           text=html.escape(row["name"], quote=False),
                           font=dict(size=font_size, color="black"),
                           bgcolor="rgba(255,255,255,0.75)", borderpad=1)
        drawn.append(row["name"])
        boxes.append([spot[0] - size[0] / 2, spot[1] - size[1] / 2,
                      spot[0] + size[0] / 2, spot[1] + size[1] / 2])
    fig.layout.meta = {**fig.layout.meta, "region_labels": drawn, "dropped_labels": dropped,
                       "label_boxes": boxes}
