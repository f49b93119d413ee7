"""Duplicates and outliers view: near-duplicate groups at a threshold the user sets (and the
points they remove from every measure), outliers by three scores, and leakage between two
groups (the rows of B with a near copy in A, texts side by side), all from the shared graph
(:mod:`embviz.landscape`)."""

from __future__ import annotations

import pandas as pd
import panel as pn
import param
from panel.viewable import Viewer

from .._validation import check_number
from ..landscape import DUPLICATE_THRESHOLD
from .groups import REST, GroupPicker
from .state import AppState, controls
from .tables import result_table
from .text import escape_markup

__all__ = ["LandscapeView"]

_SHOWN_ROWS = 500  # rows of a long table sent to the page (the export holds them all)


class LandscapeView(Viewer):
    """Duplicates, outliers and leakage of the current corpus."""

    # ranges are soft (the widgets'); a job checks them when it starts
    threshold = param.Number(default=DUPLICATE_THRESHOLD, softbounds=(0.0, 0.3), step=0.01,
                             label="Near-duplicate threshold (1 − cos)")
    share = param.Number(default=0.01, softbounds=(0.001, 0.1), step=0.005,
                         label="Share flagged by each outlier score")

    def __init__(self, state: AppState, **params):
        super().__init__(**params)
        self.state = state
        self.groups = GroupPicker(state)
        self.duplicates_out = pn.Column(sizing_mode="stretch_width")
        self.outliers_out = pn.Column(sizing_mode="stretch_width")
        self.leakage_out = pn.Column(sizing_mode="stretch_width")
        state.param.watch(self._on_data, "exploration")

    def _on_data(self, *_) -> None:
        self.duplicates_out[:], self.outliers_out[:], self.leakage_out[:] = [], [], []

    # -- duplicates ---------------------------------------------------------------------------
    async def find_duplicates(self, *_) -> None:
        exploration = self.state.exploration
        if exploration is None:
            return
        found = await self.state.runner.run("Finding near duplicates", self._duplicates)
        if found is None:
            return
        self.state.add_table("duplicates", found.table())
        self.state.add_table("duplicate_groups", found.groups)
        values = found.table().set_index("metric")["value"]
        groups = int(values["n_groups"])
        summary = (f"**{groups:,} group{'s' if groups != 1 else ''}** of near duplicates within "
                   f"{found.threshold:g} (1 − cos) hold {int(values['points_in_groups']):,} "
                   f"points ({int(values['n_exact_groups']):,} of them of exact copies). "
                   f"Keeping one point per group removes **{int(values['n_removed']):,} "
                   f"points**; the intrinsic-dimension measures already leave out "
                   f"{int(values['excluded_by_intrinsic_dimension']):,} points whose nearest "
                   f"neighbour is an exact copy.")
        self.duplicates_out[:] = self.state.runner.noted([
            pn.pane.Markdown(summary, sizing_mode="stretch_width"),
            result_table(found.groups.head(_SHOWN_ROWS), height=320)])

    def _duplicates(self):
        threshold = check_number(self.threshold, "threshold", 0, 2)
        return self.state.exploration.duplicates(threshold)

    # -- outliers -----------------------------------------------------------------------------
    async def find_outliers(self, *_) -> None:
        exploration = self.state.exploration
        if exploration is None:
            return
        scores = await self.state.runner.run("Scoring outliers", self._outliers)
        if scores is None:
            return
        self.state.add_table("outliers", scores)
        k = exploration.report_sizes()["k"]
        flagged = scores[scores["n_flags"] > 0].sort_values(
            ["n_flags", "lof"], ascending=False, kind="stable")
        self.outliers_out[:] = self.state.runner.noted([
            pn.pane.Markdown(
                f"**{len(flagged):,} points flagged** by at least one score (each flags "
                f"{self.share:.1%}: the farthest from their {k}-th neighbour, the largest "
                f"local outlier factor, the shallowest TTE depth); "
                f"{int((scores['n_flags'] == 3).sum()):,} by all three. The map can now be "
                "coloured by the first two.", sizing_mode="stretch_width"),
            result_table(flagged.head(_SHOWN_ROWS), height=320)])
        self.state.add_measure(f"distance to the {k}-th neighbour", scores["knn_distance"])
        self.state.add_measure(f"local outlier factor (k={k})", scores["lof"])

    def _outliers(self) -> pd.DataFrame:
        share = check_number(self.share, "share", 0, 1, low_open=True, high_open=True)
        return self.state.exploration.outliers(share)

    # -- leakage ------------------------------------------------------------------------------
    async def find_leakage(self, *_) -> None:
        if self.state.exploration is None or self.groups.column is None:
            if self.state.exploration is not None:
                self.state.runner.fail("Leakage compares two groups: the corpus needs a "
                                       "column with 2 to 200 values (e.g. split).")
            return
        result = await self.state.runner.run("Finding leakage between the groups",
                                             self._leakage)
        if result is None:
            return
        name_a, name_b = self.groups.names()
        self.state.add_table("leakage", result["table"])
        self.leakage_out[:] = self.state.runner.noted([
            pn.pane.Markdown(
                f"**{len(result['table']):,} of {result['n_b']:,} points of "
                f"{escape_markup(name_b)}** have a near copy (within {self.threshold:g}) in "
                f"{escape_markup(name_a)}.", sizing_mode="stretch_width"),
            result_table(result["table"].head(_SHOWN_ROWS), (name_a, name_b), height=320)])

    def _leakage(self) -> dict:
        threshold = check_number(self.threshold, "threshold", 0, 2)
        groups = self.groups
        value_b = None if groups.value_b == REST else groups.value_b
        table = self.state.exploration.leakage(groups.column, groups.value_a, value_b,
                                               threshold)
        return {"table": table, "n_b": int(groups.masks()[1].sum())}

    def __panel__(self):
        buttons = {}
        for label, action in (("Find duplicates", self.find_duplicates),
                              ("Score outliers", self.find_outliers),
                              ("Find leakage of B into A", self.find_leakage)):
            buttons[label] = pn.widgets.Button(name=label, button_type="primary",
                                               sizing_mode="stretch_width")
            buttons[label].on_click(action)
        return pn.Column(
            pn.Row(pn.Column("### Near duplicates", controls(self, "threshold"),
                             buttons["Find duplicates"], width=300), self.duplicates_out),
            pn.Row(pn.Column("### Outliers", controls(self, "share"), buttons["Score outliers"],
                             width=300), self.outliers_out),
            pn.Row(pn.Column("### Leakage between two groups", self.groups.panel(),
                             pn.pane.Markdown("Rows of B with a near copy in A (the "
                                              "threshold above)."),
                             buttons["Find leakage of B into A"], width=300),
                   self.leakage_out),
            sizing_mode="stretch_width")
