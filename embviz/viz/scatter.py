"""Scatter maps of embeddings, coloured by a label or a per-point measure."""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd

from .._validation import check_embeddings

__all__ = ["scatter_map"]

# 48 distinguishable colours: plotly's Dark24 followed by Light24.
_PALETTE = [
    "#2E91E5", "#E15F99", "#1CA71C", "#FB0D0D", "#DA16FF", "#222A2A", "#B68100", "#750D86",
    "#EB663B", "#511CFB", "#00A08B", "#FB00D1", "#FC0080", "#B2828D", "#6C7C32", "#778AAE",
    "#862A16", "#A777F1", "#620042", "#1616A7", "#DA60CA", "#6C4516", "#0D2A63", "#AF0038",
    "#FD3216", "#00FE35", "#6A76FC", "#FED4C4", "#FE00CE", "#0DF9FF", "#F6F926", "#FF9616",
    "#479B55", "#EEA6FB", "#DC587D", "#D626FF", "#6E899C", "#00B5F7", "#B68E00", "#C9FBE5",
    "#FF0092", "#22FFA7", "#E3EE9E", "#86CE00", "#BC7196", "#7E7DCD", "#FC6955", "#E48F72",
]


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
    values = sub[color] if color is not None else None
    if values is None or not pd.api.types.is_numeric_dtype(values) or values.nunique() <= 12:
        groups = values.astype(str) if values is not None else pd.Series("all", sub.index)
        for i, (name, idx) in enumerate(groups.groupby(groups, sort=True).groups.items()):
            pos = sub.index.get_indexer(idx)
            fig.add_trace(trace(**{k: v[pos] for k, v in axes.items()}, name=str(name),
                                text=_hover(sub[hover].iloc[pos]), customdata=rows[pos],
                                **common,
                                marker=dict(size=3, color=_PALETTE[i % len(_PALETTE)])))
    else:
        fig.add_trace(trace(**axes, name=color, text=_hover(sub[hover]), customdata=rows,
                            **common,
                            marker=dict(size=3, color=values.to_numpy(), colorscale="Viridis",
                                        colorbar=dict(title=color), showscale=True)))
    fig.update_layout(title=title, template="simple_white", legend=dict(itemsizing="constant"))
    if axis_title:
        axes = {f"{a}axis": dict(title=f"{axis_title}{i + 1}")
                for i, a in enumerate("xyz"[:coords.shape[1]])}
        fig.update_layout(**({"scene": axes} if coords.shape[1] == 3 else axes))
    return fig
