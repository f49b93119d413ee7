"""Geometry view: report cards with intervals, distributions, intrinsic dimension across scales,
hubness reduction, layer curves."""

from __future__ import annotations

import pandas as pd
import panel as pn
import param
from panel.viewable import Viewer

from .._tables import display_name
from ..exploration import LAYER_ROWS, N_RESAMPLES
from ..metrics.resampling import INTERVAL_NOTE
from .limits import LAYER_SAMPLE, check_integer
from .state import AppState, controls
from .tables import result_table

__all__ = ["GeometryView"]

_GROUPS = {
    "Isotropy": ["isoscore", "partition_isotropy", "average_cosine", "effective_rank",
                 "top_pc_variance_share"],
    "Intrinsic dimension": ["twonn_calibrated", "twonn", "mle", "pca_dimension",
                            "local_intrinsic_dimension_mean",
                            "local_intrinsic_dimension_median"],
    "Hubness": ["hubness_skewness", "robin_hood", "hub_occurrence", "antihub_occurrence",
                "knn_error"],
}


def _card(title: str, report: pd.DataFrame) -> pn.Card:
    rows = report.set_index("metric")
    lines = ["| measure | value | 95% CI |", "|---|---|---|"]
    methods = set()
    for metric in _GROUPS[title]:
        if metric not in rows.index:
            continue
        r = rows.loc[metric]
        ci = f"[{r.ci_low:.3g}, {r.ci_high:.3g}]" if pd.notna(r.ci_low) else "—"
        lines.append(f"| {display_name(metric)} | **{r.value:.4g}** | {ci} |")
        methods.update(_interval_method(r.parameters))
    if methods:
        lines.append("\n<small>95% CI: " + "; ".join(sorted(methods)) + "</small>")
    return pn.Card(pn.pane.Markdown("\n".join(lines)), title=title, collapsible=False,
                   width=360)


def _interval_method(parameters: str) -> list[str]:
    """The ``ci=...`` part of a report row's parameters (the package's own text)."""
    _, found, method = parameters.partition("ci=")
    return [method] if found else []


class GeometryView(Viewer):
    """Measures of the whole cloud, computed on the shared kNN graph."""

    layer_sample = param.Integer(default=LAYER_ROWS, softbounds=LAYER_SAMPLE,
                                 doc="texts re-embedded at every layer for the layer curves")

    def __init__(self, state: AppState, **params):
        super().__init__(**params)
        self.state = state
        self.cards = pn.Row(pn.pane.Markdown("Compute the report to see the measures."))
        self.distributions = pn.Row()
        self.scales = pn.Column()
        self.reduction = pn.Column()
        self.layers = pn.Column()
        state.param.watch(self._clear, "exploration")

    def _clear(self, *_):
        self.cards[:] = [pn.pane.Markdown("Compute the report to see the measures.")]
        self.distributions[:], self.reduction[:], self.layers[:] = [], [], []
        self.scales[:] = []

    async def report(self, *_):
        """The report at once, then again with half-sampling intervals (the slower part)."""
        if self.state.exploration is None:
            return
        result = await self.state.runner.run("Geometry report", self._report_and_figures)
        if result is None:
            return
        report, figures = result
        self._show_report(report)
        for name, fig in figures.items():
            self.state.add_figure(name, fig)
        self.distributions[:] = self.state.runner.noted(
            [pn.pane.Plotly(fig, height=320, sizing_mode="stretch_width")
             for fig in figures.values()])
        with_ci = await self.state.runner.run(
            f"Intervals (half-sampling, {N_RESAMPLES} halves)", self.state.exploration.geometry,
            ci=True)
        if with_ci is not None:
            self._show_report(with_ci)
            self.cards.append(pn.pane.Markdown(INTERVAL_NOTE, width=360))

    def _show_report(self, report: pd.DataFrame) -> None:
        self.state.add_table("geometry_report", report)
        self.cards[:] = [_card(title, report) for title in _GROUPS]

    def _report_and_figures(self):
        from ..viz.geometry import distribution_figure

        exploration = self.state.exploration
        report = exploration.geometry()
        figures = {name: distribution_figure(exploration.measure(name),
                                             exploration.measure_label(name))
                   for name in ("k_occurrence", "local_id")}
        return report, figures

    async def id_scales(self, *_):
        """Intrinsic dimension against the scale it was read at (Gride, decimated TwoNN),
        with the report's calibrated TwoNN as a reference line."""
        if self.state.exploration is None:
            return
        result = await self.state.runner.run("Intrinsic dimension across scales",
                                             self._id_scales)
        if result is not None:
            curve, fig = result
            self.state.add_table("id_scales", curve)
            self.state.add_figure("id_scales", fig)
            self.scales[:] = self.state.runner.noted(
                [pn.pane.Plotly(fig, height=380, sizing_mode="stretch_width")])

    def _id_scales(self):
        from ..viz.geometry import id_scale_figure

        exploration = self.state.exploration
        curve, calibrated = exploration.id_scales()
        return curve, id_scale_figure(curve, calibrated, title=f"n={len(exploration):,}")

    async def hubness_reduction(self, *_):
        exploration = self.state.exploration
        if exploration is None:
            return
        table = await self.state.runner.run("Hubness reduction", exploration.hubness_reduction)
        if table is not None:
            self.state.add_table("hubness_reduction", table)
            self.reduction[:] = self.state.runner.noted([result_table(table, height=None)])

    def check_layer_sample(self) -> None:
        """The layer curves' sample size within :data:`~embviz.app.limits.LAYER_SAMPLE`."""
        check_integer("layer_sample", self.layer_sample, *LAYER_SAMPLE)

    async def layerwise(self, *_):
        if self.state.exploration is None or not self.state.runner.allowed(
                self.check_layer_sample):
            return
        result = await self.state.runner.run("Layer-wise geometry", self._layer_curves)
        if result is not None:
            report, fig = result
            self.state.add_table("layerwise_report", report)
            self.state.add_figure("layerwise", fig)
            self.layers[:] = self.state.runner.noted(
                [pn.pane.Plotly(fig, height=380, sizing_mode="stretch_width")])

    def _layer_curves(self):
        from ..viz.geometry import layerwise_figure

        exploration = self.state.exploration
        report = exploration.layerwise(self.layer_sample)
        n = int(report.loc[report["metric"] == "n", "value"].iloc[0])
        model = exploration.data.provenance["model"].get("name", "")
        return report, layerwise_figure(report, title=f"{model}, n={n:,}")

    def __panel__(self):
        buttons = [pn.widgets.Button(name=name, button_type="primary", width=220)
                   for name in ("Compute geometry report", "ID across scales",
                                "Compare hubness reduction", "Layer-wise curves")]
        for button, action in zip(buttons, (self.report, self.id_scales, self.hubness_reduction,
                                            self.layerwise)):
            button.on_click(action)
        return pn.Column(pn.Row(*buttons, controls(self, "layer_sample")),
                         self.cards, self.distributions,
                         "#### Intrinsic dimension across scales", self.scales,
                         "#### Hubness reduction (k = 10)", self.reduction,
                         "#### Across layers", self.layers, sizing_mode="stretch_width")
