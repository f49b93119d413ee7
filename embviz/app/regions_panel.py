"""The map's regions and how far it can be trusted.

Names of the regions (:meth:`embviz.Exploration.regions`) are drawn on the 2-D map at the
level of granularity that fits the view: the finest level with at most :data:`MAX_NAMES`
regions placed inside it, so zooming in shows finer regions. Names are placed largest region
first, each at its region's place or a free spot beside it (:func:`embviz.viz.place_labels`);
a name that would overlap one already drawn is left out. A caption under the map lists the
names drawn (text a screen reader, a test and a copy-paste can use) and the map's trust in one
line (:meth:`embviz.Exploration.map_trust`). The Regions table lists the regions of the level
shown; a click on a name on the map, on a row, or "Describe the selection" opens a card
(:meth:`embviz.Exploration.region_card`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import panel as pn

from .._tables import format_p_value
from .tables import result_table, show_table
from .text import escape_markup

__all__ = ["MAX_NAMES", "RegionsPanel"]

#: Most region names drawn in one view.
MAX_NAMES = 16
_FONT_PX = 12
_CHAR_WIDTH = 0.6  # average glyph width, in font sizes (bold sans-serif)
_LEVEL_NAMES = ("coarse", "medium", "fine")


class RegionsPanel:
    """Region names for the map's views, the regions table, the card and the trust line.

    Parameters
    ----------
    state : AppState
        The explorer's shared state (corpus, runner, tables for export).
    """

    def __init__(self, state):
        self.state = state
        self.regions = None  # embviz.landscape.Regions of the map on the screen
        self.coords = None  # that map's coordinates (n, 2)
        self.trust = None  # embviz.landscape.MapTrust of that map (maybe on a sample)
        self.level = 0  # the level whose names the current view shows
        #: The names drawn in the current view: region, name, x, y (data units), and the
        #: half-width and half-height of each name's box (data units), for clicks.
        self.shown = pd.DataFrame()
        self.caption = pn.pane.Markdown("", margin=(0, 10), sizing_mode="stretch_width",
                                        css_classes=["region-caption"])
        self.table = result_table(pd.DataFrame(), height=None, pagination="remote",
                                  page_size=12, selectable=False)
        self.table.on_click(self._on_row)
        self._rows_shown = pd.DataFrame()
        self.card = pn.Column(pn.pane.Markdown(_CARD_HINT), sizing_mode="stretch_width",
                              css_classes=["region-card"])
        self.opened = None  # called after a card opens (the view shows the card's tab)

    # -- the regions of a new map -------------------------------------------------------------
    def clear(self) -> None:
        self.regions = self.trust = None
        self.shown = pd.DataFrame()
        self.caption.object = ""
        self.table.value = pd.DataFrame()
        self.card.objects = [pn.pane.Markdown(_CARD_HINT)]

    def set(self, regions, trust, coords) -> None:
        """The map on the screen (``coords``, shape (n, 2)) has these regions and this trust
        (either may be None)."""
        self.regions, self.trust, self.coords = regions, trust, coords
        self._show_level(self.level)

    def _show_level(self, level: int) -> None:
        """The regions table follows the level whose names the map shows."""
        if self.regions is None:
            self.table.value = pd.DataFrame()
            return
        table = self.regions.level(level)
        table = table.assign(top_words=table["top_words"].map(", ".join),
                             share=table["share"].round(4))
        columns = ["name", "size", "share", "top_words", "region"]
        if table["top_concepts"].map(len).any():
            table["top_concepts"] = table["top_concepts"].map(", ".join)
            columns.insert(4, "top_concepts")
        self._rows_shown = table[columns].reset_index(drop=True)
        show_table(self.table, self._rows_shown)
        self.state.add_table("regions", self.regions.regions)

    # -- names in a view ----------------------------------------------------------------------
    def labels(self, x_range, y_range, width, height):
        """The names for one view of the map, as a HoloViews ``Labels`` element."""
        import holoviews as hv

        self.shown = self._place(x_range, y_range, width or 900, height or 560)
        self._describe()
        labels = hv.Labels(self.shown, kdims=["x", "y"], vdims=["name"])
        return labels.opts(text_font_size=f"{_FONT_PX}px", text_font_style="bold",
                           text_color="#111111", background_fill_color="white",
                           background_fill_alpha=0.7, text_align="center",
                           text_baseline="middle")

    def _place(self, x_range, y_range, width: float, height: float) -> pd.DataFrame:
        from ..viz import place_labels

        empty = pd.DataFrame({c: [] for c in ("region", "name", "x", "y", "half_w", "half_h")})
        if self.regions is None or x_range is None or y_range is None:
            return empty
        (x0, x1), (y0, y1) = x_range, y_range
        if not (x1 > x0 and y1 > y0):
            return empty
        self.level, table = self._level_for(x_range, y_range)
        if self.level != getattr(self, "_table_level", None):
            self._table_level = self.level
            self._show_level(self.level)
        scale = np.array([width / (x1 - x0), height / (y1 - y0)])
        anchors = (table[["x", "y"]].to_numpy() - [x0, y0]) * scale
        sizes = np.c_[table["name"].str.len() * _CHAR_WIDTH * _FONT_PX + 6,
                      np.full(len(table), 1.5 * _FONT_PX)]
        spots = place_labels(anchors, sizes, (width, height))
        keep = [i for i, spot in enumerate(spots) if spot is not None]
        if not keep:
            return empty
        centres = np.array([spots[i] for i in keep]) / scale + [x0, y0]
        return pd.DataFrame({"region": table["region"].to_numpy()[keep],
                             "name": table["name"].to_numpy()[keep],
                             "x": centres[:, 0], "y": centres[:, 1],
                             "half_w": sizes[keep, 0] / 2 / scale[0],
                             "half_h": sizes[keep, 1] / 2 / scale[1]})

    def _level_for(self, x_range, y_range) -> tuple[int, pd.DataFrame]:
        """The finest level with at most :data:`MAX_NAMES` regions placed in the view, and
        those regions, largest first."""
        (x0, x1), (y0, y1) = x_range, y_range
        chosen = None
        for level in range(self.regions.n_levels):
            table = self.regions.level(level)
            inside = table[table["x"].between(x0, x1) & table["y"].between(y0, y1)]
            if chosen is None or len(inside) <= MAX_NAMES:
                chosen = (level, inside)
            if len(inside) > MAX_NAMES:
                break
        level, inside = chosen
        if inside.empty:  # zoomed in between the regions' places: name what is in view
            inside = self._regions_in_view(level, x_range, y_range)
        return level, inside.sort_values(["size", "region"], ascending=[False, True],
                                         kind="stable").head(MAX_NAMES)

    def _regions_in_view(self, level: int, x_range, y_range, most: int = 3) -> pd.DataFrame:
        """The ``most`` regions of ``level`` with the most points in the view, each placed at
        the point of its own in the view nearest to their median; ``size`` counts them."""
        (x0, x1), (y0, y1) = x_range, y_range
        xy = self.coords
        inside = np.flatnonzero((xy[:, 0] >= x0) & (xy[:, 0] <= x1) & (xy[:, 1] >= y0)
                                & (xy[:, 1] <= y1))
        table = self.regions.level(level).set_index("region")
        ids = self.regions.points[f"level_{level}"].to_numpy()[inside]
        rows = []
        for region, members in pd.Series(inside).groupby(ids):
            points = xy[members.to_numpy()]
            middle = points[np.argmin(((points - np.median(points, axis=0)) ** 2).sum(1))]
            rows.append({"region": region, "name": table.loc[region, "name"],
                         "size": len(points), "x": middle[0], "y": middle[1]})
        found = pd.DataFrame(rows, columns=["region", "name", "size", "x", "y"])
        return found.nlargest(most, "size")

    def _describe(self) -> None:
        lines = []
        if self.regions is not None:
            names = "; ".join(self.shown["name"])
            depth = _LEVEL_NAMES[self.level] if self.regions.n_levels == 3 else self.level
            lines.append(f"**Regions named on the map** ({depth} level, "
                         f"{len(self.shown)} of {len(self.regions.level(self.level))}; zoom in "
                         f"for finer ones, click a name for its card): "
                         f"{escape_markup(names) or 'none in this view'}")
        if self.trust is not None:
            lines.append(escape_markup(_trust_line(self.trust)))
        self.caption.object = "  \n".join(lines)

    def shown_table(self):
        """The regions whose names the view shows (``Regions.regions`` rows: their own places,
        sizes), or None: what an exported figure names."""
        if self.regions is None or self.shown.empty:
            return None
        table = self.regions.level(self.level)
        return table[table["region"].isin(self.shown["region"])]

    def region_at(self, x: float, y: float):
        """The region whose drawn name is at ``(x, y)`` (data units), or None."""
        shown = self.shown
        if shown.empty or x is None or y is None:
            return None
        hit = ((shown["x"] - x).abs() <= shown["half_w"]) & (
            (shown["y"] - y).abs() <= shown["half_h"])
        return int(shown.loc[hit, "region"].iloc[0]) if hit.any() else None

    # -- cards --------------------------------------------------------------------------------
    async def _on_row(self, event) -> None:
        if 0 <= event.row < len(self._rows_shown):
            await self.open_region(int(self._rows_shown["region"].iloc[event.row]))

    async def open_region(self, region: int) -> None:
        """Open the card of ``region`` (an id of the regions on the screen)."""
        if self.regions is None:
            return
        name = self.regions.regions.set_index("region").loc[region, "name"]
        await self.open(self.regions.members(region), name)

    async def open(self, rows, name: str) -> None:
        """Open the card of the points ``rows`` (a region, or a selection) called ``name``."""
        exploration = self.state.exploration
        if exploration is None:
            return
        runner = self.state.runner
        card = await runner.run(f"Card of {name} ({len(rows):,} points)",
                                exploration.region_card, rows, name)
        if card is None:
            return
        self.state.add_table("region_card", card.table())
        self.card.objects = runner.noted(_card_panes(card, exploration))
        if self.opened is not None:
            self.opened()


_CARD_HINT = ("Click a region's name on the map, a row of the Regions table, or select points "
              "and press “Describe the selection” to open a card.")


def _trust_line(trust) -> str:
    """``map trust (k=10): kNN recall 0.24, ...`` and, on a sample, the intervals."""
    table = trust.table().set_index("metric")
    if table["ci_low"].notna().any():
        parts = [f"{name.replace('_', ' ').replace('knn', 'kNN')} {row.value:.2f} "
                 f"[{row.ci_low:.2f}, {row.ci_high:.2f}]" for name, row in table.iterrows()]
        return (f"map trust (k={trust.k}, {trust.parameters.get('points', '')} points "
                f"scored; 95% intervals): " + ", ".join(parts))
    return trust.summary()


def _card_panes(card, exploration) -> list:
    """The card's header and its tables (geometry, mix, texts, the test against the rest)."""
    test = card.difference
    sampled = (f" (the geometry and the test use {card.parameters['rows_used']:,} of its "
               f"points, drawn at random)" if card.parameters.get("sampled") else "")
    header = (f"### {escape_markup(card.name)}\n"
              f"**{card.size:,} points** ({card.share:.1%} of the corpus). Different from the "
              f"rest of the corpus? MMD test p = {format_p_value(test.p_value)}{sampled}.")
    tables = [("Geometry", card.geometry)]
    if not card.composition.empty:
        tables.append(("Mix vs corpus", card.composition))
    tables += [("Most central texts", card.central), ("Most atypical texts", card.atypical),
               ("Against the rest", pd.DataFrame([test.to_dict()]))]
    tabs = pn.Tabs(*[(title, result_table(table, height=None, page_size=10))
                     for title, table in tables], sizing_mode="stretch_width")
    return [pn.pane.Markdown(header, sizing_mode="stretch_width"), tabs]
