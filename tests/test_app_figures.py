"""What the researcher sees is what the paper gets, in a real browser (Playwright + Debian
Chromium against ``panel serve``): encodings chosen by the data with their colour bars,
human names in tables, warnings in the page, the export preview and the exported map read
back from the PDF, drift over time on the Bible's two editions, and the layout at two
window sizes. Screenshots go to ``results/screenshots/figures_*.png`` (look at them).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from app_server import (
    CHROMIUM,
    checked_explorer,
    frame_point,
    stable_map_frame,
)
from test_app import open_tab, shot, wait_for_status, wait_until

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs /usr/bin/chromium")]

MAP_TIMEOUT_MS = 240_000
N = 2000
#: The explorer's views and a text each shows once rendered.
VIEWS = {"Data": "Current corpus", "Map": "Selection mode", "Geometry":
         "Compute geometry report", "Concepts": "Sparse autoencoder", "Compare": "Two groups",
         "Duplicates & outliers": "Near duplicates", "Export": "Figures (paper style)"}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with checked_explorer(tmp_path_factory) as running:
        yield running


@pytest.fixture(scope="module")
def page(server, browser):
    page = browser.new_page(viewport={"width": 1600, "height": 1000}, accept_downloads=True)
    page.goto(f"{server[0]}?n={N}")
    page.get_by_text(re.compile(f"{N:,} of {N:,} points drawn in")).first.wait_for(
        timeout=MAP_TIMEOUT_MS)
    yield page
    page.close()


def choose_colour(page, label: str) -> None:
    select = page.locator("select").nth(2)  # method, dimensions, colour
    select.select_option(label=label)


def legend_text(page) -> str:
    """The text of the map's legend or colour bar (inside the pane's shadow root)."""
    return " ".join(legend.evaluate("e => (e.shadowRoot || e).textContent")
                    for legend in page.locator(".map-legend").all())


def test_heavy_tailed_counts_get_a_log_colour_bar(page):
    open_tab(page, "Map")
    choose_colour(page, "k-occurrence (k=10)")
    wait_until(page, lambda: "log scale" in legend_text(page), 120_000, "the log colour bar")
    assert "k-occurrence (k=10)" in legend_text(page)
    # hover shows the value the pixel's colour stands for, next to the point's own value
    frame = stable_map_frame(page)
    tooltip = page.locator(".bk-tooltip-content").first
    pattern = re.compile(r"k-occurrence \(k=10\): \d+ colour shows: [\d.]+ points here: [1-9]")

    def hovered() -> str:
        shown = " ".join(tooltip.inner_text().split()) if tooltip.count() else ""
        return shown if pattern.search(shown) else ""

    text = ""
    for row in (0.45, 0.6, 0.3):  # along a row of the map, 2 pixels a step
        for step in range(int(0.6 * frame["width"] / 2)):
            page.mouse.move(*frame_point(frame, 0.2 + 2 * step / frame["width"], row))
            page.wait_for_timeout(40)
            if tooltip.count() and tooltip.is_visible():  # over a point: wait for its fields
                for _ in range(10):
                    if text := hovered():
                        break
                    page.wait_for_timeout(200)
            if text:
                break
        if text:
            break
    else:
        shot(page, "timeout")
        raise AssertionError(f"no tooltip with the coloured value; last: "
                             f"{tooltip.inner_text() if tooltip.count() else None!r}")
    shot(page, "figures_k_occurrence")


def test_warnings_of_a_measure_are_shown_beside_the_map(page):
    open_tab(page, "Map")
    choose_colour(page, "local intrinsic dimension (TwoNN, k=128)")
    warning = page.locator(".alert-warning", has_text="local_intrinsic_dimension")
    warning.first.wait_for(timeout=300_000)
    text = warning.first.evaluate("e => (e.shadowRoot || e).textContent")
    assert re.search(r"excluded \d+ member point", text), text
    shot(page, "figures_local_id_warning")


def test_signed_witness_uses_a_diverging_scale_named_by_the_groups(page):
    open_tab(page, "Compare")
    page.get_by_role("button", name="Run two-sample tests").click()
    wait_for_status(page, "Two-sample tests: done", 600_000)
    titles = page.locator(".tabulator-col-title")
    wait_until(page, lambda: "p-value" in " ".join(titles.all_inner_texts()), 60_000,
               "the tests' table")  # Tabulator renders after the job has finished
    headers = " ".join(titles.all_inner_texts())
    assert "p-value" in headers and "p_value" not in headers, headers
    assert "n (adj.all)" in headers and "n (the rest)" in headers, headers
    cells = page.locator(".tabulator-cell[tabulator-field=p_value]").all_inner_texts()
    assert cells and all(c not in ("0", "0.0") for c in cells), cells
    shot(page, "figures_compare_tables")
    open_tab(page, "Map")
    wait_until(page, lambda: "more like adj.all" in legend_text(page), 120_000,
               "the witness colour bar")
    text = legend_text(page)
    assert "more like the rest" in text and "diverging scale centred at 0" in text, text
    page.wait_for_timeout(3000)  # the new colouring is on the plot, not only the legend
    shot(page, "figures_witness")


def test_export_preview_and_the_map_pdf_hold_the_legend(page, tmp_path):
    pypdf = pytest.importorskip("pypdf")
    open_tab(page, "Map")
    choose_colour(page, "label")
    wait_until(page, lambda: "noun.artifact" in legend_text(page), 120_000, "the label legend")
    entries = re.findall(r"((?:noun|verb|adj|adv)\.\w+) \(", legend_text(page))
    assert len(entries) >= 40
    open_tab(page, "Export")
    page.locator("select").first.select_option(label="map")
    page.get_by_role("button", name="Preview").click()
    page.get_by_text("as exported").wait_for(timeout=120_000)
    wait_until(page, lambda: page.locator("img[src^='data:image/png']").count() > 0, 60_000,
               "the preview image")
    shot(page, "figures_export_preview")
    with page.expect_download(timeout=120_000) as download:
        page.get_by_role("button", name="Download figure").click()
    path = tmp_path / "map.pdf"
    download.value.save_as(path)
    text = re.sub(r"\s+", "", " ".join(p.extract_text() for p in pypdf.PdfReader(path).pages))
    missing = [e for e in entries if e not in text]
    assert not missing, f"legend entries missing from the PDF: {missing}"


def test_alerts_dismiss_and_do_not_follow_to_another_view(page):
    open_tab(page, "Concepts")
    page.get_by_role("button", name="Colour the map by this feature").click()
    alert = page.locator(".alert-danger", has_text="Train an SAE first")
    alert.first.wait_for(timeout=30_000)
    open_tab(page, "Map")
    wait_until(page, lambda: not alert.first.is_visible(), 10_000, "the alert to close")
    open_tab(page, "Concepts")
    page.get_by_role("button", name="Colour the map by this feature").click()
    alert.first.wait_for(timeout=30_000)
    page.get_by_role("button", name="Dismiss").first.click()
    wait_until(page, lambda: not alert.first.is_visible(), 10_000, "the dismissed alert")


def test_drift_over_time_compares_the_two_editions(server, browser):
    page = browser.new_page(viewport={"width": 1600, "height": 1000})
    page.goto(server[0])  # WordNet: no time column, the button is disabled
    page.get_by_text("Exploring: wordnet").wait_for(timeout=MAP_TIMEOUT_MS)
    open_tab(page, "Compare")
    assert page.get_by_role("button", name="Drift over time").is_disabled()
    page.goto(server[0] + "?dataset=bible&n=600")
    page.get_by_text("Exploring: bible").wait_for(timeout=MAP_TIMEOUT_MS)
    open_tab(page, "Compare")
    page.get_by_role("button", name="Drift over time").click()
    wait_for_status(page, "Drift over time: done", 600_000)
    cells = page.locator(".tabulator-cell[tabulator-field=window]")
    wait_until(page, lambda: cells.count() >= 2, 60_000, "the windows' table")
    windows = cells.all_inner_texts()
    assert {"1769", "2020"} <= {w.replace(",", "") for w in windows}, windows
    p_values = page.locator(".tabulator-cell[tabulator-field=p_value]").all_inner_texts()
    assert any(p not in ("—", "") for p in p_values), p_values
    shot(page, "figures_drift_bible")
    page.close()


#: Buttons, dropdowns and inputs that stick out of the window or out of a box that hides its
#: overflow (a column narrower than its widgets), searched through Panel's shadow roots.
CLIPPED_CONTROLS_JS = """(width) => {
  const out = [];
  const parentOf = (el) => el.parentElement || (el.parentNode && el.parentNode.host) || null;
  const clipped = (el, r) => {
    if (r.right > width + 1 || r.left < -1) return true;
    for (let p = parentOf(el); p && p !== document.body; p = parentOf(p)) {
      if (getComputedStyle(p).overflowX === 'visible') continue;
      const q = p.getBoundingClientRect();
      if (r.right > q.right + 1 || r.left < q.left - 1) return true;
    }
    return false;
  };
  const visit = (root) => {
    for (const el of root.querySelectorAll('button, select, input')) {
      const r = el.getBoundingClientRect();
      if (r.width > 0 && r.height > 0 && clipped(el, r)) out.push(el.outerHTML.slice(0, 90));
    }
    for (const el of root.querySelectorAll('*')) if (el.shadowRoot) visit(el.shadowRoot);
  };
  visit(document);
  return out;
}"""


@pytest.mark.parametrize("size", [(1280, 800)])  # the narrower laptop screen
def test_controls_are_never_clipped_and_the_page_scrolls(server, browser, size):
    width, height = size
    page = browser.new_page(viewport={"width": width, "height": height})
    page.goto(f"{server[0]}?n={N}")
    page.get_by_text(re.compile(f"{N:,} of {N:,} points drawn in")).first.wait_for(
        timeout=MAP_TIMEOUT_MS)
    for name, marker in VIEWS.items():
        open_tab(page, name)
        page.get_by_text(marker).first.wait_for(timeout=60_000)  # the view has rendered
        page.wait_for_timeout(500)
        clipped = page.evaluate(CLIPPED_CONTROLS_JS, width)
        assert not clipped, f"{name} at {width}x{height}: {clipped[:3]}"
        shot(page, f"figures_layout_{width}_{name.lower()}")
    open_tab(page, "Map")  # the map, then the selection's tables: taller than the window
    page.get_by_text("Selected texts").first.wait_for(timeout=60_000)
    scrolled = page.evaluate("""() => {
      const page = document.scrollingElement;
      window.scrollTo(0, 400);
      return [page.scrollHeight, window.innerHeight, window.scrollY];
    }""")
    assert scrolled[0] > scrolled[1] and scrolled[2] > 0, f"the page does not scroll: {scrolled}"
    page.close()


def _download_pdf_text(page, tmp_path, name: str) -> str:
    pypdf = pytest.importorskip("pypdf")
    open_tab(page, "Export")
    page.locator("select").first.select_option(label="map")
    with page.expect_download(timeout=120_000) as download:
        page.get_by_role("button", name="Download figure").click()
    path = tmp_path / f"{name}.pdf"
    download.value.save_as(path)
    return " ".join(p.extract_text() for p in pypdf.PdfReader(path).pages)


def test_a_sparse_sae_feature_is_exported_with_the_screen_scale(page, tmp_path):
    """The SAE feature map: active points on top, and the PDF's colour bar carries the same
    tick labels as the colour bar on the screen."""
    open_tab(page, "Concepts")
    page.get_by_role("button", name="Train or load SAE").click()
    page.get_by_text("features active on this corpus").wait_for(timeout=900_000)
    page.locator(".tabulator-row .tabulator-cell[tabulator-field=label]:visible").first.click()
    page.get_by_text("Top texts").wait_for(timeout=60_000)
    page.get_by_role("button", name="Colour the map by this feature").click()
    open_tab(page, "Map")
    wait_until(page, lambda: "active points on top" in legend_text(page), 120_000,
               "the sparse colour bar")
    ticks = re.findall(r"– ([0-9.]+)", legend_text(page))
    assert len(ticks) >= 3, legend_text(page)
    page.wait_for_timeout(3000)  # the new colouring is on the plot, not only the legend
    shot(page, "figures_sae_feature")
    text = re.sub(r"\s+", "", _download_pdf_text(page, tmp_path, "sae_map"))
    missing = [t for t in ticks if t not in text]
    assert not missing, f"colour-bar labels {missing} of the screen are not in the PDF"
    assert "zero(" in text and "activepointsontop" in text


def test_query_markers_are_exported_only_while_shown(page, tmp_path):
    open_tab(page, "Map")
    query = page.locator("input[type=text]").last
    query.fill("a large wild cat with a mane")
    page.get_by_role("button", name="Find neighbours").click()
    page.get_by_text("Nearest texts to").wait_for(timeout=60_000)
    assert "queryneighbour" in re.sub(r"\s+", "", _download_pdf_text(page, tmp_path, "q1"))
    open_tab(page, "Map")
    page.get_by_role("button", name="Clear query markers").click()
    page.wait_for_timeout(1000)
    assert "queryneighbour" not in re.sub(r"\s+", "", _download_pdf_text(page, tmp_path, "q2"))
