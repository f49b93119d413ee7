"""Heavy jobs across all sessions of one explorer server: a process-wide cap with a queue,
cancellation, and worker threads that never hold up shutdown.

Every session's :class:`~embviz.app.state.TaskRunner` asks :data:`JOB_SLOTS` for a slot before
it starts a job in a worker thread and gives it back when the thread ends, so at most
``$EMBVIZ_MAX_JOBS`` jobs (default 2) run at once however many pages are open; the others wait
in arrival order and their pages say how many jobs are ahead. With one ``panel serve`` process
all sessions share one event loop, but the slots are guarded by a ``threading.Lock`` and each
waiter is woken on its own loop (``call_soon_threadsafe``), so the cap holds with several
loops too (``--num-procs`` > 1 runs one cap per process).

A job stops early by raising :class:`JobCancelled` from its progress callback (embviz reports
progress from inside its long loops), which happens when its session was cancelled (page
closed) or the server is shutting down (:func:`stop_all_jobs`, run on ``SIGTERM`` before the
interpreter waits for threads). Worker threads are daemons: a job that reports no progress
still cannot keep the process alive.
"""

from __future__ import annotations

import asyncio
import atexit
import os
import threading
from dataclasses import dataclass, field

__all__ = ["JOB_SLOTS", "JobCancelled", "JobSlots", "max_jobs", "run_in_thread",
           "shutting_down", "stop_all_jobs"]

_DEFAULT_MAX_JOBS = 2
_SHUTDOWN = threading.Event()


class JobCancelled(Exception):
    """Raised inside a job (at a progress report) whose page closed or whose server stops."""


def max_jobs() -> int:
    """Heavy jobs run at once across sessions: ``$EMBVIZ_MAX_JOBS`` (default 2, at least 1)."""
    return max(1, int(os.environ.get("EMBVIZ_MAX_JOBS", _DEFAULT_MAX_JOBS)))


def shutting_down() -> bool:
    """Whether :func:`stop_all_jobs` was called (the server is stopping)."""
    return _SHUTDOWN.is_set()


def stop_all_jobs() -> None:
    """Make every running job stop at its next progress report and no queued job start."""
    _SHUTDOWN.set()
    JOB_SLOTS.cancel_all()


@dataclass(eq=False)
class _Ticket:
    """One job waiting for a slot: resolved on its own loop with True (go) or False (give up)."""

    loop: asyncio.AbstractEventLoop
    future: asyncio.Future
    on_ahead: object = None  # callable(int): jobs ahead of this one changed
    owner: object = field(default=None)


class JobSlots:
    """At most ``limit`` jobs at once (``None``: :func:`max_jobs` at first use); FIFO queue.

    Examples
    --------
    >>> slots = JobSlots(limit=1)
    >>> async def job():
    ...     if await slots.acquire():
    ...         slots.release()
    ...         return "ran"
    >>> asyncio.run(job())
    'ran'
    """

    def __init__(self, limit: int | None = None):
        self._limit = limit
        self._lock = threading.Lock()
        self._running = 0
        self._waiting: list[_Ticket] = []

    @property
    def limit(self) -> int:
        if self._limit is None:
            self._limit = max_jobs()
        return self._limit

    def waiting(self) -> int:
        """Jobs queued now (not running)."""
        return len(self._waiting)

    async def acquire(self, on_ahead=None, owner=None) -> bool:
        """Wait for a slot; ``True`` once granted, ``False`` if cancelled while queued.

        ``on_ahead(k)`` is called on this loop whenever the number of jobs ahead (running
        ones included when every slot is taken) changes, first right away.
        """
        if shutting_down():
            return False
        loop = asyncio.get_running_loop()
        with self._lock:
            if self._running < self.limit and not self._waiting:
                self._running += 1
                return True
            ticket = _Ticket(loop, loop.create_future(), on_ahead, owner)
            self._waiting.append(ticket)
        self._announce()
        try:
            return await ticket.future
        except asyncio.CancelledError:
            self._withdraw(ticket)
            raise

    def release(self) -> None:
        """Give a slot back: the first queued job gets it."""
        with self._lock:
            ticket = self._waiting.pop(0) if self._waiting else None
            if ticket is None:
                self._running -= 1
        if ticket is not None:
            if not _call_on(ticket.loop, self._grant, ticket):
                self.release()  # its loop is gone: the next one gets the slot
            self._announce()

    def cancel(self, owner) -> None:
        """Queued jobs of ``owner`` (a session's runner) give up: their ``acquire`` is False."""
        self._drop(lambda ticket: ticket.owner is owner)

    def cancel_all(self) -> None:
        self._drop(lambda ticket: True)

    def _drop(self, which) -> None:
        with self._lock:
            dropped = [t for t in self._waiting if which(t)]
            self._waiting = [t for t in self._waiting if not which(t)]
        for ticket in dropped:
            _call_on(ticket.loop, _resolve, ticket.future, False)
        if dropped:
            self._announce()

    def _grant(self, ticket: _Ticket) -> None:
        """On the ticket's loop: hand it the slot, or pass the slot on if it gave up."""
        if ticket.future.done():
            self.release()
        else:
            ticket.future.set_result(True)

    def _withdraw(self, ticket: _Ticket) -> None:
        """The waiting task was cancelled: leave the queue, or give back a granted slot."""
        with self._lock:
            queued = ticket in self._waiting
            if queued:
                self._waiting.remove(ticket)
        granted = ticket.future.done() and not ticket.future.cancelled() and ticket.future.result()
        if not queued and granted:
            self.release()
        self._announce()

    def _announce(self) -> None:
        with self._lock:
            busy = self._running >= self.limit
            queue = [(t, i + (self._running if busy else 0)) for i, t in
                     enumerate(self._waiting)]
        for ticket, ahead in queue:
            if ticket.on_ahead is not None:
                _call_on(ticket.loop, ticket.on_ahead, ahead)


def _call_on(loop: asyncio.AbstractEventLoop, function, *args) -> bool:
    """``function(*args)`` soon on ``loop`` from any thread; False if the loop is closed."""
    try:
        loop.call_soon_threadsafe(function, *args)
    except RuntimeError:
        return False
    return True


def _resolve(future: asyncio.Future, value) -> None:
    if not future.done():
        future.set_result(value)


#: The server's slots (one per process).
JOB_SLOTS = JobSlots()


async def run_in_thread(function, *args):
    """``function(*args)`` in a new daemon thread, awaited without blocking the loop."""
    loop = asyncio.get_running_loop()
    future = loop.create_future()

    def work():
        try:
            result = function(*args)
        except BaseException as err:  # noqa: BLE001 - handed to the awaiting task
            _call_on(loop, _settle, future, None, err)
        else:
            _call_on(loop, _settle, future, result, None)

    threading.Thread(target=work, name="embviz-job", daemon=True).start()
    return await future


def _settle(future: asyncio.Future, result, error) -> None:
    if future.done():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


def _register_shutdown_hook() -> None:
    """Stop jobs when the interpreter starts shutting down, before it joins threads.

    ``panel serve`` stops its loop on SIGTERM and returns; the interpreter then joins
    non-daemon threads (``threading._register_atexit``) before running ``atexit`` hooks, so
    both are used.
    """
    register = getattr(threading, "_register_atexit", None)
    if register is not None:
        try:
            register(stop_all_jobs)
        except RuntimeError:  # already shutting down
            pass
    atexit.register(stop_all_jobs)


_register_shutdown_hook()
