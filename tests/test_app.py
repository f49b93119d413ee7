"""The explorer in a real browser: Playwright driving Debian's Chromium against `panel serve`.

One server for the module (started on a free loopback port with a 1 MB upload limit so the
oversized-upload path is cheap to test). Screenshots of every view go to
``results/screenshots/`` (look at them).
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from app_server import (
    CHROMIUM,
    ROOT,
    checked_explorer,
    choose_map_tool,
    drag,
    frame_point,
    map_frame,
    rss_mb,
    server_errors,
    stable_map_frame,
)

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs /usr/bin/chromium")]

SHOTS = ROOT / "results" / "screenshots"
MAP_TIMEOUT_MS = 240_000  # first run: embed 5,000 texts and compile UMAP


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with checked_explorer(tmp_path_factory, env={"EMBVIZ_MAX_UPLOAD_MB": "1"}) as running:
        yield running


@pytest.fixture(scope="module")
def page(server, browser):
    page = browser.new_page(viewport={"width": 1500, "height": 1000}, accept_downloads=True)
    page.goto(server[0])
    wait_for_map(page)
    yield page
    page.close()


def plot_traces(page) -> list[list[str]]:
    """Trace names of every plotly figure on the page (locators pierce Panel's shadow DOM)."""
    return [p.evaluate("p => (p.data || []).map(t => t.name)")
            for p in page.locator(".js-plotly-plot").all()]


def wait_until(page, condition, timeout_ms: float, what) -> None:
    """Poll ``condition()``; on timeout fail with ``what`` (a string, or a callable giving one
    then: the page's state at the timeout) and a screenshot."""
    deadline = time.monotonic() + timeout_ms / 1000
    while time.monotonic() < deadline:
        if condition():
            return
        page.wait_for_timeout(250)
    shot(page, "timeout")
    what = what() if callable(what) else what
    raise AssertionError(f"timed out after {timeout_ms / 1000:.0f} s waiting for {what} "
                         f"(results/screenshots/timeout.png)")


def tables_seen(page) -> str:
    """What the page's tables show, for a failure message: per Tabulator, its classes, size,
    rows in the DOM and visible, and its first row's text."""
    seen = page.evaluate("""() => {
      const found = [];
      const walk = root => root.querySelectorAll('*').forEach(el => {
        if (el.classList && el.classList.contains('tabulator')) {
          const box = el.getBoundingClientRect();
          const rows = [...el.querySelectorAll('.tabulator-row')];
          const shown = rows.filter(r => r.getBoundingClientRect().height > 0);
          const host = el.getRootNode().host;
          found.push({classes: host ? host.className : '', width: box.width,
                      height: box.height, rows: rows.length, visible_rows: shown.length,
                      first: shown.length ? shown[0].innerText.slice(0, 80) : ''});
        }
        if (el.shadowRoot) walk(el.shadowRoot);
      });
      walk(document);
      return found;
    }""")
    status = page.get_by_text(re.compile(r"done in|…")).all_inner_texts()
    return f"rows in the SAE feature browser; tables on the page: {seen}; status: {status}"


def wait_for_map(page, timeout=MAP_TIMEOUT_MS):
    """The default corpus's 2-D map is on the page: the server reports every point drawn."""
    page.get_by_text("Exploring: wordnet").wait_for(timeout=timeout)
    drawn = page.get_by_text(re.compile(r"5,000 of 5,000 points drawn in")).first
    drawn.wait_for(timeout=timeout)
    wait_until(page, lambda: map_frame(page) is not None, 30_000, "the map's plot frame")


def query_markers(page) -> int:
    """How many query-neighbour markers the map's Bokeh document holds."""
    return page.evaluate("""() => {
      for (const model of Bokeh.documents[0].all_models) {
        const column = model.data && model.data["query_neighbour"];  // HoloViews's name
        if (column) return column.length;
      }
      return 0;
    }""")


def open_tab(page, name: str) -> None:
    page.locator(".bk-tab", has_text=name).first.click()
    time.sleep(0.5)


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def wait_for_status(page, status: str, timeout_ms: float) -> None:
    """Wait for the runner's status line to say ``status``; fail at once on an error alert."""
    deadline = time.monotonic() + timeout_ms / 1000
    target = page.get_by_text(status).first
    while time.monotonic() < deadline:
        if target.count() and target.is_visible():
            return
        alerts = [a.inner_text() for a in page.locator(".alert-danger").all() if a.is_visible()]
        if alerts:
            raise AssertionError(f"waiting for {status!r}, the page said: {alerts}")
        page.wait_for_timeout(500)
    shot(page, "timeout")
    shown = [m.inner_text() for m in page.get_by_text(re.compile(r"done in|…|waits for")).all()]
    raise AssertionError(f"timed out after {timeout_ms / 1000:.0f} s waiting for {status!r}; "
                         f"the page shows {shown} (results/screenshots/timeout.png)")


def expect_alert(page, words: str, timeout=30_000) -> None:
    """Wait for the error alert to say ``words``."""
    alert = page.locator(".alert-danger", has_text=words).first
    try:
        alert.wait_for(state="visible", timeout=timeout)
    except Exception:
        shown = [a.inner_text() for a in page.locator(".alert-danger").all()]
        raise AssertionError(f"no alert saying {words!r}; alerts: {shown}") from None


def test_map_selection_fills_the_table(page):
    open_tab(page, "Map")
    wait_for_status(page, "map: done", 120_000)  # the drawing job has finished
    shot(page, "map")
    frame = stable_map_frame(page)
    drag(page, [frame_point(frame, 0.3, 0.3), frame_point(frame, 0.6, 0.7)])  # box select
    page.get_by_text("points selected").wait_for(timeout=30_000)
    rows = page.locator(".tabulator-row:visible")
    wait_until(page, lambda: rows.count() > 0, 90_000, "rows in the selection table")
    assert re.search(r"\b(noun|verb|adj|adv)\.", rows.first.inner_text())  # a WordNet label
    note = page.get_by_text("points selected").inner_text()
    assert int(note.split()[0].replace(",", "")) > 0
    shot(page, "map_selection")


def test_text_query_highlights_neighbours(page):
    open_tab(page, "Map")
    query = page.locator("input[type=text]").last
    query.fill("a large wild cat with a mane")
    query.press("Enter")
    page.get_by_role("button", name="Find neighbours").click()
    page.get_by_text("Nearest texts to").wait_for(timeout=60_000)
    wait_until(page, lambda: query_markers(page) == 10, 60_000, "the query markers")
    assert page.locator(".tabulator-row:visible").count() >= 10
    shot(page, "map_query")


def test_geometry_view_with_progress(page):
    open_tab(page, "Geometry")
    page.get_by_role("button", name="Compute geometry report").click()
    page.locator("progress").first.wait_for(state="visible", timeout=10_000)
    page.get_by_text("isoscore").first.wait_for(timeout=180_000)
    assert page.get_by_text("Intrinsic dimension").first.is_visible()
    wait_until(page, lambda: len(plot_traces(page)) >= 2, 60_000, "the distributions")
    wait_for_status(page, "Intervals (half-sampling, 30 halves): done", 600_000)
    methods = page.get_by_text("95% CI: complementary half-samples")
    wait_until(page, lambda: methods.count() == 3, 60_000,  # 3 cards, re-drawn after "done"
               lambda: f"the interval methods; cells: {page.locator('.card td').all_inner_texts()}")
    assert page.get_by_text("an interval for the measure's mean over samples of n").count()
    cells = page.locator(".card td").all_inner_texts()  # CSS locators pierce shadow roots
    assert len(cells) >= 3 * 16, cells  # 16 measures, 3 columns
    assert "—" not in cells, cells  # every measure has its interval
    assert "intrinsic dimension, calibrated TwoNN" in cells, cells
    page.get_by_role("button", name="ID across scales").click()
    wait_for_status(page, "Intrinsic dimension across scales: done", 300_000)
    wait_until(page, lambda: ["Gride", "TwoNN, decimated"] in plot_traces(page), 60_000,
               lambda: f"the ID-across-scales curve; traces: {plot_traces(page)}")
    shot(page, "geometry")


def test_compare_view_tests_and_witness(page):
    open_tab(page, "Compare")
    page.get_by_role("button", name="Run two-sample tests").click()
    page.get_by_text("Texts that characterise each group").wait_for(timeout=600_000)
    for method in ("mmd", "energy", "depth", "classifier"):
        assert page.locator(".tabulator-cell", has_text=method).count() >= 1
    shot(page, "compare")
    open_tab(page, "Map")
    wait_until(page, lambda: page.get_by_text("MMD witness").count() > 0, 60_000,
               "the witness colouring")
    shot(page, "map_witness")


def test_concepts_view_train_browse_diff(page):
    open_tab(page, "Concepts")
    page.get_by_role("button", name="Train or load SAE").click()
    page.get_by_text("features active on this corpus").wait_for(timeout=900_000)
    # the feature browser's rows (other views' tables have rows too, some in hidden tabs)
    rows = page.locator(".sae-features .tabulator-row:visible")
    wait_until(page, lambda: rows.count() > 0, 60_000, lambda: tables_seen(page))
    rows.first.locator("[tabulator-field=label]").click()
    page.get_by_text("Top texts").wait_for(timeout=60_000)
    page.get_by_role("button", name="Diff the two groups").click()
    wait_for_status(page, "Dataset diff: done", 300_000)
    wait_until(page, lambda: len(plot_traces(page)) >= 2, 60_000,
               "the feature histogram and the diff figure")
    shot(page, "concepts")


def test_second_corpus_remaining_actions(server, browser):
    """Bible verses via the URL: hubness reduction, layer curves, drift over time (1769 vs
    2020) and a second model (mpnet), each finishing without an error."""
    page = browser.new_page(viewport={"width": 1500, "height": 1000})
    page.goto(server[0] + "?dataset=bible&n=600")
    page.get_by_text("Exploring: bible").wait_for(timeout=MAP_TIMEOUT_MS)
    open_tab(page, "Geometry")
    for button, status in (("Compare hubness reduction", "Hubness reduction: done"),
                           ("Layer-wise curves", "Layer-wise geometry: done")):
        page.get_by_role("button", name=button).click()
        wait_for_status(page, status, 600_000)
    wait_until(page, lambda: len(plot_traces(page)) >= 1, 60_000, "the layer curves")
    shot(page, "geometry_bible")
    open_tab(page, "Compare")
    for button, status in (("Drift over time", "Drift over time: done"),
                           ("Compare with another model", "comparing: done")):
        page.get_by_role("button", name=button).click()
        wait_for_status(page, status, 600_000)
    def metric_cells() -> list[str]:
        return page.locator(".tabulator-cell[tabulator-field=metric]").all_inner_texts()

    # Tabulator renders its rows after the job's status says done
    wait_until(page, lambda: "linear CKA" in metric_cells(), 60_000, "the comparison table")
    assert "debiased linear CKA" in metric_cells(), metric_cells()  # display names
    assert page.locator(".alert-danger").filter(has_text="failed").count() == 0
    shot(page, "compare_bible")
    page.close()


def test_every_view_renders(page):
    for name in [t.inner_text() for t in page.locator(".bk-tab").all()]:
        open_tab(page, name)
        shot(page, f"view_{name.lower()}")
    assert page.locator(".bk-tab").count() >= 4


def test_export_pdf(page, tmp_path):
    open_tab(page, "Export")
    with page.expect_download(timeout=120_000) as download:
        page.get_by_role("button", name="Download figure").click()
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    assert path.suffix == ".pdf"
    data = path.read_bytes()
    assert data.startswith(b"%PDF") and len(data) > 2_000
    with page.expect_download(timeout=60_000) as table:
        page.get_by_role("button", name="Download table").click()
    table_path = tmp_path / table.value.suggested_filename
    table.value.save_as(table_path)
    assert table_path.read_text().count("\n") > 1


def _upload(page, name: str, content: bytes, mime="text/csv"):
    open_tab(page, "Data")
    page.locator(".bk-tab", has_text="Upload").first.click()
    page.locator("input[type=file]").first.set_input_files(
        files=[{"name": name, "mimeType": mime, "buffer": content}])


def test_malformed_upload_is_reported(page):
    _upload(page, "broken.jsonl", b'{"text": "fine"}\n{not json\n', "application/json")
    expect_alert(page, "line 2")
    expect_alert(page, "broken.jsonl")
    shot(page, "error_malformed")


def test_missing_text_column_is_reported(page):
    _upload(page, "notext.csv", b"title,label\nhello,a\nworld,b\n")
    page.get_by_role("button", name="Embed uploaded file").click()
    expect_alert(page, "no 'text' column")
    expect_alert(page, "title, label")


def test_oversized_upload_is_refused(page):
    big = b"text\n" + b"an oversized upload line\n" * 60_000  # 1.5 MB > the 1 MB limit
    _upload(page, "big.csv", big)
    page.get_by_text("Maximum file size is 1 MB").first.wait_for(timeout=30_000)


def test_good_upload_embeds_and_maps(page, server):
    rows = "\n".join(f"sentence number {i} about {'cats' if i % 2 else 'ships'},"
                     f"{'animal' if i % 2 else 'vehicle'}" for i in range(60))
    _upload(page, "mine.csv", ("text,label\n" + rows).encode())
    page.get_by_role("button", name="Embed uploaded file").click()
    page.get_by_text("Exploring: mine.csv").wait_for(timeout=120_000)
    assert server[1].poll() is None  # the server kept serving through the errors


def _plot_types(page) -> list[str]:
    return [t for p in page.locator(".js-plotly-plot").all()
            for t in p.evaluate("p => (p.data || []).map(t => t.type || 'scatter')")]


def test_precomputed_embeddings_3d_map_and_lasso(page):
    """Precomputed vectors (.npy + a metadata CSV) reach the map; the 3-D map draws a
    scatter3d; back in 2-D a lasso selection fills the table."""
    import io

    import numpy as np

    rng = np.random.default_rng(0)
    vectors = np.vstack([rng.normal(4, 1, (60, 16)), rng.normal(-4, 1, (60, 16))])
    buffer = io.BytesIO()
    np.save(buffer, vectors.astype(np.float32))
    meta = "text,label\n" + "\n".join(f"point {i},{'left' if i < 60 else 'right'}"
                                      for i in range(120))
    open_tab(page, "Data")
    page.locator(".bk-tab", has_text="Precomputed").first.click()
    inputs = page.locator("input[type=file]")  # the upload's, the vectors', the table's
    inputs.nth(inputs.count() - 2).set_input_files(
        files=[{"name": "vectors.npy", "mimeType": "application/octet-stream",
                "buffer": buffer.getvalue()}])
    page.locator("input[type=file]").last.set_input_files(
        files=[{"name": "meta.csv", "mimeType": "text/csv", "buffer": meta.encode()}])
    page.get_by_role("button", name="Load embeddings").click()
    page.get_by_text("Exploring: vectors.npy").wait_for(timeout=120_000)

    open_tab(page, "Map")
    wait_for_status(page, "map: done", 120_000)
    dimensions = page.locator("select", has=page.locator("option", has_text=re.compile("^3$")))
    dimensions.select_option("3")
    wait_until(page, lambda: "scatter3d" in _plot_types(page), 120_000, "the 3-D map")
    shot(page, "map_3d")
    wait_until(page, lambda: map_frame(page) is None, 60_000, "the 2-D map to hide")
    dimensions.select_option("2")
    wait_until(page, lambda: map_frame(page) is not None, 120_000, "the 2-D map")
    wait_for_status(page, "map: done", 120_000)
    choose_map_tool(page, "Lasso Select")
    frame = stable_map_frame(page)
    drag(page, [frame_point(frame, fx, fy) for fx, fy in
                ((0.05, 0.05), (0.95, 0.05), (0.95, 0.95), (0.05, 0.95), (0.05, 0.06))])
    page.get_by_text("points selected").wait_for(timeout=30_000)
    selected = int(page.get_by_text("points selected").inner_text().split()[0].replace(",", ""))
    assert selected > 60  # the lasso covers nearly the whole plot area
    shot(page, "map_lasso")


def test_ten_concurrent_sessions(server, browser):
    """Ten sessions at once share the cached corpus (pn.cache): all get a map, no errors."""
    url, process, log = server
    before = rss_mb(process.pid)
    contexts = [browser.new_context(viewport={"width": 1200, "height": 800})
                for _ in range(10)]
    pages = [c.new_page() for c in contexts]
    started = time.perf_counter()
    for p in pages:
        p.goto(url, wait_until="commit")
    for p in pages:
        wait_for_map(p, timeout=180_000)
    elapsed = time.perf_counter() - started
    peak = rss_mb(process.pid)
    for c in contexts:
        c.close()
    print(f"10 sessions: all maps in {elapsed:.1f} s; server RSS {before:.0f} -> {peak:.0f} MB")
    assert elapsed < 180
    assert not server_errors(log.read_text())


def test_dev_sh_run_serves_the_explorer(tmp_path):
    """The README's main command (`./dev.sh run`) ends in a live explorer."""
    import os
    import signal
    import subprocess

    from app_server import _wait_until_up, free_port

    port = free_port()
    env = {**os.environ, "EMBVIZ_PORT": str(port), "EMBVIZ_NO_APT": "1"}
    with open(tmp_path / "run.log", "w") as log:
        process = subprocess.Popen(["bash", str(ROOT / "dev.sh"), "run"], cwd=ROOT, env=env,
                                   stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        try:
            _wait_until_up(f"http://127.0.0.1:{port}/explorer", process, timeout=300)
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)
