"""The map's regions in a real browser: names drawn at the level the zoom fits, a card opened
by clicking a name or a row of the Regions table or by describing a selection, the trust
layer and line, duplicates / outliers / leakage, and the names in the exported PDF.

One explorer serves the module (2,000 WordNet glosses, minilm, UMAP); screenshots go to
``results/screenshots/regions_*.png``."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from app_server import CHROMIUM, checked_explorer, frame_point, region_labels, stable_map_frame
from test_app import open_tab, shot, wait_until
from test_app_figures import _download_pdf_text, choose_colour, legend_text

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs /usr/bin/chromium")]

N = 2000
LEVELS = ("coarse", "medium", "fine")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with checked_explorer(tmp_path_factory) as running:
        yield running


@pytest.fixture(scope="module")
def page(server, browser):
    page = browser.new_page(viewport={"width": 1500, "height": 1100}, accept_downloads=True)
    page.goto(f"{server[0]}?n={N}")
    page.get_by_text("Regions named on the map").first.wait_for(timeout=300_000)
    yield page
    page.close()


def caption(page) -> str:
    return " ".join(page.locator(".region-caption").first.evaluate(
        "e => (e.shadowRoot || e).textContent").split())


def shown_level(page) -> int:
    found = re.search(r"\((coarse|medium|fine) level, (\d+) of (\d+)", caption(page))
    assert found, caption(page)
    return LEVELS.index(found.group(1))


_DEEP_TEXT = """e => { const parts = []; const walk = node => {
  for (const child of node.childNodes) {
    if (child.nodeType === Node.TEXT_NODE) parts.push(child.textContent);
    else if (child.nodeName !== 'STYLE') walk(child);
  }
  if (node.shadowRoot) walk(node.shadowRoot);
}; walk(e); return parts.join(' '); }"""


def card_text(page) -> str:
    """The card's text, through the shadow roots of its nested panes."""
    return " ".join(" ".join(e.evaluate(_DEEP_TEXT).split())
                    for e in page.locator(".region-card").all())


def _labels_on_screen(page) -> list[dict]:
    frame = stable_map_frame(page)
    return [label for label in region_labels(page)
            if frame["left"] <= label["left"] <= frame["left"] + frame["width"]
            and frame["top"] <= label["top"] <= frame["top"] + frame["height"]]


def test_names_on_the_map_follow_the_zoom(page):
    open_tab(page, "Map")
    labels = _labels_on_screen(page)
    text = caption(page)
    assert len(labels) >= 3, text
    for label in labels:  # the caption lists what the map draws
        assert label["name"] in text
    assert re.search(r"map trust \(k=10\): kNN recall 0\.\d\d, trustworthiness 0\.\d\d, "
                     r"continuity 0\.\d\d", text), text
    before = shown_level(page)
    shot(page, "regions_names")
    frame = stable_map_frame(page)
    page.mouse.move(*frame_point(frame, 0.5, 0.5))
    for _ in range(12):  # zoom in around the centre, a notch at a time
        page.mouse.wheel(0, -100)
        page.wait_for_timeout(1500)
        if shown_level(page) > before:
            break
    assert shown_level(page) > before, caption(page)
    assert _labels_on_screen(page), caption(page)  # names in the zoomed view too
    shot(page, "regions_names_zoomed")


def test_clicking_a_name_opens_its_card(page):
    open_tab(page, "Map")
    label = _labels_on_screen(page)[0]
    page.mouse.click(label["left"], label["top"])
    wait_until(page, lambda: "of the corpus). Different from the rest" in card_text(page),
               180_000, "the region's card")
    text = card_text(page)
    assert label["name"] in text
    assert re.search(r"MMD test p = [0-9.e<\- ]+", text), text
    for tab in ("Geometry", "Most central texts", "Most atypical texts", "Against the rest"):
        assert tab in text
    page.locator(".region-card .tabulator-cell[tabulator-field=value]").first.wait_for(
        timeout=60_000)
    shot(page, "regions_card")


def test_a_row_of_the_regions_table_opens_its_card(page):
    open_tab(page, "Map")
    page.locator(".bk-tab", has_text="Regions").last.click()
    cell = page.locator(".tabulator-row .tabulator-cell[tabulator-field=name]").first
    cell.wait_for(timeout=60_000)
    name = cell.inner_text().strip()
    cell.click()
    wait_until(page, lambda: f"{name} " in card_text(page) and "points" in card_text(page),
               180_000, f"the card of {name!r}")


def test_describe_the_selection_opens_a_card(page):
    open_tab(page, "Map")
    frame = stable_map_frame(page)
    page.mouse.move(*frame_point(frame, 0.3, 0.3))
    page.mouse.down()
    page.mouse.move(*frame_point(frame, 0.7, 0.7), steps=8)
    page.mouse.up()
    page.get_by_text(re.compile(r"points selected")).first.wait_for(timeout=60_000)
    page.get_by_role("button", name="Describe the selection").click()
    wait_until(page, lambda: "the selection (" in card_text(page), 180_000,
               "the selection's card")


def test_the_trust_layer_colours_the_map(page):
    open_tab(page, "Map")
    choose_colour(page, "map trust: kNN recall (k=10)")
    wait_until(page, lambda: "map trust: kNN recall on the UMAP map" in legend_text(page),
               120_000, "the trust colour bar")
    assert "values)" not in legend_text(page)  # a colour bar, not 11 categories
    page.wait_for_timeout(2000)
    shot(page, "regions_trust_layer")
    choose_colour(page, "label")


def test_the_exported_map_names_the_regions_shown(page, tmp_path):
    open_tab(page, "Map")
    names = {label["name"] for label in _labels_on_screen(page)}
    text = re.sub(r"\s+", "", _download_pdf_text(page, tmp_path, "named_map"))
    found = {name for name in names if re.sub(r"\s+", "", name) in text}
    # names are placed again for the paper's 3.5 in; the largest always fit
    assert len(found) >= min(3, len(names)), (names, text[:500])


def test_duplicates_outliers_and_leakage(page):
    open_tab(page, "Duplicates & outliers")
    page.get_by_role("button", name="Find duplicates").click()
    page.get_by_text(re.compile(r"groups?\s+of near duplicates")).first.wait_for(
        timeout=120_000)
    page.get_by_role("button", name="Score outliers").click()
    page.get_by_text(re.compile(r"points flagged")).first.wait_for(timeout=120_000)
    page.get_by_role("button", name="Find leakage of B into A").click()
    page.get_by_text(re.compile(r"have a near copy")).first.wait_for(timeout=120_000)
    shot(page, "regions_duplicates_outliers")
    open_tab(page, "Map")
    choose_colour(page, "local outlier factor (k=10)")
    wait_until(page, lambda: "local outlier factor" in legend_text(page), 120_000,
               "the LOF colour bar")
