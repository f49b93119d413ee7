"""Export view: any figure the session made as PDF / SVG / PNG in the paper style, with a
preview of exactly the file that will be written; any table as CSV / Parquet."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

import panel as pn
import param
from panel.viewable import Viewer

from .state import AppState, controls
from .text import escape_markup

__all__ = ["ExportView", "figure_bytes", "table_bytes"]


def figure_bytes(fig, fmt: str, width: str) -> bytes:
    """The figure exported by :func:`embviz.viz.export_figure` (paper style), as bytes."""
    import plotly.graph_objects as go

    from ..viz import export_figure

    fig = go.Figure(fig)  # export styles a copy, never the figure on the page
    with tempfile.TemporaryDirectory(prefix="embviz-export-") as folder:
        [path] = export_figure(fig, Path(folder) / f"figure.{fmt}", width=width)
        return path.read_bytes()


def table_bytes(table, fmt: str) -> bytes:
    """A table as CSV (UTF-8) or Parquet bytes."""
    if fmt == "csv":
        return table.to_csv(index=False).encode("utf-8")
    buffer = io.BytesIO()
    table.to_parquet(buffer, index=False)
    return buffer.getvalue()


class ExportView(Viewer):
    """Download buttons over the session's figures and tables."""

    figure = param.Selector(default=None, objects=[])
    figure_format = param.Selector(default="pdf", objects=["pdf", "svg", "png"])
    width = param.Selector(default="single", objects=["single", "double"],
                           doc="one column (3.5 in) or two columns (7 in)")
    table = param.Selector(default=None, objects=[])
    table_format = param.Selector(default="csv", objects=["csv", "parquet"])

    def __init__(self, state: AppState, **params):
        super().__init__(**params)
        self.state = state
        self.preview = pn.pane.PNG(None, sizing_mode="fixed", width=440)
        self.preview_note = pn.pane.Markdown("", margin=(0, 10))
        self._figure_download = pn.widgets.FileDownload(
            callback=self._figure_file, filename="figure.pdf", button_type="success",
            label="Download figure", embed=False)
        self._table_download = pn.widgets.FileDownload(
            callback=self._table_file, filename="table.csv", button_type="success",
            label="Download table", embed=False)
        state.param.watch(self._choices, ["figures", "tables"])
        self._choices()

    def _choices(self, *_):
        self.param.figure.objects = list(self.state.figures)
        if self.figure not in self.state.figures:
            self.figure = next(iter(self.state.figures), None)
        self.param.table.objects = list(self.state.tables)
        if self.table not in self.state.tables:
            self.table = next(iter(self.state.tables), None)
        self._names()

    @param.depends("figure", "figure_format", "table", "table_format", watch=True)
    def _names(self):
        self._figure_download.filename = f"{self.figure or 'figure'}.{self.figure_format}"
        self._table_download.filename = f"{self.table or 'table'}.{self.table_format}"

    def _current_figure(self):
        fig = None if self.figure is None else self.state.figure(self.figure)
        if fig is None:
            raise ValueError("no figure yet: draw the map or compute a report first")
        return fig

    def _figure_file(self):
        return io.BytesIO(figure_bytes(self._current_figure(), self.figure_format, self.width))

    async def show_preview(self, *_):
        """The chosen figure as the export will write it (paper style, column width), as a
        PNG: the same figure object, styled the same way, only rasterised for the page."""
        if self.figure is None:
            self.preview.object, self.preview_note.object = None, "No figure yet."
            return
        png = await self.state.runner.run("Export preview",
                                          lambda: figure_bytes(self._current_figure(), "png",
                                                               self.width))
        if png is not None:
            self.preview.object = png
            inches = {"single": 3.5, "double": 7.0}[self.width]
            self.preview_note.object = (f"Preview of **{escape_markup(self.figure)}** at "
                                        f"{inches} in ({self.width} column), as exported.")

    def _table_file(self):
        if self.table is None:
            raise ValueError("no table yet: make a selection or compute a report first")
        return io.BytesIO(table_bytes(self.state.tables[self.table], self.table_format))

    def __panel__(self):
        preview = pn.widgets.Button(name="Preview", width=120)
        preview.on_click(self.show_preview)
        return pn.Row(
            pn.Column("### Figures (paper style)",
                      controls(self, "figure", "figure_format", "width"),
                      pn.Row(self._figure_download, preview), width=340),
            pn.Column(self.preview_note, self.preview, width=460),
            pn.Column("### Tables", controls(self, "table", "table_format"),
                      self._table_download, width=340))
