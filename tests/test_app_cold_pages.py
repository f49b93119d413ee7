"""Pages that connect late still get their map (issue 31, item 1), in a real browser.

Three pages opening a cold 100,000-point corpus at once drew no map: Bokeh starts a session's
"last unsubscribe" clock when it serves the page's HTML, so a page whose websocket had not
connected 3 s later (a busy server, scripts still loading) was judged gone and its map job
cancelled. Here ``tests/apps/synthetic_explorer.py`` (``embviz.explore``: the map job starts
when the session is made, before the page connects) serves a cold corpus (a fresh
``EMBVIZ_CACHE``) of :data:`N` points to three pages opened at once, each with a network
latency that makes its websocket connect seconds after its HTML was served. Every page must
get its whole map. (The full scenario, 3 pages x 100,000 points, is
``bench/explorer_cold_pages.py``: minutes on two cores.)
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from app_server import CHROMIUM, ROOT, checked_explorer, rss_mb

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs /usr/bin/chromium")]

N = 30_000
PAGES = 3
#: Added to every request of the pages (Chromium's network emulation): the HTML, then the
#: scripts, then the websocket's handshake each wait this long, so a page connects about
#: three latencies after its session was made, well past the 3 s after which an unconnected
#: page used to be judged gone (and well before Bokeh's own 15 s for unused sessions).
LATENCY_MS = 2_500
#: Server RSS bound while the three pages build their maps (measured 1,075-1,077 MB peak;
#: maps in 52-54 s on a quiet 2-core machine, ~550 s under a load average of 15-30).
RSS_BOUND_MB = 2_500
APP = ROOT / "tests" / "apps" / "synthetic_explorer.py"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    cache = tmp_path_factory.mktemp("cold_cache")
    env = {"EMBVIZ_SYNTHETIC_N": str(N), "EMBVIZ_CACHE": str(cache), "EMBVIZ_MAX_JOBS": "2",
           "PYTHONPATH": str(ROOT)}
    with checked_explorer(tmp_path_factory, env=env, app=APP, timeout=300) as running:
        yield running


def _slow_page(browser):
    context = browser.new_context(viewport={"width": 1300, "height": 900})
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", {
        "offline": False, "latency": LATENCY_MS, "downloadThroughput": -1,
        "uploadThroughput": -1})
    return context, page


def test_pages_that_connect_late_get_their_maps(server, browser):
    url, process, log = server
    opened = [_slow_page(browser) for _ in range(PAGES)]
    started = time.perf_counter()
    for _context, page in opened:
        page.goto(url, wait_until="commit", timeout=120_000)
    done = f"{N:,} of {N:,} points drawn"
    times: list[float | None] = [None] * PAGES
    peak = rss_mb(process.pid)
    deadline = started + 1_800  # generous: the verdict is maps or "cancelled", never a time
    while None in times and time.perf_counter() < deadline:
        for i, (_context, page) in enumerate(opened):
            if times[i] is None and page.get_by_text(done).count():
                times[i] = time.perf_counter() - started
            cancelled = page.get_by_text(re.compile(r": cancelled")).count()
            assert not cancelled, f"page {i + 1}'s job was cancelled; the page is open"
        peak = max(peak, rss_mb(process.pid))
        time.sleep(1)
    for context, _page in opened:
        context.close()
    print(f"{PAGES} late-connecting pages, cold {N:,}-point corpus: maps in "
          f"{', '.join(f'{t:.0f} s' for t in times if t is not None)}; peak server RSS "
          f"{peak:.0f} MB (bound {RSS_BOUND_MB} MB)")
    assert None not in times, f"maps drawn: {sum(t is not None for t in times)}/{PAGES}"
    assert peak < RSS_BOUND_MB
    connected = log.read_text().count("WebSocket connection opened")
    assert connected >= PAGES
