"""Plotly figure builders and paper-ready export (plotly loads when a figure is built)."""

from .export import COLUMN_WIDTHS, export_figure, paper_style
from .geometry import distribution_figure, layerwise_figure
from .scatter import scatter_map

__all__ = ["COLUMN_WIDTHS", "distribution_figure", "export_figure", "layerwise_figure",
           "paper_style", "scatter_map"]
