"""The explorer's job runner: jobs asked for while another runs wait their turn."""

from __future__ import annotations

import asyncio
import html
import threading
import time

import pytest

pytest.importorskip("panel")


def _shown(markup: str) -> str:
    """The text of a status line or alert (their values are escaped with character references)."""
    return html.unescape(markup)


def test_second_job_waits_for_the_first_instead_of_being_refused():
    from embviz.app.state import TaskRunner

    runner = TaskRunner()
    running, overlaps, order = threading.Lock(), [], []

    def job(name, seconds):
        if not running.acquire(blocking=False):
            overlaps.append(name)
            return name
        try:
            time.sleep(seconds)
            order.append(name)
            return name
        finally:
            running.release()

    async def both():
        first = asyncio.create_task(runner.run("Drawing the map", job, "map", 0.3))
        await asyncio.sleep(0.05)  # the map job is running now
        second = asyncio.create_task(runner.run("Hubness reduction", job, "hubness", 0.0))
        await asyncio.sleep(0.05)
        waiting = _shown(runner.status.object)
        return await first, await second, waiting

    first, second, waiting = asyncio.run(both())
    assert (first, second) == ("map", "hubness")
    assert order == ["map", "hubness"] and overlaps == []
    assert "Hubness reduction waits" in waiting
    assert _shown(runner.status.object).startswith("Hubness reduction: done")
    assert "Drawing the map: done" in _shown(runner.status.object)  # the earlier one stays
    assert not runner.alert.visible and not runner.busy


def test_failed_job_shows_an_alert_and_frees_the_runner():
    from embviz.app.state import TaskRunner

    runner = TaskRunner()

    def broken():
        raise ValueError("column 'time' is not numeric")

    async def run_two():
        return (await runner.run("Drift over time", broken),
                await runner.run("Map", lambda: "drawn"))

    failed, after = asyncio.run(run_two())
    assert failed is None and after == "drawn"
    assert not runner.alert.visible  # a new job clears the old alert
    assert _shown(runner.status.object).startswith("Map: done")


def test_a_refusal_while_a_job_waits_stays_when_that_job_starts():
    """The map's regions job waits for a server slot; a refusal shown meanwhile (a forged
    prompt) used to be hidden the moment that job started. A job asked for after the
    refusal still clears it."""
    from embviz.app.state import TaskRunner

    runner = TaskRunner()
    release = threading.Event()

    async def refusal_while_waiting():
        first = asyncio.create_task(runner.run("Drawing the map", release.wait, 5))
        await asyncio.sleep(0.05)
        waiting = asyncio.create_task(runner.run("Naming the regions", lambda: "regions"))
        await asyncio.sleep(0.05)
        runner.fail("prompt must be at most 5,000 characters; got 100,000")
        release.set()
        await first
        named = await waiting
        kept = runner.alert.visible
        await runner.run("Embedding wordnet", lambda: None)
        return named, kept

    named, kept = asyncio.run(refusal_while_waiting())
    assert named == "regions" and kept
    assert not runner.alert.visible  # the job asked for after the refusal cleared it


def test_failed_job_message_names_the_job():
    from embviz.app.state import TaskRunner

    runner = TaskRunner()

    def broken():
        raise ValueError("column 'time' is not numeric")

    assert asyncio.run(runner.run("Drift over time", broken)) is None
    assert runner.alert.visible
    assert _shown(runner.alert.object) == "Drift over time failed: column 'time' is not numeric"


def test_job_labels_and_errors_are_shown_as_text():
    """Labels and errors quote file names and columns: the status line and the alert show them
    as typed, never as markup (the markup around them, the bold job, stays)."""
    from embviz.app.state import TaskRunner

    runner = TaskRunner()
    name = '<img src=x onerror="alert(1)">[a](javascript:alert(2)).csv'

    def broken():
        raise ValueError(f"{name!r} has no column '<b>text</b>'")

    async def run():
        await runner.run(f"Embedding {name}", broken)
        runner._on_progress(f"Reading {name}", 3, 10)
        return runner.status.object, runner.alert.object

    status, alert = asyncio.run(run())
    assert _shown(alert) == f"Embedding {name} failed: {name!r} has no column '<b>text</b>'"
    assert "<" not in alert and "[" not in alert
    assert status.startswith("**") and "<" not in status and "[" not in status
    assert _shown(status) == f"**Reading {name}** 3/10 · Embedding {name}: failed"


def test_server_log_check_ignores_only_clients_that_went_away():
    """The browser tests' log check: a page closed mid-write is not an app error."""
    from app_server import server_errors

    gone = """2026-11-22 20:35:10,888 Task exception was never retrieved
Traceback (most recent call last):
  File "tornado/websocket.py", line 1140, in wrapper
    await fut
tornado.iostream.StreamClosedError: Stream is closed

During handling of the above exception, another exception occurred:

Traceback (most recent call last):
  File "tornado/websocket.py", line 1142, in wrapper
    raise WebSocketClosedError()
tornado.websocket.WebSocketClosedError
2026-11-22 20:35:10,929 WebSocket connection closed: code=1001, reason=None
"""
    real = """Traceback (most recent call last):
  File "embviz/app/map_view.py", line 80, in redraw
    figure = self._figure()
KeyError: 'label'
"""
    assert server_errors(gone) == []
    assert server_errors(gone + real) == [real.strip()]


def test_a_figure_offered_as_a_function_is_made_when_asked():
    """The 2-D map offers its export figure as a function: made on export, not per redraw."""
    from embviz.app.state import AppState

    state, made = AppState(), []
    state.add_figure("map", lambda: made.append(1) or "the current view")
    state.add_figure("report", "a figure")
    assert made == []
    assert state.figure("map") == "the current view" and made == [1]
    assert state.figure("report") == "a figure"
