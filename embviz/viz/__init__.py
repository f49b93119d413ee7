"""Plotly figure builders and paper-ready export (plotly loads when a figure is built)."""

from .concepts import dataset_diff_figure, feature_histogram_figure, training_curve_figure
from .datamap import DataMap, datamap_figure
from .drift import drift_over_time_figure, power_curve_figure
from .export import COLUMN_WIDTHS, export_figure, paper_style
from .geometry import distribution_figure, layerwise_figure
from .regions import annotate_regions, place_labels, region_map_figure
from .scatter import scatter_map

__all__ = ["COLUMN_WIDTHS", "DataMap", "annotate_regions", "datamap_figure",
           "dataset_diff_figure", "distribution_figure", "drift_over_time_figure",
           "export_figure", "feature_histogram_figure", "layerwise_figure", "paper_style",
           "place_labels", "power_curve_figure", "region_map_figure", "scatter_map",
           "training_curve_figure"]
