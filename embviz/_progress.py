"""One progress bar for the whole package: tqdm in terminals and notebooks, plus listeners.

Every long loop in embviz uses :func:`progress_bar` instead of ``tqdm`` directly. An app (the
Panel explorer) can then show the same progress in its own indicator with
:func:`report_progress`, without the package importing Panel.
"""

from __future__ import annotations

import contextlib
import os
from contextvars import ContextVar
from typing import Callable, Iterator

__all__ = ["progress_bar", "report_progress"]

#: ``listener(desc, n, total)`` with ``total`` None when unknown.
Listener = Callable[[str, int, "int | None"], None]
_LISTENERS: ContextVar[tuple[Listener, ...]] = ContextVar("embviz_progress", default=())


@contextlib.contextmanager
def report_progress(listener: Listener) -> Iterator[None]:
    """Send every embviz progress bar opened inside the block to ``listener(desc, n, total)``.

    Examples
    --------
    >>> seen = []
    >>> with report_progress(lambda desc, n, total: seen.append((desc, n, total))):
    ...     for _ in progress_bar(range(3), desc="demo", disable=True):
    ...         pass
    >>> seen[-1]
    ('demo', 3, 3)
    """
    token = _LISTENERS.set(_LISTENERS.get() + (listener,))
    try:
        yield
    finally:
        _LISTENERS.reset(token)


def progress_bar(iterable=None, **kwargs):
    """A ``tqdm.auto.tqdm`` bar (same arguments) that also informs active listeners.

    With a listener active, a bar created with ``disable=True`` still counts (its terminal
    output goes to ``os.devnull``) so the listener sees the progress.
    """
    from tqdm.auto import tqdm

    listeners = _LISTENERS.get()
    if not listeners:
        return tqdm(iterable, **kwargs)
    if kwargs.pop("disable", False):
        kwargs["file"] = open(os.devnull, "w")  # noqa: SIM115 - closed with the bar
    return _listening_class(tqdm)(iterable, listeners=listeners, **kwargs)


def _listening_class(base):
    class _ListeningBar(base):
        def __init__(self, iterable=None, listeners=(), **kwargs):
            self._listeners = listeners
            super().__init__(iterable, **kwargs)
            self._notify()

        def update(self, n=1):
            shown = super().update(n)
            self._notify()
            return shown

        def close(self):
            if not getattr(self, "disable", True):
                # a closing bar never raises a listener's exception (an app stopping its job):
                # tqdm closes bars in ``__del__`` too, where it would only print a traceback;
                # the job stops at its next report instead
                with contextlib.suppress(Exception):
                    self._notify()
            super().close()
            file = getattr(self, "fp", None)
            if file is not None and getattr(file, "name", None) == os.devnull:
                file.close()

        def _notify(self):
            for listener in self._listeners:
                listener(self.desc.rstrip(": ") if self.desc else "", int(self.n), self.total)

    return _ListeningBar
