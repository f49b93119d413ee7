"""Compare / drift view: two groups, two periods or two models — the tests table, drift over
time, and the points that changed most, shown on the map."""

from __future__ import annotations

import numpy as np
import panel as pn
import param
from panel.viewable import Viewer

from ..exploration import MAX_TEST_ROWS
from .groups import GroupPicker
from .limits import N_PERMUTATIONS, TIME_WINDOWS, check_integer
from .state import AppState, controls
from .tables import result_table
from .text import escape_markup, escape_plotly

__all__ = ["CompareView"]


class CompareView(Viewer):
    """Two-sample tests between groups, drift over a time column, and model-to-model change."""

    # ranges are soft (the widgets'); the server checks them when a job starts (limits.py)
    n_permutations = param.Integer(default=500, softbounds=N_PERMUTATIONS)
    time_column = param.Selector(default=None, objects=[])
    windows = param.Integer(default=5, softbounds=TIME_WINDOWS)
    other_model = param.Selector(default="mpnet", objects=["mpnet"])

    def __init__(self, state: AppState, **params):
        super().__init__(**params)
        self.state = state
        self.groups = GroupPicker(state)
        from .data_view import model_names

        self.param.other_model.objects = model_names()
        self.tests_out = pn.Column()
        self.time_out = pn.Column()
        self.models_out = pn.Column()
        state.param.watch(self._on_data, "exploration")
        self._on_data()

    def _on_data(self, *_):
        exploration = self.state.exploration
        self.param.time_column.objects = exploration.time_columns if exploration else []
        self.time_column = exploration.default_time_column if exploration else None
        self.tests_out[:], self.time_out[:], self.models_out[:] = [], [], []

    def check_permutations(self) -> None:
        check_integer("n_permutations", self.n_permutations, *N_PERMUTATIONS)

    def check_windows(self) -> None:
        check_integer("windows", self.windows, *TIME_WINDOWS)

    # -- two groups ------------------------------------------------------------------------
    async def run_tests(self, *_):
        if self.state.exploration is None or not self.state.runner.allowed(
                self.check_permutations):
            return
        result = await self.state.runner.run("Two-sample tests", self._tests)
        if result is None:
            return
        table, witness, note = result
        groups = self.groups.names()
        self.state.add_table("two_sample_tests", table)
        self.state.add_table("witness_top_points", witness["top"])
        header = f"**{escape_markup(groups[0])}** vs **{escape_markup(groups[1])}** {note}"
        self.tests_out[:] = self.state.runner.noted([
            pn.pane.Markdown(header), result_table(table, groups),
            pn.pane.Markdown("**Texts that characterise each group** (MMD witness: positive "
                             f"where {escape_markup(groups[0])} is over-represented, negative "
                             f"where {escape_markup(groups[1])} is; the map is now coloured "
                             "by it)"),
            result_table(witness["top"], groups, height=300)])
        # signed: a diverging scale whose ends say which group is which
        self.state.add_measure(f"MMD witness ({groups[0]} vs {groups[1]})", witness["values"],
                               ends=(f"more {groups[1]}-like", f"more {groups[0]}-like"))

    def _tests(self):
        from ..drift import mmd_witness, two_sample_table

        exploration = self.state.exploration
        data, seed = exploration.data, exploration.random_state
        in_a, in_b = self.groups.masks()
        rows_a, rows_b = exploration.two_sample_rows(in_a, in_b)
        sampled = len(rows_a) + len(rows_b) < in_a.sum() + in_b.sum()
        note = (f"(n = {len(rows_a):,} and {len(rows_b):,}"
                f"{f'; at most {MAX_TEST_ROWS:,} sampled per group' if sampled else ''})")
        a, b = data.subset(rows_a), data.subset(rows_b)
        table = two_sample_table(a, b, n_permutations=self.n_permutations, random_state=seed)
        frame = mmd_witness(a, b, random_state=seed)
        values = np.full(len(data), np.nan)
        values[np.r_[rows_a, rows_b]] = frame["witness"].to_numpy()
        top = frame[frame["rank"] <= 10].sort_values(["sample", "rank"])
        return table, {"values": values, "top": top}, note

    # -- over time -------------------------------------------------------------------------
    async def run_over_time(self, *_):
        if self.state.exploration is None:
            return
        if self.time_column is None:
            self.state.runner.fail("Drift over time needs a numeric or datetime column "
                                   "(e.g. time).")
            return
        if not (self.state.runner.allowed(self.check_permutations)
                and self.state.runner.allowed(self.check_windows)):
            return
        result = await self.state.runner.run("Drift over time", self._over_time)
        if result is not None:
            table, fig = result
            self.state.add_table("drift_over_time", table)
            self.state.add_figure("drift_over_time", fig)
            self.time_out[:] = self.state.runner.noted([
                pn.pane.Plotly(fig, height=340, sizing_mode="stretch_width"),
                result_table(table)])

    def _over_time(self):
        from ..drift import drift_over_time
        from ..viz.drift import drift_over_time_figure

        exploration = self.state.exploration
        table = drift_over_time(exploration.data, self.time_column, window=self.windows,
                                n_permutations=self.n_permutations,
                                random_state=exploration.random_state)
        if table["p_value"].isna().all():  # an empty result is not "done"
            notes = "; ".join(sorted(set(table["note"]) - {""}))
            raise ValueError(f"no time window could be tested against the reference "
                             f"({notes or 'no window'}); try fewer windows")
        title = f"drift over {escape_plotly(self.time_column)}"  # Plotly renders tags
        return table, drift_over_time_figure(table, title=title)

    # -- two models ------------------------------------------------------------------------
    async def run_models(self, *_):
        exploration = self.state.exploration
        if exploration is None:
            return
        if "model" not in exploration.data.provenance:
            self.state.runner.fail("Comparing models re-embeds the texts; precomputed "
                                   "embeddings carry no model to compare with.")
            return
        result = await self.state.runner.run(f"Embedding with {self.other_model} and "
                                             f"comparing", self._models)
        if result is None:
            return
        table, overlap, name = result
        self.state.add_table("model_comparison", table)
        self.state.add_table("most_changed_neighbourhoods", overlap.head(200))
        values = np.empty(len(overlap))
        values[overlap["row"].to_numpy()] = overlap["jaccard"].to_numpy()
        self.state.add_measure(f"k-NN overlap with {name} (Jaccard, k=10)", values)
        self.models_out[:] = self.state.runner.noted([
            result_table(table, height=240),
            pn.pane.Markdown("**Most-changed neighbourhoods** (Jaccard of the 10 nearest "
                             "neighbours; the map is coloured by it)"),
            result_table(overlap.head(200), height=300)])

    def _models(self):
        from ..drift import compare_models, knn_overlap
        from ..embed import embed_corpus

        exploration = self.state.exploration
        data = exploration.data
        other = embed_corpus(data.meta, model=self.other_model, pooling=None,
                             layer=-1, prompt=data.provenance.get("prompt"))
        return (compare_models(data, other, random_state=exploration.random_state),
                knn_overlap(data, other), self.other_model)

    def __panel__(self):
        buttons = {}
        for label, action in (("Run two-sample tests", self.run_tests),
                              ("Drift over time", self.run_over_time),
                              ("Compare with another model", self.run_models)):
            buttons[label] = pn.widgets.Button(name=label, button_type="primary",
                                               sizing_mode="stretch_width")
            buttons[label].on_click(action)
        over_time = buttons["Drift over time"]
        over_time.disabled = self.time_column is None  # no time column: nothing to run
        self.param.watch(lambda event: setattr(over_time, "disabled", event.new is None),
                         "time_column")
        return pn.Column(
            pn.Row(pn.Column("### Two groups", self.groups.panel(),
                             controls(self, "n_permutations"),
                             buttons["Run two-sample tests"], width=300),
                   pn.Column(self.tests_out, sizing_mode="stretch_width")),
            pn.Row(pn.Column("### Over time", controls(self, "time_column", "windows"),
                             buttons["Drift over time"], width=300),
                pn.Column(self.time_out, sizing_mode="stretch_width")),
            pn.Row(pn.Column("### Two models, same texts", controls(self, "other_model"),
                             buttons["Compare with another model"], width=300),
                pn.Column(self.models_out, sizing_mode="stretch_width")),
            sizing_mode="stretch_width")
