"""Start ``panel serve apps/explorer.py`` on a free loopback port, for browser tests and benches."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update"]


@contextlib.contextmanager
def chromium(extra_args=()):
    """Debian's Chromium driven by Playwright (never a downloaded browser), closed on exit."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM,
                                             args=[*BROWSER_ARGS, *extra_args])
        try:
            yield browser
        finally:
            browser.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def explorer_server(log_path: Path, env: dict | None = None, timeout: float = 120,
                    app: Path = ROOT / "apps" / "explorer.py"):
    """Yield ``(url, process)`` of a running explorer (``app``, default the one users run);
    the server log goes to ``log_path``."""
    port = free_port()
    panel = Path(sys.executable).with_name("panel")
    command = [str(panel), "serve", str(app), "--port", str(port),
               "--address", "127.0.0.1", f"--allow-websocket-origin=127.0.0.1:{port}",
               "--num-procs", "1"]
    environment = {**os.environ, "HF_HUB_OFFLINE": "1", **(env or {})}
    with open(log_path, "w") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT,
                                   env=environment, cwd=ROOT)
        url = f"http://127.0.0.1:{port}/{Path(app).stem}"
        try:
            _wait_until_up(url, process, timeout)
            yield url, process
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


@contextlib.contextmanager
def checked_explorer(tmp_path_factory, **kwargs):
    """:func:`explorer_server` for a test module: yields ``(url, process, log_path)`` and, when
    it stops, fails if the server logged an error (a traceback) while the tests ran."""
    log = tmp_path_factory.mktemp("server") / "panel.log"
    with explorer_server(log, **kwargs) as (url, process):
        yield url, process, log
    errors = server_errors(log.read_text())
    assert not errors, "\n\n".join(errors)[-3000:]


def _wait_until_up(url: str, process, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"panel serve exited with code {process.returncode}")
        with contextlib.suppress(OSError):  # a busy machine takes seconds to build a page:
            # a request that gave up would leave the server building it and ask again
            with urllib.request.urlopen(url, timeout=max(5, deadline - time.monotonic())
                                        ) as response:
                if response.status == 200:
                    return
        time.sleep(0.5)
    raise TimeoutError(f"{url} did not answer within {timeout} s")


def rss_mb(pid: int) -> float:
    """Resident memory of a process in MB (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


#: A browser that closes its page while the server is still writing to it: tornado logs these
#: as "Task exception was never retrieved"; they are not errors of the app.
_CLIENT_GONE = ("tornado.websocket.WebSocketClosedError", "tornado.iostream.StreamClosedError")


def server_errors(log_text: str) -> list[str]:
    """The tracebacks in a ``panel serve`` log, except those of a client that went away."""
    blocks: list[list[str]] = []
    for line in log_text.splitlines():
        if line.startswith("Traceback (most recent call last):"):
            blocks.append([line])
        elif blocks and _exception_line(blocks[-1]) is None:
            blocks[-1].append(line)
    return ["\n".join(block) for block in blocks
            if not (_exception_line(block) or "").startswith(_CLIENT_GONE)]


def _exception_line(block: list[str]) -> str | None:
    """The ``module.Error: message`` line that ends a traceback (first unindented line)."""
    return next((line for line in block[1:] if line and not line[0].isspace()), None)


# -- the 2-D map (Bokeh, drawn by Datashader) -------------------------------------------------
_FRAME_JS = """() => {
  const view = Bokeh.index.query_one(v => v.frame != null && v.model.x_range != null
                                        && v.el.isConnected && v.el.getClientRects().length);
  if (view == null) return null;
  const canvas = view.canvas_view.el.getBoundingClientRect();
  const box = view.frame.bbox;
  const {x_range, y_range} = view.model;
  return {left: canvas.left + box.left, top: canvas.top + box.top, width: box.width,
          height: box.height, x: [x_range.start, x_range.end], y: [y_range.start, y_range.end]};
}"""


def map_frame(page) -> dict | None:
    """The visible map's plot frame: page pixels (left, top, width, height) and data ranges
    (x, y), read from Bokeh's own plot view; ``None`` before the map is drawn."""
    return page.evaluate(_FRAME_JS)


_LABELS_JS = """() => {
  for (const model of Bokeh.documents[0].all_models) {
    const data = model.data;
    if (model.type === "ColumnDataSource" && data && data.name && data.x && data.name.length)
      return [...data.name].map((name, i) => ({name, x: data.x[i], y: data.y[i]}));
  }
  return [];
}"""


def region_labels(page) -> list[dict]:
    """The region names drawn on the map: ``name`` and its centre in page pixels
    (``left``, ``top``), from the names' data source and the plot frame."""
    frame = map_frame(page)
    if frame is None:
        return []
    (x0, x1), (y0, y1) = frame["x"], frame["y"]
    return [{"name": label["name"],
             "left": frame["left"] + (label["x"] - x0) / (x1 - x0) * frame["width"],
             "top": frame["top"] + (y1 - label["y"]) / (y1 - y0) * frame["height"]}
            for label in page.evaluate(_LABELS_JS)]


def poll(condition, timeout_s: float, what: str, interval_s: float = 0.05):
    """``condition()``'s first truthy value, polled every ``interval_s``; ``TimeoutError``
    naming ``what`` after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval_s)
    raise TimeoutError(f"no {what} after {timeout_s:.0f} s")


def stable_map_frame(page, timeout_s: float = 60) -> dict:
    """:func:`map_frame` once it has stayed the same for half a second (the plot has finished
    laying out and re-rendering), so a drag lands where it was aimed."""
    deadline = time.monotonic() + timeout_s
    last = None
    while time.monotonic() < deadline:
        frame = map_frame(page)
        if frame is not None and frame == last:
            return frame
        last = frame
        page.wait_for_timeout(500)
    raise TimeoutError(f"the map's frame did not settle within {timeout_s:.0f} s")


def frame_point(frame: dict, fx: float, fy: float) -> tuple[float, float]:
    """Page pixel of the point at fractions (fx, fy) of the frame (fy from the top)."""
    return frame["left"] + fx * frame["width"], frame["top"] + fy * frame["height"]


def data_point(frame: dict, px: float, py: float) -> tuple[float, float]:
    """Data coordinates under page pixel (px, py) (linear axes)."""
    (x0, x1), (y0, y1) = frame["x"], frame["y"]
    return (x0 + (px - frame["left"]) / frame["width"] * (x1 - x0),
            y1 - (py - frame["top"]) / frame["height"] * (y1 - y0))


def drag(page, pixels, steps: int = 6) -> None:
    """Press at the first page pixel, move through the others, release."""
    page.mouse.move(*pixels[0])
    page.mouse.down()
    for pixel in pixels[1:]:
        page.mouse.move(*pixel, steps=steps)
    page.mouse.up()


def choose_map_tool(page, title: str) -> None:
    """Activate a tool of the map's toolbar by its title, e.g. "Lasso Select"."""
    page.locator(f"div.bk-OnOffButton[title^='{title}']").first.click()
