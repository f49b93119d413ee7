"""Plotly figure builders and paper-ready export (plotly loads when a figure is built)."""

from .export import COLUMN_WIDTHS, export_figure, paper_style
from .scatter import scatter_map

__all__ = ["COLUMN_WIDTHS", "export_figure", "paper_style", "scatter_map"]
