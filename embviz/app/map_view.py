"""Map view: every point of a UMAP or PCA map (Datashader, re-aggregated on pan and zoom),
coloured by metadata or a per-point measure; box and lasso selections become a
:class:`~embviz.selection.Selection` shown with its texts, its mix against the corpus and, on
demand, its neighbours; a text query marks its nearest points. 3-D maps are plotly points."""

from __future__ import annotations

import numpy as np
import pandas as pd
import panel as pn
import param
from panel.viewable import Viewer

from ..exploration import MAX_MAP_POINTS, MAX_UMAP_DEFAULT, POINT_MEASURES
from ..selection import COMBINE_MODES, Selection, composition
from .limits import check_query, lasso_vertices
from .regions_panel import RegionsPanel
from .state import AppState, controls
from .tables import show_table
from .text import escape_markup, escape_plotly

__all__ = ["MapView"]

_NO_COLOR = "(none)"
_SELECT_HINT = "Select points with the box or lasso tool (drag on the map)."
_MAP_HEIGHT = 560
_NEIGHBORS_K = 5
#: The exported map re-aggregates the view on the screen at this many pixels across, so its
#: points keep a printable size at one or two columns' width.
_EXPORT_PIXELS = 400
#: Map colours from the map's trust (embviz.landscape.map_trust): choice -> its column.
_TRUST_COLORS = {"map trust: kNN recall": "knn_recall",
                 "map trust: trustworthiness": "trustworthiness",
                 "map trust: continuity": "continuity"}
#: Up to this many points, regions are named and the map's trust measured after every new
#: 2-D layout; above, on request (the kNN graph of a PCA map of 1M points takes minutes).
_AUTO_LANDSCAPE = MAX_UMAP_DEFAULT


def _table() -> pn.widgets.Tabulator:
    """A read-only table that pages on the server: any number of rows, 12 sent at a time."""
    return pn.widgets.Tabulator(pd.DataFrame(), pagination="remote", page_size=12,
                                sizing_mode="stretch_width", disabled=True, show_index=False)


class MapView(Viewer):
    """The map and everything that hangs off it."""

    method = param.Selector(default="umap", objects=["umap", "pca"])
    dimensions = param.Selector(default=2, objects=[2, 3])
    color = param.Selector(default="label", objects=["label"])
    selection_mode = param.Selector(default="replace", objects=list(COMBINE_MODES),
                                    doc="how a new box or lasso combines with the selection")
    query = param.String(default="", doc="a text to find its nearest neighbours")

    def __init__(self, state: AppState, **params):
        super().__init__(**params)
        self.state = state
        self.datamap = None  # embviz.viz.DataMap of the 2-D map on the screen
        self._layout = None  # (corpus, method) of that map
        self._query_rows: np.ndarray | None = None
        self.drawn = pn.pane.Markdown("", margin=(0, 10))
        self.notes = pn.Column(sizing_mode="stretch_width", margin=0)  # the map job's warnings
        self.legend = pn.pane.HTML("", width=200, height=_MAP_HEIGHT,
                                   styles={"overflow-y": "auto"}, css_classes=["map-legend"])
        # the 3-D map's pane is made at the first 3-D map: until then the page needs no
        # plotly.js (a notebook that loads no "plotly" extension shows the 2-D map)
        self.plot3d = None
        self._plot3d_area = pn.Column(sizing_mode="stretch_width", margin=0, visible=False)
        self.plot = self._holoviews_pane()
        self._map_2d = pn.Row(self.plot, self.legend, sizing_mode="stretch_width")
        self.selection_note = pn.pane.Markdown(_SELECT_HINT)
        self.texts, self.mix, self.neighbors = _table(), _table(), _table()
        self.regions = RegionsPanel(state)
        self._landscape_layout = None  # (corpus, method) whose regions are named
        self.lower = pn.Tabs(("Selected texts", self.texts), ("Mix vs corpus", self.mix),
                             ("Neighbours", self.neighbors), ("Regions", self.regions.table),
                             ("Region card", self.regions.card), dynamic=True,
                             sizing_mode="stretch_width")
        self.regions.opened = lambda: setattr(self.lower, "active", 4)
        self.landscape_button = pn.widgets.Button(
            label="Name regions, measure map trust", sizing_mode="stretch_width", visible=False)
        self.landscape_button.on_click(self.find_landscape)
        state.param.watch(self._on_data, "exploration")
        state.param.watch(self._on_measures, "extra_measures")
        state.param.watch(self._on_selection, "selection")
        state.param.watch(self._on_concepts, "concepts")

    # -- the 2-D map --------------------------------------------------------------------------
    def _holoviews_pane(self):
        """An empty HoloViews pane; the map goes in at the first draw (:meth:`redraw`)."""
        self._make_dmap()
        return pn.pane.HoloViews(None, sizing_mode="stretch_width", height=_MAP_HEIGHT,
                                 backend="bokeh")

    def _make_dmap(self, x_range=None, y_range=None) -> None:
        """The map's DynamicMap, starting from the given view (default: the whole map), with
        its selection streams."""
        import holoviews as hv
        from holoviews.core.spaces import Callable

        # a new `version` draws the same view again (the selection or the query changed)
        self._version = hv.streams.Stream.define("Redraw", version=0)()
        self._ranges = hv.streams.RangeXY(x_range=x_range, y_range=y_range)
        size = getattr(self, "_size", None)  # a rebuilt plot starts at the plot's own size
        self._size = hv.streams.PlotSize(width=size.width if size else None,
                                         height=size.height if size else None)
        self._dmap = hv.DynamicMap(Callable(self._element, memoize=False), streams=[
            self._ranges, self._size, self._version])
        hv.streams.BoundsXY(source=self._dmap).add_subscriber(self._on_box)
        hv.streams.Lasso(source=self._dmap).add_subscriber(self._on_lasso)
        hv.streams.Tap(source=self._dmap).add_subscriber(self._on_tap)

    def _element(self, x_range=None, y_range=None, width=None, height=None, scale=None,
                 version=0):
        """The view asked for by the plot: the whole map when no range is given yet."""
        image = self.datamap.element(x_range, y_range, width, height)
        self._describe_drawn(x_range is None)
        axis = self._axis_name
        fields = list(self.datamap.hover_fields)
        image = image.opts(tools=["hover", "box_select", "lasso_select"], framewise=True,
                           xlabel=f"{axis}1", ylabel=f"{axis}2", hover_tooltips=fields,
                           selector_in_hovertool=False)
        x_range, y_range = x_range or self.datamap.full_range[0], y_range or \
            self.datamap.full_range[1]
        names = self.regions.labels(x_range, y_range, width, height)
        return (image * self._query_points() * names).opts(
            active_tools=["wheel_zoom", "box_select"], responsive=True, height=_MAP_HEIGHT,
            title=self._title())

    @property
    def _axis_name(self) -> str:
        return "UMAP" if self.method == "umap" else "PC"

    def _title(self) -> str:
        return f"{self.state.source} · all {len(self.datamap):,} points"

    def _describe_drawn(self, whole: bool) -> None:
        view = self.datamap.drawn
        height, width = view.image.shape[:2]
        scope = "the whole map" if whole else "this view"
        self.drawn.object = (f"{view.points:,} of {len(self.datamap):,} points drawn in {scope} "
                             f"({width}×{height} pixels, aggregated on the server)")

    def _export_figure(self):
        """The view on the screen as a plotly figure (``None`` before the first draw): made
        when exported (``state.figure``), not on every pan and zoom (at 1M points it costs
        0.13 s, two thirds of drawing the view)."""
        from ..viz import datamap_figure

        if self.datamap.drawn is None:
            return None  # not on the screen yet
        markers = None
        if self._query_rows is not None:  # shown on the screen: shown in the figure
            markers = self.datamap.coords[self._query_rows]
        fig = datamap_figure(self.datamap, title=escape_plotly(self._title()),
                             axis_title=self._axis_name, markers=markers,
                             pixels=_EXPORT_PIXELS)
        named = self.regions.shown_table()
        if named is not None:  # the names on the screen, placed again for the paper
            from ..viz import annotate_regions

            annotate_regions(fig, named, side_legend=self.datamap.encoding is not None)
        return fig

    def _query_points(self):
        import holoviews as hv

        rows = self._query_rows if self._query_rows is not None else np.empty(0, int)
        coords = self.datamap.coords[rows]
        texts = [str(t) for t in self.datamap.texts[rows]]
        points = hv.Points((coords[:, 0], coords[:, 1], texts), vdims=["query neighbour"])
        return points.opts(marker="diamond", size=13, fill_alpha=0, line_color="red",
                           line_width=2, tools=["hover"])

    # -- data and colours ---------------------------------------------------------------------
    def _color_options(self) -> dict[str, str]:
        """Display name -> colour choice (metadata columns keep their own names)."""
        exploration = self.state.exploration
        if exploration is None:
            return {_NO_COLOR: _NO_COLOR}
        names = [*exploration.color_columns, *POINT_MEASURES, *self.state.extra_measures]
        options = {exploration.measure_label(name): name for name in names}
        options.update({f"{label} (k={exploration.report_sizes()['k']})": label
                        for label in _TRUST_COLORS})
        return {**options, _NO_COLOR: _NO_COLOR}

    async def _on_data(self, event) -> None:
        self._query_rows = None
        self._clear_tables()
        self.regions.clear()
        self._landscape_layout = None
        before = (self.method, self.color)
        method = event.new.default_map_method if event.new is not None else self.method
        with param.parameterized.batch_call_watchers(self):  # one redraw for both changes
            self._refresh_colors()
            self.method = method
        if (self.method, self.color) == before:  # nothing changed: no watcher redrew
            await self.redraw()

    async def _on_measures(self, event) -> None:
        new = set(event.new) - set(event.old or {})
        self._refresh_colors()
        if new:
            self.color = min(new)  # show what was just computed (watcher redraws)

    def _refresh_colors(self) -> None:
        options = self._color_options()
        self.param.color.objects = options
        if self.color not in options.values():
            exploration = self.state.exploration
            default = exploration.default_color if exploration is not None else None
            self.color = default or _NO_COLOR

    def _color_values(self):
        """``(display name, values (n,))`` of the colour choice, or ``("", None)``."""
        if self.color == _NO_COLOR:
            return "", None
        if self.color in self.state.extra_measures:
            return self.color, self.state.extra_measures[self.color]
        exploration = self.state.exploration
        if self.color in _TRUST_COLORS:  # of the 2-D map of this method, every point scored
            trust = exploration.map_trust(self.method, every_point=True)
            name = f"{self.color} on the {self.method.upper()} map (k={trust.k})"
            return name, trust.points[_TRUST_COLORS[self.color]].to_numpy()
        values = exploration.meta_with(self.color)[self.color].to_numpy()
        return exploration.measure_label(self.color), values

    @param.depends("method", "dimensions", "color", watch=True)
    async def redraw(self) -> None:
        if self.state.exploration is None:
            return
        label = f"Drawing the {self.method.upper()} map"
        if self.dimensions == 3:
            figure = await self.state.runner.run(label, self._figure_3d)
            if figure is not None:
                self._show_3d(figure)
                self.state.add_figure("map", figure)
        else:
            datamap = await self.state.runner.run(label, self._datamap)
            if datamap is not None:
                self._show(datamap)
                self.notes.objects = self.state.runner.noted([])
                await self._landscape_of_new_layout()
        # the 2-D map's row is hidden, never the HoloViews pane itself (Panel 1.9 fails to
        # copy `visible` onto the pane's Bokeh model: "stylesheets items must be str")
        self._map_2d.visible = self.dimensions == 2
        self._plot3d_area.visible = self.dimensions == 3

    def _show_3d(self, figure) -> None:
        if self.plot3d is None:
            self.plot3d = pn.pane.Plotly(figure, sizing_mode="stretch_width", height=_MAP_HEIGHT,
                                         config={"scrollZoom": True, "displaylogo": False})
            self._plot3d_area.objects = [self.plot3d]
        else:
            self.plot3d.object = figure

    def _show(self, datamap) -> None:
        """Put a new 2-D map on the screen: a new layout (another corpus or method) gets a new
        plot of the whole map, a new colouring of the same layout keeps the view."""
        layout = (id(self.state.exploration), self.method)
        same_layout, self._layout = layout == self._layout, layout
        new_fields = self.datamap is None or datamap.hover_fields != self.datamap.hover_fields
        self.datamap = datamap
        self.legend.object = self._legend_html()
        self.state.add_figure("map", self._export_figure)
        if self.plot.object is None:
            self.plot.object = self._dmap
        elif same_layout and not new_fields:
            self._redraw_view()
        else:
            # Bokeh's hover tool is built for the first view's fields, and a reset of the old
            # plot's ranges (an event with x_range=None) left it on the previous corpus's axes
            # with none of the new points in view: a new plot either way
            view = (self._ranges.x_range, self._ranges.y_range) if same_layout else (None, None)
            self._make_dmap(*view)
            self.plot.object = self._dmap

    def _datamap(self):
        from ..viz import DataMap

        exploration = self.state.exploration
        coords = exploration.coords(self.method, 2)
        name, values = self._color_values()
        datamap = DataMap(coords, exploration.data.meta["text"], values=values, name=name,
                          width=900, height=_MAP_HEIGHT,
                          ends=self.state.measure_ends.get(self.color))
        if self.state.selection is not None:
            datamap.selected = self.state.selection.rows
        datamap.element()  # aggregate once here, in the worker thread (compiles Datashader)
        return datamap

    def _figure_3d(self):
        from ..viz import scatter_map

        exploration = self.state.exploration
        name, values = self._color_values()
        meta = exploration.data.meta[["text"]]
        if values is not None:
            meta = meta.assign(**{name: values})
        fig = scatter_map(exploration.coords(self.method, 3), meta, color=name or None,
                          title=escape_plotly(self.state.source),
                          axis_title=self._axis_name,
                          max_points=MAX_MAP_POINTS, random_state=exploration.random_state)
        fig.update_layout(dragmode="orbit", margin=dict(l=40, r=10, t=40, b=40),
                          uirevision=self.method)
        return fig

    def _legend_html(self) -> str:
        if self.datamap is None or self.datamap.encoding is None:
            return ""
        if not self.datamap.categorical:
            return _colour_bar_html(self.datamap.encoding)
        legend = self.datamap.legend()
        items = "".join(
            f'<div style="white-space:nowrap"><span style="display:inline-block;width:11px;'
            f'height:11px;background:{color};margin-right:5px"></span>'
            f"{escape_markup(category)} ({count:,})</div>"
            for category, color, count in legend.itertuples(index=False))
        return (f"<b>{escape_markup(self.datamap.name)}</b> "
                f"({len(legend)} values)<div style='font-size:12px'>{items}</div>")

    # -- regions and map trust ----------------------------------------------------------------
    async def _landscape_of_new_layout(self) -> None:
        """A new 2-D layout: its regions and trust, at once up to :data:`_AUTO_LANDSCAPE`
        points, else when asked (the button)."""
        layout = (id(self.state.exploration), self.method)
        if layout == self._landscape_layout:
            return
        self._landscape_layout = None
        self.regions.clear()
        automatic = len(self.state.exploration) <= _AUTO_LANDSCAPE
        self.landscape_button.visible = not automatic
        if automatic:
            await self.find_landscape()

    async def find_landscape(self, *_) -> None:
        """Name the regions of the 2-D map on the screen and measure its trust."""
        exploration, method = self.state.exploration, self.method
        if exploration is None or self.dimensions != 2:
            return
        concepts = self.state.concepts or (None, None)
        result = await self.state.runner.run(
            f"Naming the regions of the {method.upper()} map, measuring its trust",
            lambda: (exploration.regions(method, *concepts), exploration.map_trust(method)))
        if result is None or (self.state.exploration, self.method) != (exploration, method):
            return  # failed, or another corpus or layout came meanwhile
        self._landscape_layout = (id(exploration), method)
        self.landscape_button.visible = False
        self.regions.set(*result, exploration.coords(method, 2))
        self.state.add_table("map_trust", result[1].table())
        self._redraw_view()

    async def _on_concepts(self, event) -> None:
        """An SAE was trained: the regions on the screen list their concepts."""
        if event.new is not None and self._landscape_layout is not None:
            await self.find_landscape()

    def _on_tap(self, x=None, y=None, **_) -> None:
        """A click on a region's name opens its card."""
        region = self.regions.region_at(x, y)
        if region is not None:
            async def open_card():
                await self.regions.open_region(region)

            self._next_tick(open_card)

    async def describe_selection(self, *_) -> None:
        """A card for the selected points, as for a region."""
        selection = self.state.selection
        if selection is not None:
            await self.regions.open(selection.rows, f"the selection ({selection.how})")

    # -- selection ----------------------------------------------------------------------------
    def _on_box(self, bounds=None, **_) -> None:
        if bounds is not None and self.datamap is not None:
            self._select(Selection.from_box(self.datamap.coords, bounds))

    def _on_lasso(self, geometry=None, **_) -> None:
        if geometry is None or len(geometry) < 3 or self.datamap is None:
            return
        try:
            geometry = np.asarray(geometry, dtype=float)
        except (TypeError, ValueError):
            geometry = None
        if geometry is None or geometry.ndim != 2 or geometry.shape[1] != 2:
            self.state.runner.fail("The lasso was refused: its vertices are not (x, y) pairs")
            return
        geometry = self._simplified_lasso(geometry)
        try:
            selection = Selection.from_polygon(self.datamap.coords, geometry[:, 0],
                                               geometry[:, 1])
        except ValueError as err:  # a forged lasso (NaN vertices, say)
            self.state.runner.fail(f"The lasso was refused: {err}")
            return
        self._select(selection)

    def _simplified_lasso(self, vertices: np.ndarray) -> np.ndarray:
        """At most :func:`~embviz.app.limits.lasso_vertices` of the lasso's vertices, evenly
        spaced along it (the page is told when some were dropped): the test of every point
        against the lasso costs points x vertices."""
        keep = lasso_vertices(len(self.datamap.coords))
        if len(vertices) <= keep:
            return vertices
        self.state.runner.warn(
            f"The lasso had {len(vertices):,} vertices; it was simplified to {keep:,} (the "
            f"server tests at most {keep:,} on a map of {len(self.datamap.coords):,} points)")
        return vertices[np.linspace(0, len(vertices) - 1, keep).round().astype(int)]

    def _select(self, new: Selection) -> None:
        current = self.state.selection
        if current is not None and current.n == new.n:
            new = current.combine(new, self.selection_mode)
        self.state.selection = new

    def clear_selection(self, *_) -> None:
        self.state.selection = None

    def clear_query(self, *_) -> None:
        self._query_rows = None
        self._refresh_map()

    def _refresh_map(self) -> None:
        """Draw the current view again (new selection, query markers), on the next tick: a
        selection arrives inside a stream callback of the same map, which would drop it."""
        if self.plot.object is not None:
            self._next_tick(self._redraw_view)

    @staticmethod
    def _next_tick(callback) -> None:
        """Run ``callback`` (a function or a coroutine function) on the next tick of the
        session's loop: not inside the stream callback that asked for it."""
        document = pn.state.curdoc
        if document is not None and document.session_context:
            document.add_next_tick_callback(callback)
        else:
            import asyncio
            import inspect

            loop = asyncio.get_event_loop()
            if inspect.iscoroutinefunction(callback):
                loop.call_soon(lambda: loop.create_task(callback()))
            else:
                loop.call_soon(callback)

    def _redraw_view(self) -> None:
        self._version.event(version=self._version.version + 1)

    def _on_selection(self, event) -> None:
        selection = event.new
        if self.datamap is not None:
            self.datamap.selected = None if selection is None else selection.rows
            self._refresh_map()
        if selection is None:
            self._clear_tables()
            return
        self.neighbors.value = pd.DataFrame()
        table = self.state.selection_table().reset_index()
        show_table(self.texts, table)
        self.state.add_table("selection", table)
        show_table(self.mix, self._mix(selection))
        self.selection_note.object = (
            f"**{len(selection):,} points selected** of {selection.n:,} "
            f"({escape_markup(selection.how)}).")

    def _mix(self, selection: Selection) -> pd.DataFrame:
        """The selection's mix of the colour column (or the corpus's default one)."""
        exploration = self.state.exploration
        column = (self.color if self.color in exploration.color_columns
                  else exploration.default_color)
        if column is None or column in POINT_MEASURES:
            return pd.DataFrame()
        table = composition(exploration.data.meta[column].to_numpy(), selection.rows)
        self.state.add_table("selection_mix", table)
        return table.rename(columns={"value": column})

    async def show_neighbors(self, *_) -> None:
        selection = self.state.selection
        if selection is None or self.state.exploration is None:
            return
        table = await self.state.runner.run(
            f"Neighbours of {len(selection):,} points", self.state.exploration.neighbors_table,
            selection.rows, _NEIGHBORS_K)
        if table is not None:
            show_table(self.neighbors, table)
            self.state.add_table("selection_neighbors", table)

    def _clear_tables(self) -> None:
        for table in (self.texts, self.mix, self.neighbors):
            table.value = pd.DataFrame()
        self.selection_note.object = _SELECT_HINT

    # -- the text query -----------------------------------------------------------------------
    async def find(self, *_):
        if not self.query.strip() or self.state.exploration is None:
            return
        if not self.state.runner.allowed(check_query, self.query):
            return
        result = await self.state.runner.run("Embedding the query", self.state.exploration.query,
                                             self.query)
        if result is None:
            return
        self._query_rows = result["row"].to_numpy()
        show_table(self.neighbors, result)
        self.state.add_table("query", result)
        self.selection_note.object = f"**Nearest texts to** “{escape_markup(self.query)}”"
        if self.dimensions == 2:
            self._refresh_map()

    def __panel__(self):
        actions = {"Find neighbours": self.find, "Clear selection": self.clear_selection,
                   "Clear query markers": self.clear_query,
                   "Neighbours of the selection": self.show_neighbors,
                   "Describe the selection": self.describe_selection}
        buttons = {name: pn.widgets.Button(name=name, sizing_mode="stretch_width")
                   for name in actions}
        buttons["Find neighbours"].button_type = "primary"
        for name, action in actions.items():
            buttons[name].on_click(action)
        widgets = controls(self, "method", "dimensions", "color", "selection_mode", "query",
                           widgets={"query": pn.widgets.TextInput})
        side = pn.Column(widgets, *buttons.values(), self.landscape_button, width=270)
        return pn.Row(side, pn.Column(self.notes, self._map_2d, self._plot3d_area,
                                      self.regions.caption, self.drawn, self.selection_note,
                                      self.lower, sizing_mode="stretch_width"),
                      sizing_mode="stretch_width")


def _colour_bar_html(encoding) -> str:
    """The colour bar beside the map: the same palette, range, ticks and named ends as the
    exported figure's (:func:`embviz.viz.datamap_figure`), and the grey of points without a
    value."""
    palette = encoding.palette
    stops = ", ".join(palette[i] for i in np.linspace(0, len(palette) - 1, 16).astype(int))
    positions, labels = encoding.ticks()
    span = (encoding.high - encoding.low) or 1.0
    ticks = "".join(
        f'<div style="position:absolute;left:0;bottom:{100 * (p - encoding.low) / span:.1f}%;'
        f'transform:translateY(50%);white-space:nowrap">– {escape_markup(label)}</div>'
        for p, label in zip(positions, labels))
    bar = (f'<div style="display:flex;height:300px;margin:8px 0">'
           f'<div style="width:14px;background:linear-gradient(to top, {stops})"></div>'
           f'<div style="position:relative;margin-left:4px;flex:1;font-size:12px">{ticks}'
           f"</div></div>")
    swatches = "".join(
        f'<div><span style="display:inline-block;width:11px;height:11px;background:{color};'
        f'margin-right:5px"></span>{label} ({count:,})</div>'
        for label, color, count in encoding.grey_entries())
    return (f"<b>{escape_markup(encoding.name)}</b>{bar}"
            f"<div style='font-size:12px'>{swatches}"
            f"<div style='color:#555'>{escape_markup(encoding.describe())}</div></div>")
