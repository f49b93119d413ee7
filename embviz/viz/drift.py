"""Figures of drift results: a test statistic over time windows, and power versus sample size."""

from __future__ import annotations

import pandas as pd

__all__ = ["drift_over_time_figure", "power_curve_figure"]


def _require(df, columns: set[str], name: str) -> None:
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"{name} must be a pandas DataFrame, got {type(df).__name__}")
    missing = columns - set(df.columns)
    if missing:
        raise ValueError(f"{name} lacks the columns {sorted(missing)}; its columns are "
                         f"{list(df.columns)}")


def drift_over_time_figure(df: pd.DataFrame, alpha: float = 0.05, title: str = ""):
    """Effect size (with its interval) and multiplicity-corrected p-value per time window.

    Parameters
    ----------
    df : pandas.DataFrame
        The output of :func:`embviz.drift.drift_over_time`: ``window``, ``effect_size``,
        ``ci_low``, ``ci_high``, ``q_value`` (the Benjamini–Hochberg adjusted p-value over
        the windows, NaN where a window was not tested) and optionally ``method``. The
        q-values are taken as given, never computed here: for a table of your own, add them
        with ``embviz.stats.benjamini_hochberg(p_values, nan_policy="omit")``.
    alpha : float, default 0.05
        Level drawn on the lower panel; windows with ``q_value < alpha`` are filled (a window
        is never flagged by its own uncorrected p-value when many are tested).
    title : str

    Returns
    -------
    plotly.graph_objects.Figure
        Two rows sharing the time axis: effect size ± interval, and −log10 q (BH).

    References
    ----------
    Benjamini & Hochberg (1995), "Controlling the false discovery rate", JRSS B 57.
    """
    import numpy as np
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    _require(df, {"window", "effect_size", "ci_low", "ci_high", "q_value"}, "df")
    method = df["method"].iloc[0] if "method" in df and len(df) else "test"
    q = df["q_value"].to_numpy(float)
    significant = q < alpha  # NaN (reference window) is never significant
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08,
                        row_heights=[0.6, 0.4])
    fig.add_trace(go.Scatter(
        x=df["window"], y=df["effect_size"], mode="lines+markers", name=f"{method} effect",
        error_y={"type": "data", "symmetric": False,
                 "array": df["ci_high"] - df["effect_size"],
                 "arrayminus": df["effect_size"] - df["ci_low"]},
        marker={"symbol": np.where(significant, "circle", "circle-open"), "size": 8}),
        row=1, col=1)
    fig.add_trace(go.Bar(x=df["window"], y=-np.log10(q), name="−log10 q (BH)"),
                  row=2, col=1)
    fig.add_hline(y=-np.log10(alpha), line_dash="dash", row=2, col=1,
                  annotation_text=f"α = {alpha}")
    fig.update_yaxes(title_text="effect size", row=1, col=1)
    fig.update_yaxes(title_text="−log10 q (BH)", row=2, col=1)
    fig.update_xaxes(title_text="window (start)", row=2, col=1)
    if not pd.api.types.is_datetime64_any_dtype(df["window"]):  # 1769, 2020: two periods,
        fig.update_xaxes(type="category")                       # not a 250-year axis
    fig.update_layout(title=title or f"Drift over time ({method})", showlegend=False)
    return fig


def power_curve_figure(df: pd.DataFrame, alpha: float | None = None, title: str = ""):
    """Power (rejection rate) of each test against the sample size per side.

    Parameters
    ----------
    df : pandas.DataFrame
        Columns ``method``, ``n`` (per side) and ``power``; optional ``ci_low`` /
        ``ci_high`` (its interval, e.g. Wilson as :func:`embviz.drift.power_curve` gives)
        drawn as error bars.
    alpha : float, optional
        Drawn as a horizontal reference line (the rejection rate under no drift).
    title : str

    Returns
    -------
    plotly.graph_objects.Figure
    """
    import plotly.graph_objects as go

    from .._tables import display_name

    _require(df, {"method", "n", "power"}, "df")
    fig = go.Figure()
    for method, part in df.sort_values("n").groupby("method", sort=False):
        error = None
        if {"ci_low", "ci_high"} <= set(part.columns):
            error = {"type": "data", "symmetric": False,
                     "array": part["ci_high"] - part["power"],
                     "arrayminus": part["power"] - part["ci_low"]}
        fig.add_trace(go.Scatter(x=part["n"], y=part["power"], mode="lines+markers",
                                 name=display_name(str(method)), error_y=error))
    if alpha is not None:
        fig.add_hline(y=alpha, line_dash="dot", annotation_text=f"α = {alpha}")
    sizes = sorted(df["n"].unique())
    fig.update_xaxes(title_text="n per side", type="log", tickvals=sizes,
                     ticktext=[f"{n:g}" for n in sizes])
    fig.update_yaxes(title_text="power", range=[0, 1.05])
    # the legend under the axis title: a single-column figure keeps its full width for the curves
    fig.update_layout(title=title or "Power vs sample size",
                      legend={"orientation": "h", "x": 0, "xanchor": "left", "y": -0.3,
                              "yanchor": "top"})
    return fig
