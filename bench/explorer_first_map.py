"""The explorer's map in headless Chromium (Playwright): time to the first map, re-render after a
zoom, selection to table, and server memory, at 5,000, 100,000 and 1,000,000 points.

Cases:

- the default corpus (5,000 WordNet glosses, minilm; cached embeddings, warm map cache), served
  by ``apps/explorer.py`` as users run it;
- ``tests/apps/synthetic_explorer.py`` (``embviz.explore`` over precomputed vectors: 50
  labelled clusters in 16-d, so no model time) at each size, warm map cache (one cold page
  first builds it and is reported too).

For each: page open -> first map (the server's "N of N points drawn" line), a wheel zoom ->
the re-aggregated view on the screen, a box selection -> the first row of its table, and the
server's RSS. The peer, measured in the same run and browser: plotly.js WebGL points
(``Scattergl``, what the explorer drew before, and what most notebook tools draw) from a
standalone HTML page, open -> first plot. Goals (issue 12): first map <= 5 s at 100k and
<= 10 s at 1M warm; a re-render <= 1 s at 1M; server RSS at 1M <= 4 GB.

    .venv/bin/python bench/explorer_first_map.py [--quick] [--repeats 3] [--sizes 5000 ...]
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from app_server import (  # noqa: E402
    chromium,
    drag,
    explorer_server,
    frame_point,
    map_frame,
    poll,
    rss_mb,
    stable_map_frame,
)

SYNTHETIC = ROOT / "tests" / "apps" / "synthetic_explorer.py"
GOALS = {"first_map_100k_s": 5.0, "first_map_1m_s": 10.0, "rerender_1m_s": 1.0,
         "rss_1m_mb": 4000.0}
_DRAWN = re.compile(r"([\d,]+) of ([\d,]+) points drawn in (the whole map|this view)")


def _drawn_text(page) -> str:
    located = page.get_by_text("points drawn in")
    return located.first.inner_text() if located.count() else ""


def time_first_map(browser, url: str, n: int, timeout_s: float = 900):
    """(seconds from page open to the whole map drawn, the open page)."""
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    started = time.perf_counter()
    page.goto(url, wait_until="commit")
    done = f"{n:,} of {n:,} points drawn"
    poll(lambda: done in _drawn_text(page) and map_frame(page), timeout_s, "first map")
    return time.perf_counter() - started, page


def time_rerender(page, timeout_s: float = 120) -> float:
    """A wheel zoom in the middle of the map -> the server's line for the new view."""
    frame = stable_map_frame(page)
    before = _drawn_text(page)
    page.mouse.move(*frame_point(frame, 0.5, 0.5))
    started = time.perf_counter()
    page.mouse.wheel(0, -300)
    poll(lambda: _drawn_text(page) != before and "this view" in _drawn_text(page), timeout_s,
          "re-render")
    return time.perf_counter() - started


def time_selection(page, timeout_s: float = 300) -> tuple[float, int]:
    """A box over the middle of the view -> the first row of the selected texts' table."""
    frame = stable_map_frame(page)
    started = time.perf_counter()
    drag(page, [frame_point(frame, 0.1, 0.1), frame_point(frame, 0.9, 0.9)])
    note = page.get_by_text("points selected").first
    poll(lambda: note.count(), timeout_s, "selection")
    selected = int(note.inner_text().split()[0].replace(",", ""))
    if selected:
        poll(lambda: page.locator(".tabulator-row").count(), timeout_s, "selection table")
    return time.perf_counter() - started, selected


def time_plotly_peer(browser, n: int, folder: Path, timeout_s: float = 300) -> float:
    """plotly.js Scattergl of n points (50 colours) from a standalone page: open -> drawn."""
    import numpy as np
    import plotly.graph_objects as go

    rng = np.random.default_rng(0)
    labels = rng.integers(0, 50, n)
    xy = rng.normal(size=(50, 2))[labels] * 5 + rng.normal(size=(n, 2))
    fig = go.Figure(go.Scattergl(x=xy[:, 0], y=xy[:, 1], mode="markers",
                                 marker=dict(size=3, color=labels, colorscale="Turbo")))
    path = folder / f"plotly_{n}.html"
    # plotly runs post_script once Plotly.newPlot has resolved: the points are drawn
    fig.write_html(path, include_plotlyjs=True, post_script="window.__drawn = true;")
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    started = time.perf_counter()
    page.goto(path.as_uri(), wait_until="commit")
    page.wait_for_function("() => window.__drawn === true", timeout=timeout_s * 1000)
    elapsed = time.perf_counter() - started
    page.close()
    return elapsed


def run_size(browser, n: int, repeats: int, folder: Path) -> dict:
    print(f"synthetic corpus, {n:,} points …", flush=True)
    with explorer_server(folder / f"server_{n}.log", env={"EMBVIZ_SYNTHETIC_N": str(n)},
                         app=SYNTHETIC, timeout=600) as (url, process):
        cold, page = time_first_map(browser, url, n)  # may build the map cache
        page.close()
        firsts, rerenders, selections = [], [], []
        for _ in range(repeats):
            first, page = time_first_map(browser, url, n)
            firsts.append(first)
            rerenders.append(statistics.median(time_rerender(page) for _ in range(3)))
            seconds, selected = time_selection(page)
            selections.append(seconds)
            page.close()
        rss = rss_mb(process.pid)
    return {"case": f"synthetic {n:,}", "n": n, "cold_s": cold,
            "first_map_s": statistics.median(firsts),
            "rerender_s": statistics.median(rerenders),
            "selection_s": statistics.median(selections), "selected": selected,
            "rss_mb": rss, "plotly_s": time_plotly_peer(browser, n, folder)}


def run_default(browser, repeats: int, folder: Path) -> dict:
    from embviz.exploration import load_exploration

    print("default corpus …", flush=True)
    load_exploration("wordnet", n=5000, progress=False)  # embeddings into the cache
    with explorer_server(folder / "server_default.log") as (url, process):
        cold, page = time_first_map(browser, url, 5000)
        page.close()
        firsts = []
        for _ in range(repeats):
            first, page = time_first_map(browser, url, 5000)
            firsts.append(first)
            page.close()
        rss = rss_mb(process.pid)
    return {"case": "default corpus", "n": 5000, "cold_s": cold,
            "first_map_s": statistics.median(firsts), "rerender_s": float("nan"),
            "selection_s": float("nan"), "selected": 0, "rss_mb": rss,
            "plotly_s": float("nan")}


def report(rows: list[dict]) -> None:
    print("\nexplorer map in headless Chromium (medians; warm = the map cache holds the layout)")
    print(f"{'case':>20} {'first map':>10} {'plotly':>8} {'plotly/ours':>11} {'re-render':>10} "
          f"{'select->table':>14} {'selected':>9} {'RSS':>8} {'cold':>7}")
    for r in rows:
        ratio = r["plotly_s"] / r["first_map_s"]
        print(f"{r['case']:>20} {r['first_map_s']:>9.2f}s {r['plotly_s']:>7.2f}s {ratio:>11.2f} "
              f"{r['rerender_s']:>9.2f}s {r['selection_s']:>13.2f}s {r['selected']:>9,} "
              f"{r['rss_mb']:>6.0f}MB {r['cold_s']:>6.1f}s")
    by_n = {r["n"]: r for r in rows if r["case"].startswith("synthetic")}
    checks = []
    if 100_000 in by_n:
        checks.append(("first map at 100k", by_n[100_000]["first_map_s"],
                       GOALS["first_map_100k_s"], "s"))
    if 1_000_000 in by_n:
        big = by_n[1_000_000]
        checks += [("first map at 1M", big["first_map_s"], GOALS["first_map_1m_s"], "s"),
                   ("re-render at 1M", big["rerender_s"], GOALS["rerender_1m_s"], "s"),
                   ("server RSS at 1M", big["rss_mb"], GOALS["rss_1m_mb"], "MB")]
    for name, value, goal, unit in checks:
        verdict = "meets" if value <= goal else "MISSES"
        print(f"goal {name} <= {goal:g} {unit}: {value:.2f} {unit} ({verdict}; "
              f"goal/measured {goal / value:.2f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5,000 and 100,000 points, once")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--sizes", type=int, nargs="+", default=[5000, 100_000, 1_000_000])
    args = parser.parse_args()
    sizes = [5000, 100_000] if args.quick else args.sizes
    repeats = 1 if args.quick else args.repeats
    with tempfile.TemporaryDirectory() as tmp, chromium() as browser:
        rows = [run_default(browser, repeats, Path(tmp))]
        rows += [run_size(browser, n, repeats, Path(tmp)) for n in sizes]
    report(rows)


if __name__ == "__main__":
    main()
