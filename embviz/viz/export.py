"""Paper-ready figure export: consistent fonts and sizes for one- and two-column layouts."""

from __future__ import annotations

import atexit
import warnings
from pathlib import Path

from .._validation import check_choice

__all__ = ["COLUMN_WIDTHS", "export_figure", "paper_style"]

#: Figure widths in CSS pixels (96 px per inch): 3.5 in (one column), 7.0 in (two columns).
COLUMN_WIDTHS = {"single": 336, "double": 672}
_FONT = dict(family="Liberation Sans, Arial, Helvetica, sans-serif", size=9, color="black")
_PNG_DPI = 300
_STYLES = ("paper",)
_SERVER = {"started": False}


def _start_image_server() -> None:
    """Keep one kaleido browser open for every static export of this process.

    Starting Chromium costs ~3 s per image otherwise; with the server an export takes ~0.2 s.
    The browser closes when the interpreter exits.
    """
    if _SERVER["started"]:
        return
    import kaleido

    if not hasattr(kaleido, "start_sync_server"):  # kaleido < 1 has no server
        return
    kaleido.start_sync_server(silence_warnings=True)
    atexit.register(kaleido.stop_sync_server, silence_warnings=True)
    _SERVER["started"] = True
_MAX_SIDE_LEGEND = 12  # more legend entries than this go under the plot, wrapped
_LEGEND_ITEM_PX = 130
_LEGEND_ROW_PX = 19  # one row of a wrapped legend at 6 pt, marker included


def paper_style(fig, width: str = "single", height: int | None = None):
    """Apply the paper style in place: white template, 9-pt sans-serif, column width.

    Parameters
    ----------
    fig : plotly.graph_objects.Figure
    width : {"single", "double"}, default "single"
        One column (3.5 in, 336 px) or the full page width of a two-column paper (7 in, 672 px).
    height : int, optional
        Pixels; default the figure's own ``layout.meta["paper_height"]`` (a figure whose
        height grows with its content, e.g. one bar per feature), else 3/4 of the width.

    Returns
    -------
    The same figure.
    """
    check_choice(width, "width", COLUMN_WIDTHS)
    width = COLUMN_WIDTHS[width]
    meta = fig.layout.meta if isinstance(fig.layout.meta, dict) else {}
    height = height or meta.get("paper_height") or int(width * 0.75)
    entries = sum(1 for t in fig.data if t.showlegend is not False and t.name)
    legend = dict(font_size=7, itemsizing="constant")
    bottom = 35
    if entries > _MAX_SIDE_LEGEND:  # many categories: a wrapped legend under the plot
        rows = -(-entries // max(1, width // _LEGEND_ITEM_PX))
        bottom = 75 + rows * _LEGEND_ROW_PX
        legend.update(orientation="h", x=0, xanchor="left", y=-70 / height, yanchor="top",
                      entrywidth=_LEGEND_ITEM_PX - 40, font_size=6, tracegroupgap=0,
                      maxheight=(rows + 2) * _LEGEND_ROW_PX)  # never a scrolled-off legend
        height += rows * _LEGEND_ROW_PX
    margin = dict(l=40, r=10, t=30 if fig.layout.title.text else 10, b=bottom)
    for side in margin:  # a figure that asked for more room (subplot titles) keeps it
        margin[side] = max(margin[side], getattr(fig.layout.margin, side) or 0)
    fig.update_layout(template="simple_white", font=_FONT, width=width, height=height,
                      margin=margin, title_font_size=10, legend=legend)
    _keep_reference_lines(fig)
    return fig


def _keep_reference_lines(fig) -> None:
    """Give line shapes that set no width or opacity of their own a visible 1-px line.

    ``simple_white`` draws shapes with line width 0 and opacity 0.3 unless they say otherwise
    (its defaults are for shaded rectangles): the reference lines of ``add_hline`` /
    ``add_vline`` (a threshold, zero) were on the screen but missing from the paper figure.
    """
    for shape in fig.layout.shapes:
        if shape.type == "line":
            if shape.line.width is None:
                shape.line.width = 1
            if shape.opacity is None:
                shape.opacity = 1


def export_figure(fig, path: str | Path, style: str = "paper", width: str = "single",
                  height: int | None = None,
                  formats: tuple[str, ...] | None = None) -> list[Path]:
    """Write a figure as PDF / SVG / PNG (300 dpi) in the paper style, plus optional HTML.

    Parameters
    ----------
    fig : plotly.graph_objects.Figure
    path : str or Path
        Output path; its suffix is the format unless ``formats`` is given, in which case the
        suffix is replaced by each format in turn. Without either, PDF, SVG and PNG are
        written (``figures/map`` -> ``figures/map.pdf``, ``.svg``, ``.png``).
    style : {"paper"}, default "paper"
        The figure style; only the paper style (9-pt sans-serif, white template) exists now.
    width : {"single", "double"}, default "single"
        Single-column (3.5 in) or double-column (7 in) width; see :func:`paper_style`.
    height : int, optional
        Pixels; default 3/4 of the width.
    formats : tuple of {"pdf", "svg", "png", "html"}, optional
        Default: the suffix of ``path``, or ``("pdf", "svg", "png")`` when it has none.

    Returns
    -------
    list of Path
        The files written, in the order of ``formats``. Static formats need kaleido and a
        Chromium; one browser stays open for all exports of the process.
    """
    check_choice(style, "style", _STYLES)
    path = Path(path)
    suffix = path.suffix.lstrip(".").lower()
    formats = formats or ((suffix,) if suffix else ("pdf", "svg", "png"))
    for fmt in formats:
        check_choice(fmt, "format", ["pdf", "svg", "png", "html"])
    paper_style(fig, width, height)
    path.parent.mkdir(parents=True, exist_ok=True)
    written = []
    for fmt in formats:
        out = path.with_suffix(f".{fmt}")
        if fmt == "html":
            fig.write_html(out, include_plotlyjs=True)  # works offline
        else:
            _start_image_server()
            with warnings.catch_warnings():  # plotly: "kopts ... ignored if using a server"
                warnings.filterwarnings("ignore", message="The kopts argument is ignored")
                fig.write_image(out, format=fmt, scale=_PNG_DPI / 96 if fmt == "png" else 1)
        written.append(out)
    return written
