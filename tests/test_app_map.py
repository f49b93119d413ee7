"""The map at 1,000,000 points in a real browser (Playwright + Debian Chromium, loopback): every
point aggregated, a lasso's exact rows, hover text, zoom re-rendering, the selection as a table.

The server runs ``tests/apps/synthetic_explorer.py``: ``embviz.explore`` over 1,000,000
precomputed 16-d vectors in 50 labelled clusters (no model time; the map is PCA, the default
above 200,000 points). Expected values are computed here, in Python, from the same data.
"""

from __future__ import annotations

import importlib.util
import re
import time
from pathlib import Path

import numpy as np
import pytest
from app_server import (
    CHROMIUM,
    ROOT,
    checked_explorer,
    choose_map_tool,
    chromium,
    data_point,
    drag,
    frame_point,
    map_frame,
    poll,
    rss_mb,
    stable_map_frame,
)

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs /usr/bin/chromium")]

N = 1_000_000
APP = ROOT / "tests" / "apps" / "synthetic_explorer.py"
SHOTS = ROOT / "results" / "screenshots"
RSS_LIMIT_MB = 4000  # issue 12: server RSS at 1M <= 4 GB


def _synthetic_module():
    spec = importlib.util.spec_from_file_location("synthetic_explorer", APP)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def corpus():
    """The same data and PCA map as the server's (both deterministic)."""
    from embviz.exploration import Exploration

    data = _synthetic_module().synthetic_set(N)
    return data, Exploration(data, progress=False, map_cache=False).coords("pca", 2)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with checked_explorer(tmp_path_factory, env={"EMBVIZ_SYNTHETIC_N": str(N)}, app=APP,
                          timeout=300) as running:
        yield running


@pytest.fixture(scope="module")
def page(server):
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1500, "height": 1000})
        page.goto(server[0])
        yield page


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def drawn(page) -> tuple[int, int]:
    """(points aggregated in the view, points in the corpus), as the server reports them."""
    text = page.get_by_text("points drawn in").first.inner_text()
    shown, total = re.match(r"([\d,]+) of ([\d,]+) points", text).groups()
    return int(shown.replace(",", "")), int(total.replace(",", ""))


def wait_for(condition, timeout_s: float, what: str, page=None):
    """:func:`poll` every 0.25 s, failing with an assertion (and a screenshot of ``page``)."""
    try:
        return poll(condition, timeout_s, what, interval_s=0.25)
    except TimeoutError as err:
        if page is not None:
            shot(page, "map_1m_timeout")
        raise AssertionError(str(err)) from None


def test_every_point_is_drawn(page, server):
    page.get_by_text("points drawn in").first.wait_for(timeout=180_000)
    assert drawn(page) == (N, N)  # what the server aggregated (the whole map), not a title
    assert wait_for(lambda: map_frame(page), 60, "the map's plot frame", page)
    rss = rss_mb(server[1].pid)
    print(f"server RSS with 1,000,000 points on the map: {rss:,.0f} MB")
    assert rss < RSS_LIMIT_MB
    shot(page, "map_1m")


def test_lasso_selects_the_exact_rows(page, corpus):
    from embviz.viz.datamap import rows_in_polygon

    data, coords = corpus
    frame = stable_map_frame(page)
    choose_map_tool(page, "Lasso Select")
    pixels = [frame_point(frame, fx, fy) for fx, fy in
              ((0.3, 0.2), (0.7, 0.25), (0.65, 0.8), (0.35, 0.7), (0.3, 0.21))]
    drag(page, pixels)
    note = page.get_by_text("points selected").first
    note.wait_for(timeout=60_000)
    polygon = np.array([data_point(frame, *p) for p in pixels])
    expected = rows_in_polygon(coords, polygon[:, 0], polygon[:, 1])
    got = int(note.inner_text().split()[0].replace(",", ""))
    assert got == len(expected) > 10_000
    rows = page.locator(".tabulator-row:visible")
    wait_for(lambda: rows.count() > 0, 60, "the selected texts", page)
    first = rows.first.inner_text()
    assert data.meta["id"].iloc[expected[0]] in first  # the corpus's own id, first row first
    shot(page, "map_1m_lasso")


def test_hover_shows_the_text_under_the_cursor(page, corpus):
    data, coords = corpus
    frame = stable_map_frame(page)
    (x0, x1), (y0, y1) = frame["x"], frame["y"]
    pixel = np.array([(x1 - x0) / frame["width"], (y1 - y0) / frame["height"]])
    tooltip = page.locator(".bk-tooltip-content").first

    def point_under(x, y):
        """The tooltip's point, once it is one within 2 pixels of (x, y): the server answers
        the positions of the mouse's way there one after another."""
        if not (tooltip.count() and tooltip.is_visible()):
            return None
        found = re.search(r"point (\d+) of (topic \d+)", tooltip.inner_text())
        near = found and (np.abs(coords[int(found.group(1))] - (x, y)) <= 2 * pixel).all()
        return found if near else None

    for x, y in coords[[0, 1, 2]]:  # points in dense clusters
        px = float(frame["left"] + (x - x0) / (x1 - x0) * frame["width"])
        py = float(frame["top"] + (y1 - y) / (y1 - y0) * frame["height"])
        page.mouse.move(px - 4, py)
        page.mouse.move(px, py, steps=4)
        try:
            found = wait_for(lambda: point_under(x, y), 10, "a tooltip of the point")
            break
        except AssertionError:
            continue
    else:
        shot(page, "map_1m_timeout")
        raise AssertionError("no hover tooltip of the point under the cursor, at three points")
    row, label = int(found.group(1)), found.group(2)
    assert data.meta["text"].iloc[row] == found.group(0)
    assert label == data.meta["label"].iloc[row]
    assert f"label: {label}" in " ".join(tooltip.inner_text().split())
    shot(page, "map_1m_hover")


def test_zoom_re_renders_what_the_view_holds(page, corpus):
    _, coords = corpus
    before = map_frame(page)
    page.mouse.move(*frame_point(before, 0.5, 0.5))
    for _ in range(4):  # wheel zoom is active from the start
        page.mouse.wheel(0, -400)
        time.sleep(0.3)
    frame = wait_for(lambda: (f := map_frame(page)) and f["x"] != before["x"] and f, 30,
                     "the zoom", page)

    def settled():
        shown, _ = drawn(page)
        (x0, x1), (y0, y1) = map_frame(page)["x"], map_frame(page)["y"]
        inside = ((coords[:, 0] >= x0) & (coords[:, 0] <= x1)
                  & (coords[:, 1] >= y0) & (coords[:, 1] <= y1)).sum()
        return shown < N and abs(shown - inside) <= 0.001 * inside and (shown, inside)

    shown, inside = wait_for(settled, 60, "a re-render of the zoomed view", page)
    assert "this view" in page.get_by_text("points drawn in").first.inner_text()
    assert frame["x"][1] - frame["x"][0] < before["x"][1] - before["x"][0]
    shot(page, "map_1m_zoom")
