"""Map view: UMAP or PCA in 2-D/3-D, coloured by metadata or a per-point measure; selections
fill a table of texts and their neighbours; a text query highlights its nearest points."""

from __future__ import annotations

import numpy as np
import pandas as pd
import panel as pn
import param
from panel.viewable import Viewer

from ..exploration import MAX_MAP_POINTS, MAX_SELECTED_ROWS, POINT_MEASURES
from .state import AppState, controls
from .text import escape_markup

__all__ = ["MapView"]

_NO_COLOR = "(none)"
_SELECT_HINT = "Select points with the box or lasso tool."


class MapView(Viewer):
    """The map and everything that hangs off it."""

    method = param.Selector(default="umap", objects=["umap", "pca"])
    dimensions = param.Selector(default=2, objects=[2, 3])
    color = param.Selector(default="label", objects=["label"])
    max_points = param.Integer(default=MAX_MAP_POINTS, bounds=(1_000, 200_000),
                               doc="points drawn; above this a random sample is shown")
    query = param.String(default="", doc="a text to find its nearest neighbours")

    def __init__(self, state: AppState, **params):
        super().__init__(**params)
        self.state = state
        self.plot = pn.pane.Plotly(None, sizing_mode="stretch_width", height=560,
                                   config={"scrollZoom": True, "displaylogo": False})
        self.selection = pn.widgets.Tabulator(pd.DataFrame(), pagination="remote", page_size=12,
                                              sizing_mode="stretch_width", height=380,
                                              disabled=True, show_index=False)
        self.selection_note = pn.pane.Markdown(_SELECT_HINT)
        self._query_rows: np.ndarray | None = None
        self.plot.param.watch(self._on_select, "selected_data")
        state.param.watch(self._on_data, "exploration")
        state.param.watch(self._on_measures, "extra_measures")

    def _color_options(self) -> list[str]:
        exploration = self.state.exploration
        if exploration is None:
            return [_NO_COLOR]
        return [*exploration.color_columns, *POINT_MEASURES, *self.state.extra_measures,
                _NO_COLOR]

    async def _on_data(self, event) -> None:
        self._query_rows = None
        self.selection.value = pd.DataFrame()
        self.selection_note.object = _SELECT_HINT
        self._refresh_colors()
        await self.redraw()

    async def _on_measures(self, event) -> None:
        new = set(event.new) - set(event.old or {})
        self._refresh_colors()
        if new:
            self.color = min(new)  # show what was just computed (watcher redraws)

    def _refresh_colors(self) -> None:
        options = self._color_options()
        self.param.color.objects = options
        if self.color not in options:
            exploration = self.state.exploration
            default = exploration.default_color if exploration is not None else None
            self.color = default or _NO_COLOR

    @param.depends("method", "dimensions", "color", "max_points", watch=True)
    async def redraw(self) -> None:
        exploration = self.state.exploration
        if exploration is None:
            return
        figure = await self.state.runner.run(f"Drawing the {self.method.upper()} map",
                                             self._figure)
        if figure is not None:
            self.plot.object = figure
            self.state.add_figure("map", figure)

    def _figure(self):
        from ..viz import scatter_map

        exploration = self.state.exploration
        coords = exploration.coords(self.method, self.dimensions)
        color = None if self.color == _NO_COLOR else self.color
        meta = exploration.meta_with(color)
        if color in self.state.extra_measures:
            meta = meta.assign(**{color: self.state.extra_measures[color]})
        fig = scatter_map(coords, meta, color=color, title=self.state.source,
                          axis_title="UMAP" if self.method == "umap" else "PC",
                          max_points=self.max_points, random_state=exploration.random_state)
        if self._query_rows is not None:
            self._add_query_trace(fig, coords)
        fig.update_layout(dragmode="select" if self.dimensions == 2 else "orbit",
                          margin=dict(l=40, r=10, t=40, b=40), uirevision=self.method)
        return fig

    def _add_query_trace(self, fig, coords) -> None:
        import plotly.graph_objects as go

        rows = self._query_rows
        xyz = dict(zip("xyz", coords[rows].T))
        trace = go.Scatter3d if coords.shape[1] == 3 else go.Scatter
        fig.add_trace(trace(**xyz, mode="markers", name="query neighbours", customdata=rows,
                            marker=dict(size=11, symbol="diamond", color="rgba(0,0,0,0)",
                                        line=dict(color="red", width=2))))

    def _on_select(self, event) -> None:
        points = (event.new or {}).get("points", [])
        rows = np.unique([int(p["customdata"]) for p in points if "customdata" in p])
        if rows.size == 0:
            return
        table = self.state.exploration.neighbors_table(rows)
        self.selection.value = table
        self.state.add_table("selection", table)
        more = (f" (neighbours of the first {MAX_SELECTED_ROWS})"
                if len(rows) > MAX_SELECTED_ROWS else "")
        self.selection_note.object = f"**{len(rows):,} points selected**{more}."

    async def find(self, *_):
        if not self.query.strip() or self.state.exploration is None:
            return
        result = await self.state.runner.run("Embedding the query", self.state.exploration.query,
                                             self.query)
        if result is None:
            return
        self._query_rows = result["row"].to_numpy()
        self.selection.value = result
        self.state.add_table("query", result)
        self.selection_note.object = f"**Nearest texts to** “{escape_markup(self.query)}”"
        await self.redraw()

    def __panel__(self):
        search = pn.widgets.Button(name="Find neighbours", button_type="primary")
        search.on_click(self.find)
        widgets = controls(self, "method", "dimensions", "color", "max_points", "query",
                           widgets={"query": pn.widgets.TextInput})
        return pn.Row(pn.Column(widgets, search, width=270),
                      pn.Column(self.plot, self.selection_note, self.selection,
                                sizing_mode="stretch_width"), sizing_mode="stretch_width")
