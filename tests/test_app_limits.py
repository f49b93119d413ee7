"""The explorer's server-side limits, job queue and cancellation, without a browser.

A browser can send any widget value; these tests set the values a forged page would send on
the server-side objects directly (what the websocket would do) and check that the job is
refused with a message naming the argument and its range, that heavy jobs queue across
sessions, and that a cancelled job stops at its next progress report.
"""

from __future__ import annotations

import asyncio
import html
import io
import threading
import time

import pandas as pd
import pytest

pytest.importorskip("panel")


def _alert(runner) -> str:
    return html.unescape(runner.alert.object) if runner.alert.visible else ""


def test_limit_messages_name_the_argument_and_the_range():
    from embviz.app.limits import LimitError, check_integer, check_n, check_query

    with pytest.raises(LimitError, match=r"^steps must be an integer from 50 to 20,000; "
                                         r"got 1,000,000,000$"):
        check_integer("steps", 10**9, 50, 20_000)
    with pytest.raises(LimitError, match="got True"):
        check_integer("k", True, 1, 5)
    with pytest.raises(LimitError, match=r"n must be an integer from 50 to 117,659 \(wordnet "
                                         r"has 117,659 texts\); got 100,000,000"):
        check_n(100_000_000, "wordnet", 117_659)
    with pytest.raises(LimitError, match="query must be at most 2,000 characters; got 2,001"):
        check_query("x" * 2001)
    assert check_query("cats") == "cats"


def test_row_limit_of_bundled_samples(monkeypatch):
    from embviz.app.limits import LimitError, check_n

    monkeypatch.setenv("EMBVIZ_MAX_ROWS", "10000")
    assert check_n(10_000, "wordnet", 117_659) == 10_000
    with pytest.raises(LimitError, match=r"from 50 to 10,000 \(the server's limit, "
                                         r"EMBVIZ_MAX_ROWS\)"):
        check_n(10_001, "wordnet", 117_659)


@pytest.fixture
def views():
    from embviz.app.compare_view import CompareView
    from embviz.app.concepts_view import ConceptsView
    from embviz.app.data_view import DataView
    from embviz.app.geometry_view import GeometryView
    from embviz.app.state import AppState

    state = AppState()
    return state, {"data": DataView(state), "geometry": GeometryView(state),
                   "compare": CompareView(state), "concepts": ConceptsView(state)}


@pytest.mark.parametrize("view, name, value, check, message", [
    ("data", "prompt", "p" * 100_000, "check_embedding_args",
     "prompt must be at most 5,000 characters; got 100,000"),
    ("data", "n", 100_000_000, "check_sample_size",
     "n must be an integer from 50 to 117,659 (wordnet has 117,659 texts); got 100,000,000"),
    ("data", "n", 3, "check_sample_size", "n must be an integer from 50 to"),
    ("data", "layer", 99, "check_embedding_args",
     "layer must be an integer from -7 to 6 (the model has 6 layers); got 99"),
    ("geometry", "layer_sample", 10**7, "check_layer_sample",
     "layer_sample must be an integer from 200 to 20,000; got 10,000,000"),
    ("compare", "n_permutations", 10**9, "check_permutations",
     "n_permutations must be an integer from 100 to 5,000; got 1,000,000,000"),
    ("compare", "windows", 10**6, "check_windows", "windows must be an integer from 2 to 50"),
    ("concepts", "steps", 10**9, "check_steps", "steps must be an integer from 50 to 20,000"),
])
def test_forged_widget_values_are_refused_when_the_job_starts(views, view, name, value, check,
                                                              message):
    """The value arrives without error (param used to raise and log two tracebacks, and show
    nothing); the job refuses it with a message in the page and starts no work."""
    state, all_views = views
    target = all_views[view]
    setattr(target, name, value)  # what a forged websocket message does
    assert not state.runner.allowed(getattr(target, check))
    assert _alert(state.runner).startswith(message)


@pytest.mark.parametrize("view, name, forged", [
    ("concepts", "k", "999"), ("concepts", "expansion", "1000000"),
    ("concepts", "architecture", "<b>nope</b>"), ("compare", "time_column", "evil"),
    ("compare", "other_model", "x" * 500), ("data", "model", "no-such-model"),
])
def test_forged_dropdown_values_get_a_message_and_no_traceback(views, view, name, forged,
                                                               caplog):
    """A dropdown value the page never offered is refused where it arrives (the widget):
    the view keeps its value, the page shows a message, nothing is logged as an error
    (Panel's Select used to raise "not in list" and log a traceback, with no message)."""
    from bokeh.document import Document

    from embviz.app.state import CheckedSelect, controls

    state, all_views = views
    target = all_views[view]
    before = getattr(target, name)
    widget = controls(target, name)._widgets[name]
    assert isinstance(widget, CheckedSelect)
    widget.get_root(Document())
    with caplog.at_level("INFO"):
        widget._process_events({"value": forged})  # what the websocket message does
    assert getattr(target, name) == before and widget.value == before
    assert _alert(state.runner).startswith(f"{widget.name}: {forged[:20]!r}"[:-1])
    assert "is not one of the choices" in _alert(state.runner)
    assert not [r for r in caplog.records if r.levelname in ("ERROR", "CRITICAL")]
    state.runner.alert.visible = False
    widget._process_events({"value": widget.labels[-1]})  # an offered value still works
    assert getattr(target, name) == widget.values[-1] and not state.runner.alert.visible


def test_forged_upload_column_gets_a_message(views, caplog):
    state, all_views = views
    data = all_views["data"]
    data._offer_columns(["text", "label"])
    with caplog.at_level("INFO"):
        data._text_col._process_events({"value": "not a column"})
    assert data._text_col.value == "text" and "is not one of the choices" in _alert(
        state.runner)
    assert not [r for r in caplog.records if r.levelname == "ERROR"]


def test_forged_prompt_starts_no_work(views, monkeypatch):
    state, all_views = views
    data = all_views["data"]
    started = []
    monkeypatch.setattr("embviz.app.data_view.shared_exploration",
                        lambda *args: started.append(args))
    data.prompt = "x" * 100_000
    asyncio.run(data._bundled())
    assert started == [] and "prompt must be at most 5,000" in _alert(state.runner)
    data.prompt, data.n = "", 100_000_000
    asyncio.run(data._bundled())
    assert started == [] and "n must be an integer from 50" in _alert(state.runner)


def test_parquet_row_count_is_read_from_metadata_before_reading(monkeypatch):
    """A 100 KB Parquet file of a million identical rows is refused without being read."""
    from embviz.app.uploads import read_upload, upload_columns

    monkeypatch.setenv("EMBVIZ_MAX_ROWS", "1000")
    buffer = io.BytesIO()
    pd.DataFrame({"text": ["same text"] * 1_000_000}).to_parquet(buffer, compression="zstd")
    content = buffer.getvalue()
    assert len(content) < 200_000

    def no_read(*args, **kwargs):
        raise AssertionError("the table was read")

    monkeypatch.setattr("pandas.read_parquet", no_read)
    for call in (upload_columns, read_upload):
        with pytest.raises(ValueError, match=r"'big.parquet' has 1,000,000 rows; uploads are "
                                             r"limited to 1,000 rows \(set EMBVIZ_MAX_ROWS\)"):
            call("big.parquet", content)


@pytest.mark.parametrize("name, content", [
    ("many.csv", b"text\n" + b"a\n" * 1_001),
    ("many.tsv", b"text\tlabel\n" + b"a\tb\n" * 1_001),
    ("many.jsonl", b'{"text": "a"}\n' * 1_001),
])
def test_text_tables_are_capped_while_reading(monkeypatch, name, content):
    from embviz.app.uploads import read_upload, upload_columns

    monkeypatch.setenv("EMBVIZ_MAX_ROWS", "1000")
    with pytest.raises(ValueError, match=f"'{name}' has more than 1,000 rows"):
        upload_columns(name, content)
    assert len(read_upload(name, content.rsplit(b"\n", 2)[0] + b"\n")) == 1_000


def test_multiline_cells_count_as_one_row(monkeypatch):
    from embviz.app.uploads import read_upload

    monkeypatch.setenv("EMBVIZ_MAX_ROWS", "10")
    content = b"text\n" + b'"line one\nline two\nline three"\n' * 10  # 31 lines, 10 rows
    assert len(read_upload("cells.csv", content)) == 10


def _upload_event(name: str, chunk: int, total: int, data: bytes):
    from types import SimpleNamespace

    return SimpleNamespace(event_name="upload_event",
                           data={"name": name, "chunk": chunk, "total_chunks": total,
                                 "data": data, "type": "application/octet-stream"})


def test_dropper_refuses_a_forged_upload_over_the_limit_on_the_server(monkeypatch):
    """A page can skip the browser-side size check and keep sending chunks: the server stops
    buffering them at the limit and says why."""
    from embviz.app.file_drop import LimitedFileDropper

    monkeypatch.setenv("EMBVIZ_MAX_UPLOAD_MB", "0.001")  # 1,000 bytes
    dropper = LimitedFileDropper()
    assert dropper.max_file_size == "1KB"
    dropper._process_event(_upload_event("ok.csv", 1, 2, b"x" * 600))
    dropper._process_event(_upload_event("ok.csv", 2, 2, b"x" * 400))
    assert dropper.filename == "ok.csv" and dropper.content == b"x" * 1000
    for chunk in range(1, 4):
        dropper._process_event(_upload_event("big.csv", chunk, 3, b"x" * 600))
    assert dropper.refused == "'big.csv' is larger than the upload limit of 0.001 MB " \
                              "(set EMBVIZ_MAX_UPLOAD_MB)"
    assert "big.csv" not in dropper.value and not dropper._file_buffer
    dropper._process_event(_upload_event("stray.csv", 2, 2, b"x"))  # no first chunk: ignored
    assert "stray.csv" not in dropper.value


def test_at_most_max_jobs_run_at_once_across_runners(monkeypatch):
    """Four sessions' runners, a cap of one: the jobs run one after another, the queued ones
    say how many jobs are ahead."""
    from embviz.app import jobs
    from embviz.app.state import TaskRunner

    monkeypatch.setattr(jobs, "JOB_SLOTS", jobs.JobSlots(limit=1))
    monkeypatch.setattr("embviz.app.state.JOB_SLOTS", jobs.JOB_SLOTS)
    runners = [TaskRunner() for _ in range(4)]
    active, peak, lock = [0], [0], threading.Lock()
    seen: list[str] = []

    def job():
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        time.sleep(0.2)
        with lock:
            active[0] -= 1
        return "ok"

    async def all_four():
        tasks = [asyncio.create_task(r.run(f"Embedding {i}", job)) for i, r in
                 enumerate(runners)]
        await asyncio.sleep(0.1)
        seen.extend(html.unescape(r.status.object) for r in runners)
        return await asyncio.gather(*tasks)

    assert asyncio.run(all_four()) == ["ok"] * 4
    assert peak[0] == 1
    assert "waiting: 3 jobs ahead on this server" in seen[3]
    assert "waiting: 1 job ahead" in seen[1]


def test_the_cap_holds_across_event_loops(monkeypatch):
    """Sessions on different loops (threads) share the process-wide slots."""
    from embviz.app import jobs

    slots = jobs.JobSlots(limit=1)
    active, peak, lock = [0], [0], threading.Lock()

    async def one():
        assert await slots.acquire()
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        await asyncio.sleep(0.05)
        with lock:
            active[0] -= 1
        slots.release()

    threads = [threading.Thread(target=asyncio.run, args=(one(),)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert peak[0] == 1 and slots.waiting() == 0


def test_cancel_stops_the_running_job_and_drops_the_queued_ones(monkeypatch):
    from embviz._progress import progress_bar
    from embviz.app import jobs
    from embviz.app.state import TaskRunner

    monkeypatch.setattr("embviz.app.state.JOB_SLOTS", jobs.JobSlots(limit=1))
    closing, other = TaskRunner(), TaskRunner()
    steps, later = [], []

    def embedding():
        for step in progress_bar(range(1000), desc="embedding", disable=True):
            steps.append(step)
            time.sleep(0.01)
        return "finished"

    async def scenario():
        running = asyncio.create_task(closing.run("Embedding", embedding))
        queued = asyncio.create_task(other.run("Map", lambda: later.append(1)))
        await asyncio.sleep(0.3)
        closing.cancel()  # the page closed
        return await running, await queued, await closing.run("After", lambda: "no")

    started = time.perf_counter()
    result = asyncio.run(scenario())
    assert result == (None, None, None)  # stopped, then the other session's job ran
    assert later == [1] and len(steps) < 100 and time.perf_counter() - started < 3
    assert "Embedding: cancelled" in html.unescape(closing.status.object)
    assert not closing.alert.visible


def test_queued_job_of_a_closed_page_never_starts(monkeypatch):
    from embviz.app import jobs
    from embviz.app.state import TaskRunner

    monkeypatch.setattr("embviz.app.state.JOB_SLOTS", jobs.JobSlots(limit=1))
    first, closing = TaskRunner(), TaskRunner()
    ran = []

    async def scenario():
        busy = asyncio.create_task(first.run("Long", time.sleep, 0.4))
        await asyncio.sleep(0.05)
        queued = asyncio.create_task(closing.run("Queued", lambda: ran.append(1)))
        await asyncio.sleep(0.05)
        closing.cancel()
        return await queued, await busy

    assert asyncio.run(scenario()) == (None, None)
    assert ran == []


def test_history_keeps_labels_with_colons():
    """Labels are kept whole (they used to be split at the first ":", so a file named
    "a: b.csv" replaced the entry of another job)."""
    from embviz.app.state import TaskRunner

    runner = TaskRunner()

    async def jobs():
        await runner.run("Embedding a: b.csv", lambda: 1)
        await runner.run("Embedding a: c.csv", lambda: 2)

    asyncio.run(jobs())
    status = html.unescape(runner.status.object)
    assert "Embedding a: c.csv: done" in status and "Embedding a: b.csv: done" in status


def test_notice_stays_when_jobs_run():
    """An ignored URL argument is named in a notice that a following job does not hide."""
    from embviz.app.state import TaskRunner

    runner = TaskRunner()
    runner.warn("URL argument 'n' ignored: n must be an integer from 50 to 117,659")
    asyncio.run(runner.run("Embedding wordnet", lambda: 1))
    assert runner._notices.visible
    assert "URL argument 'n' ignored" in html.unescape(runner.notice.object)
    runner._dismiss.clicks += 1
    assert not runner._notices.visible


class _FakeSession:
    """What ``PageWatch`` reads of a Bokeh ``ServerSession``, on a clock the test moves: Bokeh
    starts the "last unsubscribe" clock when it makes the session (the page's HTML request)."""

    def __init__(self):
        self.now, self.connection_count, self._last_unsubscribe = 0.0, 0, 0.0

    @property
    def milliseconds_since_last_unsubscribe(self) -> float:
        return self.now - self._last_unsubscribe

    def connect(self):
        self.connection_count += 1

    def disconnect(self):
        self.connection_count -= 1
        self._last_unsubscribe = self.now


def test_a_page_is_gone_only_after_it_connected_and_then_lost_its_websocket():
    """Issue 31, item 1: a page whose websocket had not connected yet (a busy server) was
    judged gone 3 s after its HTML was served and its map job cancelled."""
    from embviz.app.explorer import PageWatch

    watch, session = PageWatch(gone_after_ms=3_000), _FakeSession()
    assert watch.alive(None)  # the session object is not made yet
    session.now = 60_000  # a minute without a websocket: still loading, not gone
    assert watch.alive(session)
    session.connect()
    assert watch.alive(session)
    session.now += 10_000
    session.disconnect()  # the tab closed
    session.now += 2_000
    assert watch.alive(session)  # a reconnecting page has a moment
    session.now += 1_500
    assert not watch.alive(session)
    session.connect()  # it came back (a reconnect)
    assert watch.alive(session)


def test_a_page_that_loaded_and_closed_between_two_checks_is_gone():
    """The page reports itself loaded (``pn.state.onload``) even if no progress report saw its
    websocket open."""
    from embviz.app.explorer import PageWatch

    watch, session = PageWatch(gone_after_ms=3_000), _FakeSession()
    session.now = 20_000
    watch.page_seen()
    assert not watch.alive(session)


def _parquet_bytes(table) -> bytes:
    import pyarrow.parquet as pq

    buffer = io.BytesIO()
    pq.write_table(table, buffer, compression="zstd")
    return buffer.getvalue()


def test_parquet_values_and_decoded_size_are_read_from_metadata_before_reading(monkeypatch):
    """Issue 31, item 2: 4.9 KB of zero vectors (150,000 x 1,024) took the server from 1.8 to
    3.8 GB; only the row count was checked."""
    import numpy as np
    import pyarrow as pa

    from embviz.app.uploads import read_upload, upload_columns

    def no_read(*args, **kwargs):
        raise AssertionError("the table was read")

    monkeypatch.setattr("pandas.read_parquet", no_read)
    rows, dim = 150_000, 1_024
    zeros = _parquet_bytes(pa.table({
        "text": pa.array(["a"] * rows),
        "vector": pa.FixedSizeListArray.from_arrays(pa.array(np.zeros(rows * dim, np.float32)),
                                                    dim)}))
    assert len(zeros) < 6_000
    for call in (upload_columns, read_upload):
        with pytest.raises(ValueError, match=r"^'zeros.parquet' declares 153,750,000 values "
                                             r"\(rows x columns, each element of a list cell "
                                             r"counted\); uploads may hold at most 20,000,000 "
                                             r"values \(set EMBVIZ_MAX_UPLOAD_VALUES\)"):
            call("zeros.parquet", zeros)
    # distinct texts (a dictionary of one value would be small decoded too), compressed ~100x
    texts = _parquet_bytes(pa.table({"text": [f"{i} " + "word " * 2_000 for i in range(300)]}))
    monkeypatch.setenv("EMBVIZ_MAX_DECODED_MB", "1")
    with pytest.raises(ValueError, match=r"'texts.parquet' declares [\d,]+ bytes once "
                                         r"decompressed; uploads may hold at most 1,000,000 "
                                         r"bytes \(set EMBVIZ_MAX_DECODED_MB\)"):
        upload_columns("texts.parquet", texts)
    monkeypatch.delenv("EMBVIZ_MAX_DECODED_MB")
    assert upload_columns("texts.parquet", texts) == ["text"]  # from the schema, not read


def test_npy_header_is_checked_before_the_array_is_made():
    import numpy as np

    from embviz.app.uploads import read_embeddings_upload

    buffer = io.BytesIO()
    np.save(buffer, np.zeros((3, 4), np.float32))
    npy, meta = buffer.getvalue(), b"text\na\nb\nc\n"
    huge = npy.replace(b"(3, 4)", b"(300000, 4000)")  # same header length
    with pytest.raises(ValueError, match=r"'v.npy' declares 1,200,000,000 values \(shape "
                                         r"\(300000, 4000\)\); uploads may hold at most"):
        read_embeddings_upload("v.npy", huge, "m.csv", meta)
    with pytest.raises(ValueError, match=r"'v.npy' declares an array of 60 bytes \(shape "
                                         r"\(3, 5\), float32\) but holds 48"):
        read_embeddings_upload("v.npy", npy.replace(b"(3, 4)", b"(3, 5)"), "m.csv", meta)
    assert read_embeddings_upload("v.npy", npy, "m.csv", meta).vectors.shape == (3, 4)


def test_dropper_holds_one_unfinished_file(monkeypatch):
    """Forged first chunks under ever new names, never finished, added 42 MB each while the
    page was open: a new file's first chunk drops the one still arriving."""
    from embviz.app.file_drop import LimitedFileDropper

    monkeypatch.setenv("EMBVIZ_MAX_UPLOAD_MB", "0.001")
    dropper = LimitedFileDropper()
    for i in range(50):
        dropper._process_event(_upload_event(f"forged_{i}.csv", 1, 2, b"x" * 900))
    assert list(dropper._file_buffer) == ["forged_49.csv"]
    assert sum(map(len, dropper._file_buffer["forged_49.csv"])) == 900
    dropper._process_event(_upload_event("forged_3.csv", 2, 2, b"x"))  # its start was dropped
    assert not dropper.value
    dropper._process_event(_upload_event("real.csv", 1, 1, b"text\na\n"))
    assert dropper.filename == "real.csv" and not dropper._file_buffer


def test_a_forged_lasso_is_simplified_with_a_notice():
    """A lasso of 200,000 vertices over 5,000 points cost 28 s of server CPU."""
    from types import SimpleNamespace

    import numpy as np

    from embviz.app.limits import lasso_vertices
    from embviz.app.map_view import MapView
    from embviz.app.state import AppState

    state = AppState()
    view = MapView(state)
    rng = np.random.default_rng(0)
    view.datamap = SimpleNamespace(coords=rng.normal(size=(5_000, 2)).astype(np.float32))
    selected = []
    view._select = selected.append
    angles = np.linspace(0, 2 * np.pi, 200_000, endpoint=False)
    started = time.perf_counter()
    view._on_lasso(np.column_stack([np.cos(angles), np.sin(angles)]))
    assert time.perf_counter() - started < 2.0
    inside = (np.hypot(*view.datamap.coords.T) < 1).sum()
    assert abs(len(selected[0]) - inside) <= 5  # 1,000 vertices of the unit circle
    assert "The lasso had 200,000 vertices; it was simplified to 1,000" in html.unescape(
        state.runner.notice.object)
    assert lasso_vertices(1_000_000) == 100
    view._on_lasso([[0, 0], [1, float("nan")], [1, 1]])
    assert "The lasso was refused: " in _alert(state.runner)
    view._on_lasso([[0, 0], [1, 1], [1, 1, 1]])
    assert "its vertices are not (x, y) pairs" in _alert(state.runner)


@pytest.mark.parametrize("view, name, forged, message", [
    ("data", "n", 10.5, "N: 10.5 is not an integer; it stays 5000"),
    ("data", "layer", "3", "Layer: '3' is not a number; it stays -1"),
    ("concepts", "steps", float("nan"), "Steps: nan is not an integer; it stays 600"),
    ("compare", "n_permutations", True, "N permutations: True is not a number"),
])
def test_forged_numbers_get_a_message_and_no_traceback(views, view, name, forged, message,
                                                       caplog):
    """Issue 31, item 6: N = 10.5 from a forged widget gave no message and two tracebacks."""
    from bokeh.document import Document

    from embviz.app.state import controls

    state, all_views = views
    target = all_views[view]
    before = getattr(target, name)
    widget = controls(target, name)._widgets[name]
    widget.get_root(Document())
    with caplog.at_level("INFO"):
        widget._process_events({"value": forged})
    assert getattr(target, name) == before and widget.value == before
    assert _alert(state.runner).startswith(message)
    assert not [r for r in caplog.records if r.levelname in ("ERROR", "CRITICAL")]
    widget._process_events({"value": before + 1})  # a number still arrives
    assert getattr(target, name) == before + 1


def test_forged_float_is_refused_when_not_finite(caplog):
    from bokeh.document import Document

    from embviz.app.landscape_view import LandscapeView
    from embviz.app.state import AppState, controls

    state = AppState()
    view = LandscapeView(state)
    widget = controls(view, "threshold")._widgets["threshold"]
    widget.get_root(Document())
    widget._process_events({"value": float("inf")})
    assert view.threshold == view.param.threshold.default
    assert "is not a finite number" in _alert(state.runner)
