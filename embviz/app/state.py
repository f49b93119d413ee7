"""State shared by the explorer's views, and the runner that keeps long work off the page."""

from __future__ import annotations

import asyncio
import logging
import time

import numpy as np
import panel as pn
import param

from .._progress import report_progress
from ..explore import Exploration

__all__ = ["USER_ERRORS", "AppState", "TaskRunner", "controls"]

_logger = logging.getLogger(__name__)
#: Errors that mean "the input was not usable": shown in the page, the server keeps serving.
USER_ERRORS = (ValueError, TypeError, KeyError, IndexError, FileNotFoundError, RuntimeError,
               MemoryError)


def controls(parameterized: param.Parameterized, *names: str, **kwargs) -> pn.Param:
    """Widgets for some parameters of a view, filling the width of their column."""
    return pn.Param(parameterized.param, parameters=list(names), show_name=False,
                    sizing_mode="stretch_width", **kwargs)


class TaskRunner(param.Parameterized):
    """Runs one long job at a time in a worker thread, with a progress bar and error alerts."""

    busy = param.Boolean(default=False)

    def __init__(self, **params):
        super().__init__(**params)
        self.bar = pn.indicators.Progress(value=0, max=100, visible=False,
                                          sizing_mode="stretch_width", bar_color="primary")
        self.status = pn.pane.Markdown("", margin=(0, 10))
        self.alert = pn.pane.Alert("", alert_type="danger", visible=False,
                                   sizing_mode="stretch_width")
        self._last = 0.0

    def panel(self):
        return pn.Column(pn.Row(self.status, self.bar, sizing_mode="stretch_width"), self.alert,
                         sizing_mode="stretch_width")

    def fail(self, message: str) -> None:
        self.alert.object = message
        self.alert.visible = True

    async def run(self, label: str, function, *args, **kwargs):
        """``function(*args, **kwargs)`` in a thread; ``None`` (and an alert) if it fails."""
        if self.busy:
            self.fail("Another job is still running; wait for it to finish.")
            return None
        self.busy, self.alert.visible = True, False
        self.bar.value, self.bar.visible = -1, True  # indeterminate until progress arrives
        self.status.object = f"**{label}…**"
        started = time.perf_counter()
        try:
            result = await asyncio.to_thread(self._call, function, args, kwargs)
        except USER_ERRORS as err:
            _logger.info("%s failed: %s", label, err)
            self.fail(f"{label} failed: {err}")
            self.status.object = ""
            return None
        finally:
            self.busy, self.bar.visible = False, False
        self.status.object = f"{label}: done in {time.perf_counter() - started:.1f} s"
        return result

    def _call(self, function, args, kwargs):
        with report_progress(self._on_progress):
            return function(*args, **kwargs)

    def _on_progress(self, desc: str, n: int, total) -> None:
        now = time.perf_counter()
        if now - self._last < 0.2 and (total is None or n < total):
            return  # at most five page updates a second
        self._last = now
        self.bar.value = int(100 * n / total) if total else -1
        self.status.object = f"**{desc}** {n:,}/{total:,}" if total else f"**{desc}** {n:,}"


class AppState(param.Parameterized):
    """What the views share: the corpus being explored, and the figures and tables made."""

    exploration = param.ClassSelector(class_=Exploration, allow_None=True)
    source = param.String(default="", doc="How the current corpus was made, for the header.")
    extra_measures = param.Dict(default={}, doc="name -> per-point values to colour the map")
    figures = param.Dict(default={}, doc="name -> plotly figure, for export")
    tables = param.Dict(default={}, doc="name -> DataFrame, for export")

    def __init__(self, **params):
        super().__init__(**params)
        self.runner = TaskRunner()

    def add_figure(self, name: str, fig) -> None:
        self.figures = {**self.figures, name: fig}

    def add_table(self, name: str, table) -> None:
        self.tables = {**self.tables, name: table}

    def add_measure(self, name: str, values) -> None:
        values = np.asarray(values, dtype=np.float64).ravel()
        n = len(self.exploration) if self.exploration is not None else len(values)
        if len(values) != n:
            raise ValueError(f"measure {name!r} has {len(values)} values for {n} points")
        self.extra_measures = {**self.extra_measures, name: values}

    @param.depends("exploration", watch=True)
    def _reset(self) -> None:
        self.extra_measures, self.figures, self.tables = {}, {}, {}
