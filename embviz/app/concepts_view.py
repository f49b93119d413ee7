"""Concepts view: train (or fetch from the cache) an SAE on the corpus's embeddings, browse its
features, colour the map by one, and diff two groups by their concepts."""

from __future__ import annotations

import pandas as pd
import panel as pn
import param
from panel.viewable import Viewer

from .groups import GroupPicker
from .limits import SAE_STEPS, check_integer
from .state import AppState, controls
from .tables import result_table, show_table
from .text import escape_plotly

__all__ = ["ConceptsView"]

_ARCHITECTURES = {"topk": "TopK", "mp": "matching pursuit"}
_SHOWN_COLUMNS = ["feature", "label", "frequency", "mean_activation", "best_label", "f1"]


def _flat(table: pd.DataFrame) -> pd.DataFrame:
    """Lists joined into strings, so tables display and export as plain columns."""
    return table.assign(**{c: table[c].map(lambda v: " | ".join(map(str, v)))
                           for c in table.columns if table[c].map(type).eq(list).any()})


def _texts_table(texts) -> pn.widgets.Tabulator:
    """Texts from the corpus, ranked, in cells that show them as text (wrapped, never markup)."""
    table = pd.DataFrame({"rank": range(1, len(texts) + 1), "text": list(texts)})
    return pn.widgets.Tabulator(table, disabled=True, show_index=False, layout="fit_columns",
                                formatters={"text": {"type": "textarea"}},
                                widths={"rank": 60}, sizing_mode="stretch_width")


class ConceptsView(Viewer):
    """SAE concept features of the current corpus (dense document embeddings)."""

    architecture = param.Selector(
        default="topk", objects={"TopK": "topk", "matching pursuit": "mp"},
        doc="TopK, or matching pursuit (more variance explained at the same k, ~4x slower)")
    expansion = param.Selector(default=8, objects=[2, 4, 8, 16], doc="d_sae / d")
    k = param.Selector(default=16, objects=[4, 8, 16, 32], doc="active features per text")
    # soft ranges (the widgets'); the server checks them when a job starts (limits.py)
    steps = param.Integer(default=600, softbounds=SAE_STEPS)
    search = param.String(default="", doc="filter features by label or top words")
    feature = param.Integer(default=0, softbounds=(0, None))

    def __init__(self, state: AppState, **params):
        super().__init__(**params)
        self.state = state
        self.groups = GroupPicker(state)
        self.sae = None
        self.codes = None
        self.table = pd.DataFrame()
        self.summary = pn.pane.Markdown("Train an SAE to see its concepts.")
        self.train_notes = pn.Column(sizing_mode="stretch_width", margin=0)
        self.browser = pn.widgets.Tabulator(pd.DataFrame(), disabled=True, show_index=False,
                                            height=330, sizing_mode="stretch_width",
                                            pagination="local", page_size=10,
                                            selectable=1, css_classes=["sae-features"])
        self.browser.on_click(self._on_row_click)
        self.detail = pn.Column(sizing_mode="stretch_width")
        self.diff_out = pn.Column(sizing_mode="stretch_width")
        state.param.watch(self._on_data, "exploration")

    def _on_data(self, *_):
        self.sae, self.codes, self.table = None, None, pd.DataFrame()
        self.browser.value = pd.DataFrame()
        self.summary.object = "Train an SAE to see its concepts."
        self.detail[:], self.diff_out[:], self.train_notes[:] = [], [], []

    def check_steps(self) -> None:
        check_integer("steps", self.steps, *SAE_STEPS)

    async def train(self, *_):
        if self.state.exploration is None or not self.state.runner.allowed(self.check_steps):
            return
        result = await self.state.runner.run("Training the SAE", self._train)
        if result is None:
            return
        self.sae, self.codes, self.table = result
        self.train_notes.objects = self.state.runner.noted([])
        self.state.concepts = (self.codes, dict(zip(self.table["feature"], self.table["label"])))
        record = self.sae.record
        self.summary.object = (
            f"**{self.sae.d_sae:,} features** ({_ARCHITECTURES[self.sae.architecture]}, "
            f"k = {self.k}); held-out "
            f"explained variance **{record.explained_variance:.3f}**, L0 {record.l0:.1f}, dead "
            f"{record.dead_fraction:.1%}; {len(self.table):,} features active on this corpus.")
        self.state.add_table("sae_features", _flat(self.table))
        from ..viz.concepts import training_curve_figure

        self.state.add_figure("sae_training", training_curve_figure(record))
        self._filter()

    def _train(self):
        from ..sae import document_codes, feature_table, train_sae

        exploration = self.state.exploration
        data = exploration.data
        sae = train_sae(data, architecture=self.architecture, expansion=self.expansion,
                        n_active=self.k, max_steps=self.steps,
                        random_state=exploration.random_state)
        codes = document_codes(sae, data, progress=True)
        table = feature_table(sae, data, codes=codes, progress=True)
        return sae, codes, table.sort_values("frequency", ascending=False,
                                             ignore_index=True)

    @param.depends("search", watch=True)
    def _filter(self):
        if self.table.empty:
            return
        shown = self.table
        if self.search.strip():
            words = self.table["top_words"].map(" ".join)
            hit = (self.table["label"].str.contains(self.search, case=False, regex=False)
                   | words.str.contains(self.search, case=False, regex=False))
            shown = self.table[hit]
        columns = [c for c in _SHOWN_COLUMNS if c in shown.columns]
        show_table(self.browser, shown[columns])

    def _on_row_click(self, event):
        if event.row is not None and not self.browser.value.empty:  # the shown row's feature
            self.feature = int(self.browser.value.iloc[event.row]["feature"])

    @param.depends("feature", watch=True)
    def show_feature(self):
        if self.codes is None:
            return
        if not 0 <= self.feature < self.codes.shape[1]:
            self.state.runner.fail(f"feature must be in [0, {self.codes.shape[1]}), got "
                                   f"{self.feature}")
            return
        from ..viz.concepts import feature_histogram_figure

        row = self.table[self.table["feature"] == self.feature]
        label = row["label"].iloc[0] if len(row) else "never active"
        values = self.codes[:, self.feature].toarray().ravel()
        title = f"feature {self.feature}: {escape_plotly(label)}"  # words from user texts
        fig = feature_histogram_figure(values, label=title)
        self.state.add_figure("sae_feature_histogram", fig)
        texts = row["top_texts"].iloc[0] if len(row) else []
        self.detail[:] = [pn.pane.Plotly(fig, height=300, sizing_mode="stretch_width"),
                          pn.pane.Markdown("**Top texts**"), _texts_table(texts)]

    def colour_map(self, *_):
        if self.codes is None:
            self.state.runner.fail("Train an SAE first.")
            return
        values = self.codes[:, self.feature].toarray().ravel()
        self.state.add_measure(f"SAE feature {self.feature} (activation)", values)

    async def diff(self, *_):
        if self.sae is None:
            self.state.runner.fail("Train an SAE first.")
            return
        result = await self.state.runner.run("Dataset diff", self._diff)
        if result is not None:
            table, fig = result
            self.state.add_table("dataset_diff", _flat(table))
            self.state.add_figure("dataset_diff", fig)
            shown = _flat(table)[[c for c in ("feature", "label", "freq_a", "freq_b", "diff",
                                              "q_value", "significant", "examples_a")
                                  if c in table.columns]]
            self.diff_out[:] = self.state.runner.noted([
                pn.pane.Plotly(fig, height=fig.layout.height, sizing_mode="stretch_width"),
                result_table(shown, self.groups.names(), height=300)])

    def _diff(self):
        from ..sae import dataset_diff
        from ..viz.concepts import dataset_diff_figure

        data = self.state.exploration.data
        in_a, in_b = self.groups.masks()
        table = dataset_diff(self.sae, data.subset(in_a), data.subset(in_b))
        groups = tuple(escape_plotly(name) for name in self.groups.names())
        return table, dataset_diff_figure(table, groups=groups)

    def __panel__(self):
        train = pn.widgets.Button(name="Train or load SAE", button_type="primary",
                                  sizing_mode="stretch_width")
        train.on_click(self.train)
        colour = pn.widgets.Button(name="Colour the map by this feature",
                                   sizing_mode="stretch_width")
        colour.on_click(self.colour_map)
        diff = pn.widgets.Button(name="Diff the two groups", button_type="primary",
                                 sizing_mode="stretch_width")
        diff.on_click(self.diff)
        settings = controls(self, "architecture", "expansion", "k", "steps")
        browse = controls(self, "search", "feature", widgets={"search": pn.widgets.TextInput})
        return pn.Column(
            pn.Row(pn.Column("### Sparse autoencoder", settings, train, width=300),
                   pn.Column(self.train_notes, self.summary, self.browser,
                             sizing_mode="stretch_width")),
            pn.Row(pn.Column("### Feature", browse, colour, width=300), self.detail),
            pn.Row(pn.Column("### Dataset diff", self.groups.panel(), diff, width=300),
                   self.diff_out),
            sizing_mode="stretch_width")
