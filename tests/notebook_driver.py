"""Drive a notebook in a real JupyterLab with Playwright (Debian Chromium), offline.

``lab_server.jupyter_lab`` starts the server with ``--LabApp.expose_app_in_browser`` so
the page has ``window.jupyterapp``: cells are run through JupyterLab's own command registry
(``notebook:run-all-cells`` is what the menu "Run > Run All Cells" calls), and "finished" is
read from what the user sees (each cell's ``[n]:`` prompt) plus the kernel status.
"""

from __future__ import annotations

import re
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import nbformat

#: Hosts the page may load from; everything else is aborted and recorded.
LOCAL_HOSTS = {"127.0.0.1", "localhost"}


def write_notebook(root: Path, name: str, cells: list[str]) -> Path:
    """Write ``root/name`` (``.ipynb``) with one code cell per source string."""
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in cells]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                       "language": "python"}
    notebook.metadata["language_info"] = {"name": "python"}
    path = root / name
    nbformat.write(notebook, path)
    return path


#: Chromium flags that make any host but loopback unresolvable: a second fence behind
#: ``block_external`` (which sees what the page asks for; this also stops what it cannot see).
OFFLINE_ARGS = ["--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost"]


def block_external(page) -> list[str]:
    """Abort every request not to loopback; return the (live) list of what was blocked.

    WebSockets are not routed by Playwright: one to another host is recorded here too.
    """
    blocked: list[str] = []

    def websocket(ws):
        if urlsplit(ws.url).hostname not in LOCAL_HOSTS:
            blocked.append(ws.url)

    page.on("websocket", websocket)

    def handle(route):
        url = route.request.url
        parts = urlsplit(url)
        if parts.scheme in ("data", "blob") or parts.hostname in LOCAL_HOSTS:
            route.continue_()
        else:
            blocked.append(url)
            route.abort("internetdisconnected")

    page.route("**/*", handle)
    return blocked


def wait_until(page, condition, timeout_s: float, what, poll_ms: int = 250):
    """Poll ``condition()`` until truthy (returned); on timeout raise with ``what`` (a string,
    or a callable giving one, evaluated then: the state at the timeout, not at the start)."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            what = what() if callable(what) else what
            raise TimeoutError(f"timed out after {timeout_s:.0f} s waiting for {what}")
        page.wait_for_timeout(poll_ms)


class CellError(AssertionError):
    """A cell the driver ran raised: its error, not a timeout."""


_PROMPT = re.compile(r"^\[(\d+)\]:$")


class LabNotebook:
    """One notebook open in JupyterLab (a page), with its cells run via the command registry."""

    def __init__(self, page, url: str, token: str, name: str):
        self.page, self.url, self.token, self.name = page, url, token, name

    # -- opening -------------------------------------------------------------------------
    def open(self, timeout_s: float = 180) -> None:
        """Load the notebook and wait for its panel and an idle kernel.

        A fresh workspace each time (``/lab/workspaces/<new>/tree/NAME``): the default one
        would reopen every notebook an earlier page opened, in tabs behind this one.
        """
        workspace = f"test-{uuid.uuid4().hex[:12]}"
        self.page.goto(f"{self.url}/lab/workspaces/{workspace}/tree/{self.name}"
                       f"?token={self.token}",
                       wait_until="domcontentloaded", timeout=timeout_s * 1000)
        self.page.wait_for_function(
            """name => {
                const app = window.jupyterapp;
                const w = app && app.shell && app.shell.currentWidget;
                return !!(w && w.context && w.context.path.endsWith(name) && w.content
                          && w.content.widgets.length > 0);
            }""", arg=self.name, timeout=timeout_s * 1000, polling=250)
        self.wait_kernel_idle(timeout_s)

    def kernel_status(self) -> str | None:
        return self.page.evaluate(
            """() => {
                const w = window.jupyterapp.shell.currentWidget;
                const kernel = w && w.sessionContext.session && w.sessionContext.session.kernel;
                return kernel ? kernel.status : null;
            }""")

    def wait_kernel_idle(self, timeout_s: float = 120) -> None:
        wait_until(self.page, lambda: self.kernel_status() == "idle", timeout_s,
                   lambda: f"the kernel to be idle (status {self.kernel_status()!r})")

    # -- running -------------------------------------------------------------------------
    def command(self, name: str, args: dict | None = None) -> None:
        """Execute a JupyterLab command (what a menu item or shortcut does) in this notebook."""
        self.page.evaluate(
            """([name, args]) => {
                const app = window.jupyterapp;
                app.shell.activateById(app.shell.currentWidget.id);
                // not awaited: run commands resolve only when the cells finish
                app.commands.execute(name, args || {});
            }""", [name, args])

    def cell_count(self) -> int:
        return self.page.evaluate(
            "() => window.jupyterapp.shell.currentWidget.content.widgets.length")

    def prompt(self, index: int) -> str:
        """The cell's input prompt as shown: ``[ ]:`` not run, ``[*]:`` queued/running."""
        return self.page.evaluate(
            """i => {
                const cell = window.jupyterapp.shell.currentWidget.content.widgets[i];
                const p = cell.node.querySelector('.jp-InputPrompt');
                return p ? p.textContent.replace(/\\s/g, '') : '';
            }""", index)

    def execution_count(self, index: int) -> int | None:
        match = _PROMPT.match(self.prompt(index))
        return int(match.group(1)) if match else None

    def run_all(self, timeout_s: float = 180) -> list[int]:
        """Run > Run All Cells; wait until every cell has its ``[n]:`` and the kernel idles."""
        self.wait_kernel_idle(timeout_s)
        before = [self.execution_count(i) for i in range(self.cell_count())]
        self.command("notebook:run-all-cells")
        return self._wait_executed(range(self.cell_count()), before, timeout_s)

    def run_cell(self, index: int, timeout_s: float = 120) -> int:
        """Select cell ``index`` and run it (Ctrl+Enter); return its new execution count."""
        self.wait_kernel_idle(timeout_s)
        before = [self.execution_count(index)]
        self.activate(index)
        self.command("notebook:run-cell")
        return self._wait_executed([index], before, timeout_s)[0]

    def activate(self, index: int) -> None:
        """Make cell ``index`` the active cell (as a click on it would)."""
        self.page.evaluate(
            "i => { window.jupyterapp.shell.currentWidget.content.activeCellIndex = i; }",
            index)

    def _wait_executed(self, indices, before, timeout_s: float) -> list[int]:
        """Wait until each cell has a new ``[n]:`` and the kernel is idle. A cell that raised
        fails at once (JupyterLab stops a run there, so the cells after it never finish)."""
        indices = list(indices)

        def done():
            counts = [self.execution_count(i) for i in indices]
            ran = [i for i, c, b in zip(indices, counts, before) if c is not None and c != b]
            failed = [e for i in ran for e in self.cell_errors(i)]
            if failed:
                raise CellError("\n".join(failed))
            if len(ran) < len(indices):
                return None
            return counts if self.kernel_status() == "idle" else None

        return wait_until(self.page, done, timeout_s,
                          lambda: f"cells {indices} to finish (prompts "
                                  f"{[self.prompt(i) for i in indices]}, kernel "
                                  f"{self.kernel_status()})")

    def shutdown_kernel(self) -> None:
        """Shut this notebook's kernel down (the page may stay open)."""
        self.page.evaluate(
            "() => window.jupyterapp.shell.currentWidget.sessionContext.shutdown()")

    def plugins(self) -> list[str]:
        """Ids of the frontend plugins JupyterLab registered (``@scope/pkg:plugin``)."""
        return self.page.evaluate("() => window.jupyterapp.listPlugins()")

    # -- reading -------------------------------------------------------------------------
    def cell(self, index: int):
        """Locator of the cell's DOM node (``.jp-Cell``) in this notebook's panel."""
        panel_id = self.page.evaluate("() => window.jupyterapp.shell.currentWidget.id")
        return self.page.locator(f"[id='{panel_id}'] .jp-Notebook .jp-Cell").nth(index)

    def output_text(self, index: int) -> str:
        """The text of the cell's outputs as shown (stdout, results, errors)."""
        return self.page.evaluate(
            """i => {
                const cell = window.jupyterapp.shell.currentWidget.content.widgets[i];
                const area = cell.node.querySelector('.jp-OutputArea');
                return area ? area.innerText : '';
            }""", index)

    def output_json(self, index: int) -> list[dict]:
        """The cell's outputs as nbformat dicts (from the notebook model)."""
        return self.page.evaluate(
            """i => {
                const cell = window.jupyterapp.shell.currentWidget.content.widgets[i];
                return cell.model.outputs.toJSON();
            }""", index)

    def cell_errors(self, index: int) -> list[str]:
        """``cell i: ename: evalue`` and the traceback's last lines, for each error output."""
        found = []
        for out in self.output_json(index):
            if out.get("output_type") == "error":
                trace = _ANSI.sub("", "\n".join(out.get("traceback", [])))
                tail = "\n".join(trace.strip().splitlines()[-12:])
                found.append(f"cell {index}: {out.get('ename')}: {out.get('evalue')}\n{tail}")
        return found

    def errors(self) -> list[str]:
        """:meth:`cell_errors` of every cell."""
        return [e for i in range(self.cell_count()) for e in self.cell_errors(i)]


_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


#: JavaScript: the Bokeh plot that has a box-select tool (the largest, if several).
_SELECT_PLOT = """
    const plots = [...Bokeh.index.query(v => v.frame_view != null && v.model.toolbar != null
        && v.model.toolbar.tools.some(t => t.type === 'BoxSelectTool'))];
    const area = v => v.frame_view.bbox.width * v.frame_view.bbox.height;
    plots.sort((a, b) => area(b) - area(a));
    const pv = plots[0];
"""

#: JavaScript: that plot's frame in page CSS pixels and the data ranges it shows.
_PLOT_GEOMETRY = """() => {
    if (!window.Bokeh || !Bokeh.index) return null;
    %s
    if (pv == null) return null;
    const canvas = pv.canvas_view.el.getBoundingClientRect();
    const bbox = pv.frame_view.bbox;
    const xr = pv.model.x_range, yr = pv.model.y_range;
    if (canvas.width === 0 || bbox.width === 0) return null;
    return {left: canvas.left + bbox.left, top: canvas.top + bbox.top,
            width: bbox.width, height: bbox.height,
            x_start: xr.start, x_end: xr.end, y_start: yr.start, y_end: yr.end,
            n_plots: plots.length};
}""" % _SELECT_PLOT

#: JavaScript: record every final selection the plot emits (box/lasso/...), in data coordinates,
#: in ``window.__selections``. Wraps the model's ``trigger_event`` on the instance: no Bokeh
#: property changes, so nothing extra is synced to the kernel.
_WATCH_SELECTIONS = """() => {
    if (!window.Bokeh || !Bokeh.index) return false;
    %s
    if (pv == null) return false;
    window.__selections = window.__selections || [];
    const model = pv.model;
    if (!model.__watched) {
        const trigger = model.trigger_event.bind(model);
        model.trigger_event = event => {
            if (event.event_name === 'selectiongeometry' && event.final)
                window.__selections.push(JSON.parse(JSON.stringify(event.geometry)));
            return trigger(event);
        };
        model.__watched = true;
    }
    return true;
}""" % _SELECT_PLOT


def plot_geometry(page) -> dict | None:
    """Frame position (page pixels) and data ranges of the box-selectable Bokeh plot."""
    return page.evaluate(_PLOT_GEOMETRY)


def _same_geometry(a: dict | None, b: dict | None) -> bool:
    """Two geometries the same to a tenth of a pixel and a millionth of each data range (a
    range recomputed from the same data may differ in its last bits)."""
    if a is None or b is None or a.keys() != b.keys():
        return False
    if not all(isinstance(v, (int, float)) for v in [*a.values(), *b.values()]):
        return a == b
    span = {"x": abs(a["x_end"] - a["x_start"]) or 1.0, "y": abs(a["y_end"] - a["y_start"]) or 1.0}
    return all(abs(a[key] - b[key]) <= (1e-6 * span[key[0]] if key[:2] in ("x_", "y_") else 0.1)
               for key in a)


def stable_plot_geometry(page, timeout_s: float = 120) -> dict:
    """The plot geometry once it is there and has not moved for half a second."""
    seen = [None]

    def settled():
        current = plot_geometry(page)
        still = _same_geometry(current, seen[-1])
        seen.append(current)
        return current if still else None

    def state() -> str:
        plots = page.evaluate("() => window.Bokeh && Bokeh.index ? "
                              "[...Bokeh.index.query(v => v.frame_view != null)].length : null")
        return (f"the box-selectable Bokeh plot to settle (Bokeh plots with a frame: {plots}; "
                f"its last geometries: {seen[-2:]})")

    return wait_until(page, settled, timeout_s, state, poll_ms=500)


def watch_selections(page) -> None:
    """Start recording the final selection geometries the plot emits (``selections``)."""
    if not page.evaluate(_WATCH_SELECTIONS):
        raise AssertionError("no box-selectable Bokeh plot to watch")


def selections(page) -> list[dict]:
    """Final selection geometries recorded since ``watch_selections``: each a dict with
    ``type`` ("rect", "poly", ...) and data coordinates (``x0, y0, x1, y1`` for a box)."""
    return page.evaluate("() => window.__selections || []")


def pixel_to_data(geometry: dict, px: float, py: float) -> tuple[float, float]:
    """Page pixel -> data coordinates, linear axes (y grows upward in data, down on screen)."""
    g = geometry
    x = g["x_start"] + (px - g["left"]) / g["width"] * (g["x_end"] - g["x_start"])
    y = g["y_end"] - (py - g["top"]) / g["height"] * (g["y_end"] - g["y_start"])
    return x, y


def drag(page, start: tuple[float, float], end: tuple[float, float], steps: int = 12) -> None:
    """Press, move in steps, release: a box (or lasso) drag with the active select tool."""
    page.mouse.move(*start)
    page.mouse.down()
    page.mouse.move(*end, steps=steps)
    page.mouse.up()
