"""Warnings raised during a job, collected for the page that started it.

The package warns when it drops duplicates, leaves points out, truncates texts or meets a
small sample; in the app those warnings would otherwise reach only the server log. A job's
worker thread collects them (:func:`collected`), and the view shows them next to the result
they concern (:func:`warning_pane`), with how often each was raised.

``warnings.catch_warnings`` is not thread-safe (it swaps process-wide state), and sessions
run jobs in parallel threads; here one process-wide ``showwarning`` hands each warning to the
collector of the thread that raised it (and still to the log), and the package's own
``UserWarning`` s are always shown (not once per code location), so a second job on the same
data reports them again.
"""

from __future__ import annotations

import collections
import contextlib
import threading
import warnings

import panel as pn

from .text import escape_markup

__all__ = ["collected", "warning_pane"]

_local = threading.local()
_installed = {"done": False}
_lock = threading.Lock()


def _install() -> None:
    with _lock:
        if _installed["done"]:
            return
        warnings.filterwarnings("always", category=UserWarning, module=r"embviz(\.|$)")
        original = warnings.showwarning

        def show(message, category, filename, lineno, file=None, line=None):
            collector = getattr(_local, "collector", None)
            if collector is not None:
                collector.append(str(message))
            original(message, category, filename, lineno, file, line)

        warnings.showwarning = show
        _installed["done"] = True


@contextlib.contextmanager
def collected():
    """Collect the warnings raised in this thread; yields the list they are appended to."""
    _install()
    previous = getattr(_local, "collector", None)
    _local.collector = []
    try:
        yield _local.collector
    finally:
        _local.collector = previous


def warning_pane(messages: list[str], what: str = "") -> pn.pane.Alert | None:
    """An alert listing ``messages`` (each once, with a count when repeated), or None."""
    if not messages:
        return None
    counts = collections.Counter(messages)
    lines = [f"- {escape_markup(text)}" + (f" (×{count})" if count > 1 else "")
             for text, count in counts.items()]
    head = f"**{len(counts)} warning{'s' if len(counts) > 1 else ''}"
    head += f" from {escape_markup(what)}**" if what else "**"
    return pn.pane.Alert("\n".join([head, *lines]), alert_type="warning",
                         sizing_mode="stretch_width", css_classes=["embviz-warnings"])
