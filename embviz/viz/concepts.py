"""Figures for SAE concept features: activation histograms, dataset diffs, training curves."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["dataset_diff_figure", "feature_histogram_figure", "training_curve_figure"]


def feature_histogram_figure(activations, label: str = "", bins: int = 50):
    """Histogram of one feature's non-zero activations, with its presence share in the title.

    Parameters
    ----------
    activations : array-like or sparse column of shape (n,)
        The feature's activation in every document, e.g. ``sae_encode(sae, X)[:, f]``.
    label : str
        The feature's label (shown in the title).
    bins : int, default 50

    Returns
    -------
    plotly.graph_objects.Figure
    """
    import plotly.graph_objects as go

    if hasattr(activations, "toarray"):
        activations = activations.toarray()
    values = np.asarray(activations, np.float64).ravel()
    active = values[values != 0]
    share = active.size / max(values.size, 1)
    fig = go.Figure(go.Histogram(x=active, nbinsx=bins, marker_color="#2E91E5"))
    fig.update_layout(title=f"{label or 'feature'}: present in {share:.1%} of "
                            f"{values.size:,} documents",
                      xaxis_title="activation (non-zero only)", yaxis_title="documents",
                      template="plotly_white", bargap=0.02)
    return fig


def dataset_diff_figure(diff: pd.DataFrame, n_top: int = 20,
                        groups: tuple[str, str] = ("A", "B")):
    """Diverging bars of the features whose presence differs most between two corpora.

    Parameters
    ----------
    diff : pandas.DataFrame
        Output of :func:`embviz.sae.dataset_diff` or :func:`~embviz.sae.presence_diff`
        (``feature, diff, q_value`` and optionally ``label``).
    n_top : int, default 20
        Number of features shown (largest ``|diff|``).
    groups : (str, str), default ("A", "B")
        The two corpora's names, for the title and the axis.

    Returns
    -------
    plotly.graph_objects.Figure
        Positive bars: more frequent in A; negative: in B. Faded bars are not significant
        (``q_value >= 0.05``). Every bar is labelled (no label is skipped for lack of room:
        the figure is 22 px per bar tall, and its ``layout.meta["paper_height"]`` asks the
        paper export for 13 px per bar).
    """
    import plotly.graph_objects as go

    missing = {"feature", "diff"} - set(diff.columns)
    if missing:
        raise ValueError(f"diff must be a dataset_diff/presence_diff table; missing {missing}")
    rows = diff.reindex(diff["diff"].abs().sort_values(ascending=False).index).head(n_top)
    rows = rows.sort_values("diff")
    names = [f"{f}: {lab}" if "label" in rows else str(f)
             for f, lab in zip(rows["feature"], rows.get("label", rows["feature"]))]
    significant = rows["q_value"] < 0.05 if "q_value" in rows else pd.Series(True, rows.index)
    colors = ["#E15F99" if d > 0 else "#2E91E5" for d in rows["diff"]]
    names = [n if len(n) <= 48 else n[:47] + "…" for n in names]
    fig = go.Figure(go.Bar(x=rows["diff"], y=list(range(len(rows))), orientation="h",
                           marker_color=colors,
                           marker_opacity=[1.0 if s else 0.35 for s in significant],
                           customdata=np.column_stack([rows["feature"], names]),
                           hovertemplate="%{customdata[1]}<br>Δ share %{x:.3f}<extra></extra>"))
    a, b = groups
    fig.update_yaxes(tickmode="array", tickvals=list(range(len(rows))), ticktext=names,
                     automargin=True)
    fig.update_layout(title=f"Concepts more frequent in {a} (right) or {b} (left)",
                      xaxis_title=f"share active, {a} − {b}",
                      template="plotly_white", height=max(300, 22 * len(rows) + 120),
                      meta=dict(paper_height=13 * len(rows) + 110))
    return fig


def training_curve_figure(record):
    """Training loss per step (log scale) with the held-out quality in the title.

    Parameters
    ----------
    record : TrainingRecord or dict
        ``ConceptSAE.record`` (or its ``to_dict()``).

    Returns
    -------
    plotly.graph_objects.Figure
    """
    import plotly.graph_objects as go

    data = record if isinstance(record, dict) else record.to_dict()
    steps = np.arange(1, len(data["loss"]) + 1)
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=steps, y=data["loss"], name="total loss", mode="lines"))
    if data.get("mse"):
        fig.add_trace(go.Scatter(x=steps, y=data["mse"], name="reconstruction (MSE)",
                                 mode="lines"))
    fig.update_layout(title=f"SAE training: held-out EV {data['explained_variance']:.3f}, "
                            f"L0 {data['l0']:.1f}, dead {data['dead_fraction']:.1%}",
                      xaxis_title="step", yaxis_title="loss", yaxis_type="log",
                      template="plotly_white")
    return fig
