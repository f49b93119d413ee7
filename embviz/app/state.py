"""State shared by the explorer's views, and the runner that keeps long work off the page."""

from __future__ import annotations

import asyncio
import collections
import logging
import time

import numpy as np
import panel as pn
import param

from .._progress import report_progress
from ..exploration import Exploration
from ..selection import Selection
from .text import escape_markup

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
    """Runs long jobs one at a time in a worker thread, with a progress bar and error alerts.

    A job asked for while another runs waits its turn (the status line says so) instead of
    being refused: clicking "Compare hubness reduction" while the map is still drawing runs
    the comparison right after the map.
    """

    busy = param.Boolean(default=False)

    def __init__(self, **params):
        super().__init__(**params)
        self.bar = pn.indicators.Progress(value=0, max=100, visible=False,
                                          sizing_mode="stretch_width", bar_color="primary")
        self.status = pn.pane.Markdown("", margin=(0, 10), sizing_mode="stretch_width",
                                       styles={"overflow-wrap": "anywhere"})
        self.alert = pn.pane.Alert("", alert_type="danger", visible=False,
                                   sizing_mode="stretch_width")
        self._last = 0.0
        self._turn: asyncio.Lock | None = None  # made on first use, inside the session's loop
        self._running = ""
        self._finished: collections.deque[str] = collections.deque(maxlen=3)

    def panel(self):
        return pn.Column(pn.Row(self.status, self.bar, sizing_mode="stretch_width"), self.alert,
                         sizing_mode="stretch_width")

    def fail(self, message: str) -> None:
        """Show ``message`` (plain text: it may quote file names or columns) in the alert."""
        self.alert.object = escape_markup(message)
        self.alert.visible = True

    async def run(self, label: str, function, *args, **kwargs):
        """``function(*args, **kwargs)`` in a thread; ``None`` (and an alert) if it fails."""
        if self._turn is None:
            self._turn = asyncio.Lock()
        if self._turn.locked():
            self._show(f"{self._running}…", f"({label} waits for it)")
        async with self._turn:
            return await self._run_now(label, function, args, kwargs)

    async def _run_now(self, label: str, function, args, kwargs):
        self._running = label
        self.busy, self.alert.visible = True, False
        self.bar.value, self.bar.visible = -1, True  # indeterminate until progress arrives
        self._show(f"{label}…")
        started = time.perf_counter()
        try:
            result = await asyncio.to_thread(self._call, function, args, kwargs)
        except USER_ERRORS as err:
            _logger.info("%s failed: %s", label, err)
            self.fail(f"{label} failed: {err}")
            self._remember(f"{label}: failed")
            return None
        finally:
            self.busy, self.bar.visible = False, False
        self._remember(f"{label}: done in {time.perf_counter() - started:.1f} s")
        return result

    def _remember(self, outcome: str) -> None:
        """Keep the outcome (a repeat of the newest job replaces it) and show the history."""
        label = outcome.split(":")[0]
        if self._finished and self._finished[0].split(":")[0] == label:
            self._finished.popleft()
        self._finished.appendleft(outcome)
        self._show()

    def _show(self, current: str = "", detail: str = "") -> None:
        """The running job (bold, then ``detail``) before the last three finished ones, newest
        first. Labels may quote file names, so every part is shown as text."""
        parts = [escape_markup(outcome) for outcome in self._finished]
        if current:
            parts.insert(0, f"**{escape_markup(current)}** {escape_markup(detail)}".strip())
        self.status.object = " · ".join(parts)

    def _call(self, function, args, kwargs):
        with report_progress(self._on_progress):
            return function(*args, **kwargs)

    def _on_progress(self, desc: str, n: int, total) -> None:
        now = time.perf_counter()
        if now - self._last < 0.2 and (total is None or n < total):
            return  # at most five page updates a second
        self._last = now
        self.bar.value = int(100 * n / total) if total else -1
        self._show(desc, f"{n:,}/{total:,}" if total else f"{n:,}")


class AppState(param.Parameterized):
    """What the views share: the corpus being explored, and the figures and tables made."""

    exploration = param.ClassSelector(class_=Exploration, allow_None=True)
    selection = param.ClassSelector(class_=Selection, allow_None=True,
                                    doc="The points selected on the map (exact row numbers).")
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

    def selection_table(self):
        """The selected rows of the corpus's metadata (ids, texts, metadata), indexed by row
        number; empty (with the corpus's columns) when nothing is selected."""
        if self.exploration is None:
            import pandas as pd

            return pd.DataFrame()
        meta = self.exploration.data.meta
        if self.selection is None:
            return Selection([], len(meta)).table(meta)
        return self.selection.table(meta)

    @param.depends("exploration", watch=True)
    def _reset(self) -> None:
        self.extra_measures, self.figures, self.tables = {}, {}, {}
        self.selection = None
