"""State shared by the explorer's views, and the runner that keeps long work off the page."""

from __future__ import annotations

import asyncio
import collections
import logging
import threading
import time

import numpy as np
import panel as pn
import param

from .._progress import report_progress
from ..exploration import Exploration
from ..selection import Selection
from .jobs import JOB_SLOTS, JobCancelled, run_in_thread, shutting_down
from .limits import LimitError
from .notes import collected, warning_pane
from .text import escape_markup

__all__ = ["USER_ERRORS", "AppState", "CheckedSelect", "TaskRunner", "controls"]

_logger = logging.getLogger(__name__)
#: Errors that mean "the input was not usable": shown in the page, the server keeps serving.
USER_ERRORS = (ValueError, TypeError, KeyError, IndexError, FileNotFoundError, RuntimeError,
               MemoryError)


class CheckedSelect(pn.widgets.Select):
    """A ``Select`` that refuses, with a message, a value its options do not hold.

    A page can send any value (a forged websocket message); Panel's ``Select`` then raises
    deep in its event handling and logs a traceback, and nothing tells the user. This one
    checks the value the page sent against the options it offered before anything else sees
    it, keeps its value, puts that value back in the page and calls ``refuse(message)``
    (a runner's :meth:`TaskRunner.fail`, say) if given.
    """

    refuse = param.Callable(default=None, doc="called with a message for a refused value")

    _rename = {**pn.widgets.Select._rename, "refuse": None}  # server-side only

    def _offered(self, sent) -> bool:
        if not isinstance(sent, str) or not self.values:
            return False
        return sent == "" or sent in self.unicode_values or sent in self.labels

    def _process_property_change(self, props: dict) -> dict:
        if "value" in props and not self._offered(props["value"]):
            props = dict(props)
            sent = props.pop("value")
            shown = repr(sent) if len(repr(sent)) <= 60 else repr(sent)[:57] + "..."
            choices = ", ".join(map(str, self.labels[:10])) or "none"
            message = (f"{self.name}: {shown} is not one of the choices ({choices}"
                       f"{', …' if len(self.labels) > 10 else ''}); it stays "
                       f"{self.value!r}")
            _logger.info("refused: %s", message)
            if self.refuse is not None:
                self.refuse(message)
            self.param.trigger("value")  # the page shows the value kept again
        return super()._process_property_change(props)


class _CheckedNumber:
    """A number widget (mixed into Panel's ``IntInput``, ``FloatSlider``, ...) that refuses,
    with a message, a value that is not a finite number of its kind.

    A forged page can send ``10.5`` to an integer input or ``NaN`` to a float one; Panel's
    widget then raises inside its event handling (two tracebacks in the log: the widget's
    parameter, then the view's) and the page says nothing. Here the value is refused where it
    arrives, as :class:`CheckedSelect` refuses a value its options do not hold. Ranges are not
    checked here: each job checks its own when it starts (:mod:`embviz.app.limits`).
    """

    def _problem(self, sent) -> str:
        integer = isinstance(self.param["value"], param.Integer)
        if isinstance(sent, bool) or not isinstance(sent, (int, float)):
            return "is not a number"
        if integer and not isinstance(sent, int):
            return "is not an integer"
        if not np.isfinite(sent):
            return "is not a finite number"
        return ""

    def _process_property_change(self, props: dict) -> dict:
        for key in ("value", "value_throttled"):
            if key in props and props[key] is not None and self._problem(props[key]):
                props = dict(props)
                sent = props.pop(key)
                shown = repr(sent) if len(repr(sent)) <= 40 else repr(sent)[:37] + "..."
                message = f"{self.name}: {shown} {self._problem(sent)}; it stays {self.value!r}"
                _logger.info("refused: %s", message)
                if self.refuse is not None:
                    self.refuse(message)
                self.param.trigger("value")  # the page shows the value kept again
        return super()._process_property_change(props)


_CHECKED_NUMBER_TYPES: dict[type, type] = {}


def _checked_number_widget(widget_type: type) -> type:
    """``widget_type`` (a Panel number widget) with :class:`_CheckedNumber`'s refusals."""
    if widget_type not in _CHECKED_NUMBER_TYPES:
        _CHECKED_NUMBER_TYPES[widget_type] = type(
            f"Checked{widget_type.__name__}", (_CheckedNumber, widget_type), {
                "refuse": param.Callable(default=None, doc="called with a message for a "
                                         "refused value"),
                "_rename": {**widget_type._rename, "refuse": None}})  # server-side only
    return _CHECKED_NUMBER_TYPES[widget_type]


def _number_widget_type(parameter: param.Number):
    """The widget ``pn.Param`` shows for a number: a slider when both (soft) bounds are known,
    else an input box."""
    if None in parameter.get_soft_bounds():
        is_int = isinstance(parameter, param.Integer)
        return pn.Param.input_widgets[int if is_int else float]
    return pn.Param.widget_type(parameter)


def controls(parameterized: param.Parameterized, *names: str, widgets: dict | None = None,
             **kwargs) -> pn.Param:
    """Widgets for some parameters of a view, filling the width of their column.

    A dropdown (``param.Selector``) gets a :class:`CheckedSelect`, a number (``param.Number``,
    ``param.Integer``) its usual widget with :class:`_CheckedNumber`'s checks; their refusals
    of a forged value go to the view's runner (``parameterized.state.runner``), if it has one.
    """
    widgets = dict(widgets or {})
    runner = getattr(getattr(parameterized, "state", None), "runner", None)
    refuse = runner.fail if runner is not None else None
    for name in names:
        parameter = parameterized.param[name]
        if (isinstance(parameter, param.Selector) and name not in widgets
                and not isinstance(parameter, param.ListSelector)):
            widgets[name] = {"type": CheckedSelect, "refuse": refuse}
        elif isinstance(parameter, param.Number) and name not in widgets:
            widget_type = _number_widget_type(parameter)
            if isinstance(widget_type, type) and "value" in widget_type.param:
                widgets[name] = {"type": _checked_number_widget(widget_type), "refuse": refuse}
        # Param's widgets are 300 px wide by default: in a narrower column they would be
        # cut off; they fill the column instead
        spec = widgets.get(name, {})
        spec = {"type": spec} if isinstance(spec, type) else dict(spec)
        widgets[name] = {**spec, "width": None, "sizing_mode": "stretch_width"}
    return pn.Param(parameterized.param, parameters=list(names), show_name=False,
                    sizing_mode="stretch_width", widgets=widgets, **kwargs)


class TaskRunner(param.Parameterized):
    """Runs a session's long jobs one at a time in a worker thread, with a progress bar,
    error alerts and a place in the server-wide queue of heavy jobs.

    A job asked for while another of the same page runs waits its turn (the status line says
    so) instead of being refused: clicking "Compare hubness reduction" while the map is still
    drawing runs the comparison right after the map. Every job also waits for one of the
    server's :data:`~embviz.app.jobs.JOB_SLOTS` (``$EMBVIZ_MAX_JOBS`` at once across all pages;
    the status line says how many jobs are ahead). :meth:`cancel` (the page closed) drops the
    queued jobs and stops the running one at its next progress report.
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
        self._close_alert = pn.widgets.Button(label="Dismiss", width=90, margin=(15, 5))
        self._close_alert.on_click(lambda *_: self.clear_alert())
        self._alerts = pn.Row(self.alert, self._close_alert, visible=False,
                              sizing_mode="stretch_width")
        #: A message that stays until dismissed (a URL argument that was ignored): jobs that
        #: start or end do not hide it, as they hide :attr:`alert`.
        self.notice = pn.pane.Alert("", alert_type="warning", sizing_mode="stretch_width")
        self._dismiss = pn.widgets.Button(label="Dismiss", width=90, margin=(15, 5))
        self._dismiss.on_click(lambda *_: self._set_notice(""))
        self._notices = pn.Row(self.notice, self._dismiss, visible=False,
                               sizing_mode="stretch_width")
        self._last = 0.0
        self._alerts_shown = 0  # alerts so far: a job clears only those shown before it asked
        self._turn: asyncio.Lock | None = None  # made on first use, inside the session's loop
        self._running = ""
        self._finished: collections.deque[tuple[str, str]] = collections.deque(maxlen=3)
        self._cancelled = threading.Event()
        self._stopping = False  # JobCancelled was raised in the running job
        self.session_alive = None  # optional () -> bool, checked at every progress report
        #: The warnings the last job raised (:mod:`embviz.app.notes`), and its label.
        self.warnings: list[str] = []
        self._warned_job = ""

    def panel(self):
        return pn.Column(pn.Row(self.status, self.bar, sizing_mode="stretch_width"),
                         self._alerts, self._notices, sizing_mode="stretch_width")

    def fail(self, message: str) -> None:
        """Show ``message`` (plain text: it may quote file names or columns) in the alert,
        until dismissed, another view is opened or a job asked for after it starts (a job
        that was already waiting, such as the map's regions, leaves it)."""
        self._alerts_shown += 1
        self.alert.object = escape_markup(message)
        self.alert.visible = self._alerts.visible = True

    def clear_alert(self) -> None:
        self.alert.visible = self._alerts.visible = False

    def warn(self, message: str) -> None:
        """Show ``message`` (plain text) in the notice, which stays until dismissed."""
        text = escape_markup(message)
        self._set_notice(f"{self.notice.object}<br>{text}" if self._notices.visible else text)

    def _set_notice(self, markup: str) -> None:
        self.notice.object = markup
        self._notices.visible = bool(markup)

    def allowed(self, check, *args) -> bool:
        """``check(*args)``; if it raises :class:`~embviz.app.limits.LimitError`, show its
        message in the alert and return False (the job is not started)."""
        try:
            check(*args)
        except LimitError as err:
            _logger.info("refused: %s", err)
            self.fail(str(err))
            return False
        return True

    def cancel(self) -> None:
        """The page closed: queued jobs never start, the running one stops at its next
        progress report, later ``run`` calls return None at once."""
        self._cancelled.set()
        JOB_SLOTS.cancel(self)

    async def run(self, label: str, function, *args, **kwargs):
        """``function(*args, **kwargs)`` in a thread; ``None`` (and an alert) if it fails."""
        alerts_before = self._alerts_shown
        if self._turn is None:
            self._turn = asyncio.Lock()
        if self._turn.locked():
            self._show(f"{self._running}…", f"({label} waits for it)")
        async with self._turn:
            if self._cancelled.is_set():
                return None
            if not await JOB_SLOTS.acquire(lambda ahead: self._queued(label, ahead), self):
                return None
            try:
                if self._alerts_shown == alerts_before:
                    self.clear_alert()
                return await self._run_now(label, function, args, kwargs)
            finally:
                JOB_SLOTS.release()

    def _queued(self, label: str, ahead: int) -> None:
        if not self.busy:
            self._show(f"{label}…", f"(waiting: {ahead} job{'s' if ahead != 1 else ''} ahead "
                                    f"on this server)")

    async def _run_now(self, label: str, function, args, kwargs):
        self._running, self._stopping = label, False
        self.busy = True
        self.bar.value, self.bar.visible = -1, True  # indeterminate until progress arrives
        self._show(f"{label}…")
        started = time.perf_counter()
        try:
            result = await run_in_thread(self._call, function, args, kwargs)
        except JobCancelled:
            _logger.info("%s cancelled (page closed or server stopping)", label)
            self._remember(label, "cancelled")
            return None
        except USER_ERRORS as err:
            _logger.info("%s failed: %s", label, err)
            self.fail(f"{label} failed: {err}")
            self._remember(label, "failed")
            return None
        finally:
            self.busy, self.bar.visible = False, False
        self._remember(label, f"done in {time.perf_counter() - started:.1f} s")
        return result

    def _remember(self, label: str, outcome: str) -> None:
        """Keep the outcome (a repeat of the newest job replaces it) and show the history."""
        if self._finished and self._finished[0][0] == label:
            self._finished.popleft()
        self._finished.appendleft((label, outcome))
        self._show()

    def _show(self, current: str = "", detail: str = "") -> None:
        """The running job (bold, then ``detail``) before the last three finished ones, newest
        first. Labels may quote file names, so every part is shown as text."""
        parts = [escape_markup(f"{label}: {outcome}") for label, outcome in self._finished]
        if current:
            parts.insert(0, f"**{escape_markup(current)}** {escape_markup(detail)}".strip())
        self.status.object = " · ".join(parts)

    def _call(self, function, args, kwargs):
        with collected() as messages, report_progress(self._on_progress):
            self.warnings, self._warned_job = messages, self._running
            return function(*args, **kwargs)

    def noted(self, objects: list) -> list:
        """``objects`` (a job's result panes) after an alert with the warnings that job raised
        (none: ``objects`` unchanged). Call it right after the job's :meth:`run`."""
        pane = warning_pane(self.warnings, self._warned_job)
        return [pane, *objects] if pane is not None else list(objects)

    def _on_progress(self, desc: str, n: int, total) -> None:
        """Progress from the worker thread; raises :class:`JobCancelled` to stop the job."""
        if self._stopping:
            return  # the job is unwinding: its bars close quietly
        if self._cancelled.is_set() or shutting_down() or (
                self.session_alive is not None and not self.session_alive()):
            self._stopping = True
            raise JobCancelled(desc)
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
    measure_ends = param.Dict(default={}, doc="name -> (negative end, positive end): the "
                              "names of a signed measure's ends, for its diverging scale")
    figures = param.Dict(default={}, doc="name -> plotly figure, or a function that makes "
                         "it when asked (:meth:`figure`), for export")
    tables = param.Dict(default={}, doc="name -> DataFrame, for export")
    concepts = param.Parameter(default=None, doc="(codes (n, d_sae), feature -> label) of the "
                               "SAE trained in the Concepts view: the regions list the "
                               "concepts they hold")

    def __init__(self, **params):
        super().__init__(**params)
        self.runner = TaskRunner()

    def add_figure(self, name: str, fig) -> None:
        """Offer ``fig`` for export: a plotly figure, or a function of no arguments that makes
        it (the 2-D map: its current view, made only when asked)."""
        self.figures = {**self.figures, name: fig}

    def figure(self, name: str):
        """The figure ``name``, made now if it was offered as a function."""
        fig = self.figures[name]
        return fig() if callable(fig) else fig

    def add_table(self, name: str, table) -> None:
        self.tables = {**self.tables, name: table}

    def add_measure(self, name: str, values, ends: tuple[str, str] | None = None) -> None:
        """Offer per-point ``values`` (NaN: no value) as a map colour; ``ends`` names the two
        ends of a signed measure (negative, positive)."""
        values = np.asarray(values, dtype=np.float64).ravel()
        n = len(self.exploration) if self.exploration is not None else len(values)
        if len(values) != n:
            raise ValueError(f"measure {name!r} has {len(values)} values for {n} points")
        if ends is not None:
            self.measure_ends = {**self.measure_ends, name: tuple(ends)}
        self.extra_measures = {**self.extra_measures, name: values}

    def selection_table(self):
        """The selected rows of the corpus's metadata (ids, texts, metadata), indexed by row
        number; empty (with the corpus's columns) when nothing is selected."""
        if self.exploration is None:
            import pandas as pd

            return pd.DataFrame()
        meta = self.exploration.data.meta
        if self.selection is None:
            return Selection([], len(meta)).rows_table(meta)
        return self.selection.rows_table(meta)

    @param.depends("exploration", watch=True)
    def _reset(self) -> None:
        self.extra_measures, self.figures, self.tables = {}, {}, {}
        self.measure_ends = {}
        self.selection = self.concepts = None
