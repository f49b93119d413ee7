"""Several pages opening the same cold corpus at once (issue 31, item 1): does every page get
its map?

``tests/apps/synthetic_explorer.py`` (``embviz.explore`` over precomputed 16-d vectors in 50
labelled clusters: no model time, the map is UMAP up to 200,000 points) under a fresh
``EMBVIZ_CACHE``, so every page's first map builds its kNN graph and layout. The pages are
opened at once in separate browser contexts; for each: seconds from opening to its whole map
drawn (the server's "N of N points drawn" line), or what its status line said when it gave up
(a cancelled job). Also the server's peak RSS.

    .venv/bin/python bench/explorer_cold_pages.py [--n 100000] [--pages 3] [--max-jobs 2]
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from app_server import chromium, explorer_server, rss_mb, server_errors  # noqa: E402

SYNTHETIC = ROOT / "tests" / "apps" / "synthetic_explorer.py"


def _status(page) -> str:
    shown = page.get_by_text(re.compile(r"cancelled|failed|done in|…")).all_inner_texts()
    return " | ".join(shown)[:300]


def cold_pages(browser, url: str, n: int, pages: int, pid: int, timeout_s: float) -> dict:
    contexts = [browser.new_context(viewport={"width": 1300, "height": 900})
                for _ in range(pages)]
    tabs = [context.new_page() for context in contexts]
    started = time.perf_counter()
    for tab in tabs:
        tab.goto(url, wait_until="commit")
    done = f"{n:,} of {n:,} points drawn"
    times: list[float | None] = [None] * pages
    peak = rss_mb(pid)
    deadline = started + timeout_s
    while time.perf_counter() < deadline and None in times:
        for i, tab in enumerate(tabs):
            if times[i] is None and tab.get_by_text(done).count():
                times[i] = time.perf_counter() - started
            elif times[i] is None and tab.get_by_text(re.compile(": cancelled")).count():
                times[i] = float("nan")  # gave up: the status line says so
        peak = max(peak, rss_mb(pid))
        time.sleep(0.5)
    statuses = [_status(tab) for tab in tabs]
    for context in contexts:
        context.close()
    return {"times": times, "statuses": statuses, "peak_rss_mb": peak}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--pages", type=int, default=3)
    parser.add_argument("--max-jobs", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=1200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, chromium() as browser:
        env = {"EMBVIZ_SYNTHETIC_N": str(args.n), "EMBVIZ_CACHE": str(Path(tmp) / "cache"),
               "EMBVIZ_MAX_JOBS": str(args.max_jobs)}
        log = Path(tmp) / "server.log"
        with explorer_server(log, env=env, app=SYNTHETIC, timeout=600) as (url, process):
            result = cold_pages(browser, url, args.n, args.pages, process.pid, args.timeout)
        errors = server_errors(log.read_text())
    drawn = [t for t in result["times"] if t is not None and t == t]
    print(f"{args.pages} pages at once, cold {args.n:,}-point corpus, "
          f"EMBVIZ_MAX_JOBS={args.max_jobs}: {len(drawn)}/{args.pages} maps drawn")
    for i, (seconds, status) in enumerate(zip(result["times"], result["statuses"])):
        shown = "no map" if seconds is None or seconds != seconds else f"map in {seconds:.1f} s"
        print(f"  page {i + 1}: {shown}; status: {status}")
    print(f"  peak server RSS {result['peak_rss_mb']:.0f} MB; tracebacks in the log: "
          f"{len(errors)}")
    for error in errors:
        print(error[-1500:])


if __name__ == "__main__":
    main()
