"""Export view: any figure the session made as PDF / SVG / PNG in the paper style; any table
as CSV / Parquet."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

import panel as pn
import param
from panel.viewable import Viewer

from .state import AppState, controls

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

    def _figure_file(self):
        fig = None if self.figure is None else self.state.figure(self.figure)
        if fig is None:
            raise ValueError("no figure yet: draw the map or compute a report first")
        return io.BytesIO(figure_bytes(fig, self.figure_format, self.width))

    def _table_file(self):
        if self.table is None:
            raise ValueError("no table yet: make a selection or compute a report first")
        return io.BytesIO(table_bytes(self.state.tables[self.table], self.table_format))

    def __panel__(self):
        return pn.Row(
            pn.Column("### Figures (paper style)",
                      controls(self, "figure", "figure_format", "width"),
                      self._figure_download, width=340),
            pn.Column("### Tables", controls(self, "table", "table_format"),
                      self._table_download, width=340))
