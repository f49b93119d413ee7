"""embviz.viz.DataMap: every point aggregated, exact selections, hover and export from the same
pixels. Known answers on grids where each point sits at a pixel centre (no edge ambiguity)."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

pytest.importorskip("datashader")

from embviz.viz.datamap import (  # noqa: E402
    DataMap,
    datamap_figure,
    rows_in_box,
    rows_in_polygon,
)
from embviz.viz.encoding import category_colors  # noqa: E402


def _grid_map(values=None, width=20, height=10, repeat=3, random_state=0):
    """``repeat`` points at each pixel centre of a ``width x height`` grid over [0, W] x [0, H],
    in shuffled row order; the map's range is set to exactly that grid."""
    rng = np.random.default_rng(random_state)
    xs, ys = np.meshgrid(np.arange(width) + 0.5, np.arange(height) + 0.5)
    centres = np.column_stack([xs.ravel(), ys.ravel()])
    coords = rng.permutation(np.repeat(centres, repeat, axis=0))
    texts = [f"text {i}" for i in range(len(coords))]
    datamap = DataMap(coords, texts, values=values if values is None else values(len(coords)),
                      name="label", width=width, height=height)
    datamap.full_range = ((0.0, float(width)), (0.0, float(height)))
    return datamap


def test_every_point_is_aggregated_and_first_is_the_lowest_row_in_its_pixel():
    datamap = _grid_map()
    agg = datamap.aggregate()
    assert int(agg["count"].sum()) == len(datamap) == 600
    assert (agg["count"].to_numpy() == 3).all()
    column = np.floor(datamap.coords[:, 0]).astype(int)
    row = np.floor(datamap.coords[:, 1]).astype(int)
    expected = np.full((10, 20), np.iinfo(np.int64).max)
    np.minimum.at(expected, (row, column), np.arange(len(datamap)))
    np.testing.assert_array_equal(agg["first"].to_numpy(), expected)


def test_a_zoomed_view_aggregates_only_what_it_shows():
    datamap = _grid_map()
    agg = datamap.aggregate(x_range=(0, 10), y_range=(0, 5), width=10, height=5)
    inside = ((datamap.coords[:, 0] < 10) & (datamap.coords[:, 1] < 5)).sum()
    assert int(agg["count"].sum()) == inside == 150


def test_categories_count_per_pixel_and_get_distinct_colours():
    labels = lambda n: np.array([f"c{i % 50}" for i in range(n)])  # noqa: E731
    datamap = _grid_map(values=labels)
    agg = datamap.aggregate()
    np.testing.assert_array_equal(agg["by_category"].sum(dim=agg["by_category"].dims[-1]),
                                  agg["count"])
    legend = datamap.legend()
    assert len(legend) == 50 and legend["count"].sum() == len(datamap)
    assert legend["color"].nunique() == 50  # Glasbey: distinguishable past 45 categories
    colors = category_colors(300)
    assert len(set(colors[:255])) == 255 and set(colors[255:]) == {"#b0b0b0"}


def test_more_categories_than_colours_share_other():
    n_values = 300
    datamap = DataMap(np.random.default_rng(0).normal(size=(3000, 2)), ["t"] * 3000,
                      values=[f"v{i % n_values}" for i in range(3000)], name="v")
    legend = datamap.legend()
    assert len(legend) == 256 and legend["category"].iloc[-1] == "other"
    assert legend["count"].sum() == 3000


def test_continuous_values_are_averaged_per_pixel():
    datamap = _grid_map(values=lambda n: np.arange(n, dtype=float))
    agg = datamap.aggregate()
    column = np.floor(datamap.coords[:, 0]).astype(int)
    row = np.floor(datamap.coords[:, 1]).astype(int)
    sums = np.zeros((10, 20))
    np.add.at(sums, (row, column), np.arange(len(datamap), dtype=float))
    np.testing.assert_allclose(agg["mean"].to_numpy(), sums / 3)
    assert (datamap.encoding.low, datamap.encoding.high) == (0.0, len(datamap) - 1.0)


def test_hover_shows_the_text_and_value_of_the_pixels_first_point():
    datamap = _grid_map(values=lambda n: np.array([f"c{i % 4}" for i in range(n)]))
    agg = datamap.aggregate()
    fields = datamap.hover_data(agg)
    first = agg["first"].to_numpy()
    assert (fields["text"] == np.array([f"text {i}" for i in first.ravel()]).reshape(
        first.shape)).all()
    assert (fields["label"] == np.array([f"c{i % 4}" for i in first.ravel()]).reshape(
        first.shape)).all()


def test_hover_lookup_reads_the_pixel_under_the_pointer_and_costs_no_text_per_pixel():
    """HoloViews's server-side hover reads ``Dataset.sel(x=, y=, method="nearest")`` of the
    element's data: it gets the pixel's first text and value ("-" or NaN if empty), while
    the view holds 4 bytes per pixel for them (the row), not one object per field."""
    pytest.importorskip("holoviews")
    datamap = _grid_map(values=lambda n: np.arange(n, dtype=float))
    data = datamap.element(x_range=(0, 40), y_range=(0, 10), width=40, height=10).data
    first = datamap.aggregate(x_range=(0, 40), y_range=(0, 10), width=40, height=10)["first"]
    for x, y in ((3.5, 2.5), (19.5, 9.5), (30.5, 5.5)):  # the last one: right of the points
        row = int(first.sel(x=x, y=y, method="nearest"))
        hovered = data.sel(x=x, y=y, method="nearest").to_dict()["data_vars"]
        shown = {name: hovered[name]["data"] for name in datamap.hover_fields}
        if row < 0:
            assert shown["text"] == "-" and np.isnan(shown["label"])
            assert shown["points here"] == 0
        else:
            assert shown["text"] == f"text {row}" and shown["label"] == row
            assert shown["points here"] == 3
        assert hovered["__index__"]["data"] == row
    datamap.element(width=400, height=300)  # Datashader's compiled functions are cached
    tracemalloc.start()
    held_before = tracemalloc.get_traced_memory()[0]
    view = datamap.element(width=400, height=300)
    per_pixel = (tracemalloc.get_traced_memory()[0] - held_before) / (400 * 300)
    tracemalloc.stop()
    assert view is not None and per_pixel < 24, per_pixel  # RGBA 4, row 4, count 4, mean 8


def test_shading_fades_unselected_points_and_leaves_empty_pixels_transparent():
    datamap = _grid_map()
    agg = datamap.aggregate(x_range=(0, 40), y_range=(0, 10), width=40, height=10)
    image = datamap.shade(agg)
    assert image.shape == (10, 40, 4)
    assert (image[:, 25:, 3] == 0).all()  # no points right of x = 20 (beyond spreading)
    datamap.selected = np.flatnonzero(datamap.coords[:, 0] < 10)
    faded = datamap.shade(datamap.aggregate(x_range=(0, 40), y_range=(0, 10), width=40,
                                            height=10))
    assert faded[:, 12:20, 3].max() < image[:, 12:20, 3].min()
    np.testing.assert_array_equal(faded[:, :8, 3], image[:, :8, 3])


def _ray_casting(points, polygon):
    """Independent point-in-polygon (W. R. Franklin's PNPOLY)."""
    inside = np.zeros(len(points), bool)
    x, y = points[:, 0], points[:, 1]
    j = len(polygon) - 1
    for i in range(len(polygon)):
        (xi, yi), (xj, yj) = polygon[i], polygon[j]
        crosses = ((yi > y) != (yj > y)) & (x < (xj - xi) * (y - yi) / (yj - yi) + xi)
        inside ^= crosses
        j = i
    return np.flatnonzero(inside)


def test_box_and_lasso_give_the_exact_rows():
    rng = np.random.default_rng(1)
    coords = rng.normal(size=(200_000, 2))
    rows = rows_in_box(coords, (0.5, -1, -0.25, 0.75))  # corners in either order
    expected = np.flatnonzero((coords[:, 0] >= -0.25) & (coords[:, 0] <= 0.5)
                              & (coords[:, 1] >= -1) & (coords[:, 1] <= 0.75))
    np.testing.assert_array_equal(rows, expected)
    angles = np.linspace(0, 2 * np.pi, 15, endpoint=False)
    radii = np.where(np.arange(15) % 2, 0.6, 1.8)  # a star: not convex
    polygon = np.column_stack([radii * np.cos(angles), radii * np.sin(angles)])
    np.testing.assert_array_equal(rows_in_polygon(coords, *polygon.T),
                                  _ray_casting(coords, polygon))
    assert rows_in_polygon(coords, [0, 1], [0, 1]).size == 0  # not a polygon


def test_the_export_figure_holds_the_pixels_on_the_screen():
    pytest.importorskip("plotly")
    datamap = _grid_map(values=lambda n: np.array([f"c{i % 3}" for i in range(n)]))
    datamap.element()
    assert datamap.drawn.points == len(datamap) and datamap.drawn.image.shape == (10, 20, 4)
    fig = datamap_figure(datamap, title="t", axis_title="PC")
    [image] = fig.layout.images
    assert image.source.startswith("data:image/png;base64,")
    assert (image.x, image.y, image.sizex, image.sizey) == (0, 10, 20, 10)
    assert list(fig.layout.xaxis.range) == [0, 20] and fig.layout.xaxis.title.text == "PC1"
    legend = datamap.legend()
    entries = [f"{c} ({n:,})" for c, n in zip(legend["category"], legend["count"])]
    assert [trace.name for trace in fig.data] == entries == fig.layout.meta["legend_entries"]


def test_bad_input_names_the_argument():
    with pytest.raises(ValueError, match="coords must have 2 columns"):
        DataMap(np.zeros((5, 3)), ["t"] * 5)
    with pytest.raises(ValueError, match="texts has 4 rows"):
        DataMap(np.zeros((5, 2)), ["t"] * 4)
    with pytest.raises(ValueError, match="values has 4 rows"):
        DataMap(np.zeros((5, 2)), ["t"] * 5, values=[1, 2, 3, 4])


def test_export_legend_shows_categories_as_typed():
    pytest.importorskip("plotly")
    values = lambda n: np.array(["<b>bold</b>", "<a href='http://x'>x</a>"] * (n // 2))  # noqa: E731
    datamap = _grid_map(values=values)
    datamap.element()
    fig = datamap_figure(datamap)
    assert {trace.name for trace in fig.data} == {"&lt;b&gt;bold&lt;/b&gt; (300)",
                                                  "&lt;a href='http://x'&gt;x&lt;/a&gt; (300)"}
