"""Figures of the geometry measures: per-point distributions, layer-wise curves and intrinsic
dimension across scales."""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd

from .._tables import display_name

__all__ = ["distribution_figure", "id_scale_figure", "layerwise_figure"]


def distribution_figure(values, name: str, bins: int = 50, title: str = ""):
    """Histogram of a per-point measure with its mean and median marked.

    Parameters
    ----------
    values : array of shape (n,)
        E.g. k-occurrence or local intrinsic dimension; NaNs are dropped (and counted in the
        title).
    name : str
        Axis title.
    bins : int, default 50
    title : str

    Returns
    -------
    plotly.graph_objects.Figure
        Heavy-tailed counts (k-occurrence) get a log-scaled count axis, so the few hubs in
        the tail stay visible next to the bulk.
    """
    import plotly.graph_objects as go

    values = np.asarray(values, dtype=np.float64).ravel()
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        raise ValueError(f"values of {name!r} has no finite entries")
    dropped = values.size - finite.size
    fig = go.Figure(go.Histogram(x=finite, nbinsx=bins, marker_color="#4C78A8", name=name,
                                 showlegend=False))
    mean, median = finite.mean(), np.median(finite)
    for stat, value, dash, side in (("mean", mean, "solid", mean >= median),
                                    ("median", median, "dash", median > mean)):
        fig.add_vline(x=value, line_dash=dash, line_color="black",
                      annotation_text=f"{stat} {value:.3g}", annotation_font_size=9,
                      annotation_position="top right" if side else "top left")
    suffix = f" ({dropped:,} points without a value left out)" if dropped else ""
    from .encoding import choose_encoding

    heavy = choose_encoding(finite, name).kind == "log"
    fig.update_layout(template="simple_white", title=(title + suffix).strip(),
                      xaxis_title=name, yaxis_title="points (log scale)" if heavy else "points",
                      yaxis_type="log" if heavy else None, bargap=0.02)
    return fig


def _wrap(text: str, width: int = 14) -> str:
    return "<br>".join(textwrap.wrap(text, width)) or text


def layerwise_figure(report: pd.DataFrame, metrics=("isoscore", "twonn", "hubness_skewness"),
                     title: str = ""):
    """One panel per measure, its value against the layer (with intervals where present).

    Parameters
    ----------
    report : DataFrame
        :func:`embviz.metrics.layerwise_report` output (``layer``, ``metric``, ``value``,
        ``ci_low``, ``ci_high``).
    metrics : sequence of str
        Report rows to draw.
    title : str

    Returns
    -------
    plotly.graph_objects.Figure
    """
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    missing = [m for m in metrics if m not in set(report["metric"])]
    if missing:
        raise ValueError(f"metrics {missing} are not in the report; it has "
                         f"{sorted(set(report['metric']))}")
    titles = [_wrap(display_name(m)) for m in metrics]  # wrapped: no two titles collide
    fig = make_subplots(rows=1, cols=len(metrics), subplot_titles=titles,
                        horizontal_spacing=0.12)
    for i, metric in enumerate(metrics, start=1):
        rows = report[report["metric"] == metric].sort_values("layer")
        error = None
        if rows["ci_high"].notna().any():
            error = dict(type="data", array=rows["ci_high"] - rows["value"],
                         arrayminus=rows["value"] - rows["ci_low"])
        fig.add_trace(go.Scatter(x=rows["layer"], y=rows["value"], mode="lines+markers",
                                 error_y=error, name=metric, showlegend=False), row=1, col=i)
        fig.update_xaxes(title_text="layer", row=1, col=i)
    fig.update_annotations(font_size=10)
    fig.update_layout(template="simple_white", title=dict(text=title, y=0.98, yanchor="top"),
                      margin=dict(t=100))
    return fig


def id_scale_figure(curve: pd.DataFrame, calibrated: pd.Series | None = None,
                    metric: str = "cosine", title: str = ""):
    """Intrinsic dimension against the scale it was read at, with intervals.

    Parameters
    ----------
    curve : DataFrame
        :func:`embviz.metrics.id_scale_curve` output (``estimator``, ``neighbours``,
        ``scale``, ``intrinsic_dimension``, ``ci_low``, ``ci_high``).
    calibrated : Series, optional
        The report's ``twonn_calibrated`` row (``value``, ``ci_low``, ``ci_high``): drawn as a
        horizontal line with its interval as a band.
    metric : str, default "cosine"
        Names the distance of the scale axis (chord distance for cosine).
    title : str

    Returns
    -------
    plotly.graph_objects.Figure
        Log-scaled distance axis; one line per estimator.
    """
    import plotly.graph_objects as go

    fig = go.Figure()
    for (estimator, rows), colour in zip(curve.groupby("estimator", sort=True),
                                         ("#4C78A8", "#F58518"), strict=False):
        rows = rows.sort_values("scale")
        fig.add_trace(go.Scatter(
            x=rows["scale"], y=rows["intrinsic_dimension"], mode="lines+markers", name=estimator,
            line_color=colour, customdata=rows[["neighbours"]].to_numpy(),
            error_y=dict(type="data", array=rows["ci_high"] - rows["intrinsic_dimension"],
                         arrayminus=rows["intrinsic_dimension"] - rows["ci_low"]),
            hovertemplate="%{customdata[0]}<br>scale %{x:.3g}<br>ID %{y:.3g}<extra></extra>"))
    if calibrated is not None:
        fig.add_hrect(y0=calibrated["ci_low"], y1=calibrated["ci_high"], line_width=0,
                      fillcolor="grey", opacity=0.15)
        fig.add_hline(y=calibrated["value"], line_dash="dash", line_color="black", line_width=1,
                      annotation_text=f"calibrated TwoNN {calibrated['value']:.3g}",
                      annotation_font_size=9, annotation_position="bottom right")
    distance = "chord distance √(2(1 − cos))" if metric == "cosine" else "Euclidean distance"
    fig.update_layout(template="simple_white", title=title,
                      xaxis=dict(type="log", title=f"scale: mean {distance} to the farthest "
                                                   "neighbour used"),
                      yaxis_title="intrinsic dimension (95% CI)",
                      legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0))
    return fig
