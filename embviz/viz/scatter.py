"""Scatter maps of embeddings, coloured by a label or a per-point measure."""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd

from .._validation import check_embeddings
from .encoding import NO_VALUE_COLOR, category_colors, choose_encoding

__all__ = ["scatter_map"]

def _hover(texts: pd.Series, width: int = 80, limit: int = 300) -> list[str]:
    return ["<br>".join(textwrap.wrap(str(t)[:limit] + ("…" if len(str(t)) > limit else ""),
                                      width)) for t in texts]


def scatter_map(coords, meta: pd.DataFrame, color: str | None = "label", hover: str = "text",
                title: str = "", axis_title: str = "", max_points: int | None = 50_000,
                random_state: int | None = 0):
    """A 2-D or 3-D scatter of embedding coordinates.

    Parameters
    ----------
    coords : array of shape (n, 2) or (n, 3)
    meta : DataFrame of n rows
        Holds the ``color`` and ``hover`` columns.
    color : str, optional
        Column to colour by: categories get a legend entry each, numbers a colour bar.
    hover : str, default "text"
        Column shown (wrapped, truncated) on hover.
    title : str
    axis_title : str
        Axis name prefix, e.g. ``"PC"`` gives PC1, PC2 (PC3); empty for none.
    max_points : int, optional
        Above this many points a uniform random sample is drawn, and the title says so
        ("showing N of M"). ``None`` draws every point.
    random_state : int, optional
        Seed of that sample.

    Returns
    -------
    plotly.graph_objects.Figure
        Each point's ``customdata`` is its row number in ``coords``, so a selection maps
        back to rows even when the map is sampled or split into one trace per category.
    """
    import plotly.graph_objects as go

    coords = check_embeddings(coords, name="coords")
    if coords.shape[1] not in (2, 3):
        raise ValueError(f"coords must have 2 or 3 columns, got shape {coords.shape}")
    if len(meta) != len(coords):
        raise ValueError(f"meta has {len(meta)} rows but coords has {len(coords)}")
    for column in (c for c in (color, hover) if c is not None):
        if column not in meta.columns:
            raise ValueError(f"{column!r} is not a column of meta; columns: {list(meta.columns)}")
    rows = np.arange(len(coords))
    if max_points is not None and len(coords) > max_points:
        rows = np.sort(np.random.default_rng(random_state).choice(len(coords), max_points,
                                                                 replace=False))
        title = f"{title} (showing {max_points:,} of {len(coords):,} points)".strip()
    xyz, sub = coords[rows], meta.iloc[rows]
    trace = go.Scatter3d if coords.shape[1] == 3 else go.Scattergl
    axes = dict(zip("xyz", xyz.T))
    common = dict(mode="markers", hovertemplate="%{text}<extra>%{fullData.name}</extra>")
    fig = go.Figure()
    size = _marker_size(len(rows))
    values = sub[color] if color is not None else None
    encoding = choose_encoding(meta[color], color) if color is not None else None
    if encoding is None or not encoding.continuous:
        groups = values.astype(str) if values is not None else pd.Series("all", sub.index)
        names = list(encoding.categories) if encoding is not None else ["all"]
        colors = dict(zip(names, category_colors(len(names))))
        for name, idx in groups.groupby(groups, sort=False).groups.items():
            pos = sub.index.get_indexer(idx)
            fig.add_trace(trace(**{k: v[pos] for k, v in axes.items()}, name=str(name),
                                text=_hover(sub[hover].iloc[pos]), customdata=rows[pos],
                                **common, marker=dict(size=size, color=colors.get(name))))
        order = {name: i for i, name in enumerate(names)}  # legend in frequency order
        fig.data = sorted(fig.data, key=lambda t: order.get(t.name, len(order)))
    else:
        scaled = encoding.scale(values.to_numpy())
        tickvals, ticktext = encoding.ticks()
        grey = np.isnan(scaled)  # no value (or a sparse measure's zeros): grey, underneath
        if grey.any():
            label = "zero" if encoding.kind == "sparse" else "no value"
            fig.add_trace(trace(**{k: v[grey] for k, v in axes.items()},
                                name=f"{label} ({int(grey.sum()):,})",
                                text=_hover(sub[hover][grey]), customdata=rows[grey], **common,
                                marker=dict(size=size, color=NO_VALUE_COLOR)))
        shown = ~grey
        fig.add_trace(trace(**{k: v[shown] for k, v in axes.items()}, name=color,
                            text=_hover(sub[hover][shown]), customdata=rows[shown], **common,
                            showlegend=False, marker=dict(
                                size=size, color=scaled[shown], cmin=encoding.low,
                                cmax=encoding.high, colorscale=encoding.palette,
                                showscale=True, colorbar=dict(title=color, tickvals=tickvals,
                                                              ticktext=ticktext))))
    fig.update_layout(title=title, template="simple_white", legend=dict(itemsizing="constant"))
    if axis_title:
        axes = {f"{a}axis": dict(title=f"{axis_title}{i + 1}")
                for i, a in enumerate("xyz"[:coords.shape[1]])}
        fig.update_layout(**({"scene": axes} if coords.shape[1] == 3 else axes))
    return fig


def _marker_size(n: int) -> float:
    """Marker size in pixels for n points: 6 for a hundred, 2 from about 100,000."""
    return float(np.clip(8 - 1.2 * np.log10(max(n, 1)), 2, 6))
