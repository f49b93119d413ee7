"""Result tables as people read them: display names for columns and measures, p-values as
``< 1e-6``, groups by their own names, long texts wrapped. The table behind the widget (what
the Export view writes) keeps its machine names and full precision."""

from __future__ import annotations

import html

import pandas as pd
import panel as pn

from .._tables import display_table

__all__ = ["result_table", "show_table"]

_WRAPPED = ("text", "neighbor_text", "parameters", "note", "top_texts", "examples_a",
            "examples_b", "text_a", "text_b")


def _options(shown: pd.DataFrame, titles: dict[str, str]) -> dict:
    """Tabulator options: escaped titles (Tabulator sets a title as ``innerHTML``, and a title
    may hold a column name or a group name from the user's file), wrapped long texts."""
    wrapped = [c for c in shown.columns if c in _WRAPPED]
    return dict(titles={c: html.escape(str(t), quote=True) for c, t in titles.items()},
                formatters={c: {"type": "textarea"} for c in wrapped},
                widths={c: 320 for c in wrapped})


def result_table(table: pd.DataFrame, groups: tuple[str, str] = ("A", "B"),
                 height: int | None = 260, **kwargs) -> pn.widgets.Tabulator:
    """A read-only Tabulator showing ``table`` through :func:`embviz._tables.display_table`."""
    shown, titles = display_table(table, groups)
    options = dict(disabled=True, show_index=False, sizing_mode="stretch_width",
                   pagination="local", page_size=10, **_options(shown, titles))
    if height is not None:
        options["height"] = height
    options.update(kwargs)
    return pn.widgets.Tabulator(shown, **options)


def show_table(widget: pn.widgets.Tabulator, table: pd.DataFrame,
               groups: tuple[str, str] = ("A", "B")) -> None:
    """Put ``table`` into an existing Tabulator, with display names and formats."""
    shown, titles = display_table(table, groups)
    options = _options(shown, titles)
    widget.param.update(titles=options["titles"], formatters=options["formatters"],
                        widths=options["widths"], value=shown)
