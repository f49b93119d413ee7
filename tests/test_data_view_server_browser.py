"""The Data view's "On the server" tab in a real browser (Playwright + Debian Chromium against
``panel serve``): a Parquet file with a vector column and a LanceDB table, both written by the
test into ``$EMBVIZ_APP_DATA``, are loaded through the page and reach the summary and the map;
a Parquet file with ragged vectors gets an error in the page that names the file as listed,
never the server's folder. Screenshots go to ``results/screenshots/server_source_*.png``.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from app_server import CHROMIUM, checked_explorer, map_frame
from test_app import expect_alert, open_tab, shot, wait_for_status, wait_until

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs /usr/bin/chromium")]

N_DEFAULT = 60  # the bundled corpus the page opens on (kept small: it is embedded first)
N_PARQUET, N_LANCE, D = 300, 240, 16
FOLDER_NAME = "secret-server-folder"
#: The first map of a server (the model loads, numba compiles UMAP) on a busy 2-core machine.
MAP_TIMEOUT_MS = 600_000


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """$EMBVIZ_APP_DATA: two clusters of vectors in a Parquet file and in a LanceDB table, and
    a Parquet file whose vector column is ragged."""
    import lancedb

    folder = tmp_path_factory.mktemp("data") / FOLDER_NAME
    folder.mkdir()
    rng = np.random.default_rng(0)

    def clusters(n):
        side = np.repeat([1.0, -1.0], n // 2)[:, None]
        return (rng.normal(size=(n, D)) + 4 * side).astype(np.float32), \
            np.where(side[:, 0] > 0, "left", "right")

    vectors, labels = clusters(N_PARQUET)
    pq.write_table(pa.table({
        "text": [f"parquet text {i}" for i in range(N_PARQUET)], "label": labels,
        "embedding": pa.FixedSizeListArray.from_arrays(pa.array(vectors.ravel()), D)}),
        folder / "vectors.parquet")
    vectors, labels = clusters(N_LANCE)
    lancedb.connect(str(folder / "db")).create_table("docs", data=pd.DataFrame({
        "text": [f"lance text {i}" for i in range(N_LANCE)], "label": labels,
        "vector": list(vectors)}))
    ragged = [[0.5] * D, [0.5] * D, [0.5] * (D - 3)]
    pq.write_table(pa.table({"text": ["a", "b", "c"],
                             "embedding": pa.array(ragged, pa.list_(pa.float32()))}),
                   folder / "ragged.parquet")
    return folder


@pytest.fixture(scope="module")
def server(tmp_path_factory, folder):
    with checked_explorer(tmp_path_factory, env={"EMBVIZ_APP_DATA": str(folder)},
                          timeout=300) as running:
        yield running


@pytest.fixture(scope="module")
def page(server, browser):
    page = browser.new_page(viewport={"width": 1600, "height": 1000})
    page.goto(f"{server[0]}?n={N_DEFAULT}")
    page.get_by_text(re.compile(f"{N_DEFAULT} of {N_DEFAULT} points drawn in")).first.wait_for(
        timeout=MAP_TIMEOUT_MS)
    yield page
    page.close()


def load_server_source(page, name: str, which: str = "") -> None:
    """Choose ``name`` in the "On the server" tab (the LanceDB table ``which``), press Load."""
    open_tab(page, "Data")
    page.locator(".bk-tab", has_text="On the server").first.click()
    source = page.locator("select:has(option[value='db'])")  # only the sources list folders
    source.wait_for(state="visible", timeout=30_000)
    source.select_option(name)
    table = page.get_by_label("LanceDB table / Chroma collection / split")
    table.fill(which)
    table.press("Enter")  # a TextInput sends its value on Enter (or when it loses focus)
    page.get_by_role("button", name="Load vectors").click()


def summary_text(page, n: int) -> str:
    """The corpus summary's line, found by its bold "n texts"."""
    summary = page.get_by_text(f"{n:,} texts").first
    summary.wait_for(timeout=60_000)
    return summary.evaluate("e => e.closest('p, div').textContent")


def coloured_pixels(page) -> int:
    """Pixels of the map's plot frame in a saturated colour (the points; not the white
    background, grey grid or black text), from a screenshot of the frame."""
    from PIL import Image

    frame = map_frame(page)
    if frame is None:
        return 0
    png = page.screenshot(clip={"x": frame["left"], "y": frame["top"],
                                "width": frame["width"], "height": frame["height"]})
    rgb = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
    return int(((rgb.max(axis=2) - rgb.min(axis=2)) > 60).sum())


def wait_for_points(page, n: int) -> None:
    """The map says it drew all n points, and they are on the screen."""
    open_tab(page, "Map")
    page.get_by_text(re.compile(f"{n:,} of {n:,} points drawn in")).first.wait_for(
        timeout=180_000)
    wait_for_status(page, "map: done", 120_000)
    wait_until(page, lambda: coloured_pixels(page) > 50, 60_000, "the points on the map")


def test_parquet_vectors_reach_the_summary_and_the_map(page):
    load_server_source(page, "vectors.parquet")
    page.get_by_text(f"Exploring: vectors.parquet, n={N_PARQUET}").wait_for(timeout=120_000)
    summary = summary_text(page, N_PARQUET)
    assert f"d = {D}" in summary and "2 labels" in summary, summary
    assert "precomputed" in summary and "from parquet" in summary, summary
    shot(page, "server_source_parquet_summary")
    wait_for_points(page, N_PARQUET)
    shot(page, "server_source_parquet_map")


def test_lancedb_table_reaches_the_summary_and_the_map(page):
    load_server_source(page, "db", which="docs")
    page.get_by_text(f"Exploring: db, n={N_LANCE}").wait_for(timeout=120_000)
    summary = summary_text(page, N_LANCE)
    assert f"d = {D}" in summary and "from lancedb" in summary, summary
    wait_for_points(page, N_LANCE)
    shot(page, "server_source_lancedb_map")


def exploring(page) -> str:
    """The header line naming the corpus explored."""
    return page.get_by_text("Exploring:").first.evaluate(
        "e => e.closest('p, div').textContent")


def test_ragged_vectors_get_an_error_in_the_page(page, server):
    before = exploring(page)
    load_server_source(page, "ragged.parquet")
    expect_alert(page, "is ragged")
    shown = page.locator(".alert-danger", has_text="is ragged").first.evaluate(
        "e => (e.shadowRoot || e).textContent")  # with the pane's stylesheet: test substrings
    assert "Loading ragged.parquet failed" in shown, shown[:300]
    assert "'embedding' is ragged" in shown and "first row 2 with 13" in shown, shown[:300]
    assert FOLDER_NAME not in shown  # named as listed, never by the server's path
    shot(page, "server_source_ragged")
    assert server[1].poll() is None  # the server kept serving
    assert exploring(page) == before  # the corpus loaded before is still the one explored
