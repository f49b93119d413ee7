"""User data is text (STYLE rule 17): markup in an uploaded file never runs in the browser.

An uploaded CSV whose column names, group values, labels and texts carry HTML and Markdown
payloads, under a file name that carries them too, is shown in every place that prints such
values into a Markdown or Alert pane: the upload error alert, the Data view's summary, the
"Exploring: …" header, the Compare header and the Concepts view's top texts (and, for good
measure, the map's legend). In each place the payloads must run nothing
(``window.__xss`` stays undefined), fetch nothing (no request to the payload image's address)
and still be visible as the literal text typed. About a minute once the upload's embeddings
and the small SAE are cached; screenshots go to ``results/screenshots/injection_*.png``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pandas as pd
import pytest
from app_server import CHROMIUM, ROOT, checked_explorer, chromium
from test_app import (  # the browser-test helpers
    expect_alert,
    open_tab,
    shot,
    wait_for_status,
    wait_until,
)

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs /usr/bin/chromium")]

EVIL_URL = "http://127.0.0.1:9/evil.png"  # port 9 (discard): nothing answers, a fetch shows
PAYLOADS = ['<img src=x onerror="window.__xss=1">', "<script>window.__xss=2</script>",
            '<svg onload="window.__xss=3">', "[click](javascript:window.__xss=4)",
            f"![i]({EVIL_URL})"]
ALL = " ".join(PAYLOADS)
N_ROWS = 300  # an SAE trains on batches of 256 rows after a 10% hold-out


def _corpus_csv() -> bytes:
    """300 texts in two topics; every user-supplied string carries every payload."""
    topics = ["cats", "ships"]
    table = pd.DataFrame({
        "text": [f"text number {i} about {topics[i % 2]}: {ALL}" for i in range(N_ROWS)],
        "label": [f"label {topics[i % 2]} {ALL}" for i in range(N_ROWS)],
        "group": [f"group {'AB'[i % 2]} {ALL}" for i in range(N_ROWS)],
        **{payload: "x" for payload in PAYLOADS},  # payloads as column names
    })
    return table.to_csv(index=False).encode()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    # the server imports embviz from this checkout, not from wherever it is installed
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
    with checked_explorer(tmp_path_factory, env={"PYTHONPATH": path}) as (url, _, _log):
        yield url


@pytest.fixture(scope="module")
def page(server):
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1500, "height": 1000})
        page.requested = []
        page.on("request", lambda request: page.requested.append(request.url))
        page.goto(server + "?n=50")  # the smallest default corpus: the upload is the point
        page.get_by_text("Exploring: wordnet").wait_for(timeout=240_000)
        yield page


def _upload(page, name: str, content: bytes) -> None:
    open_tab(page, "Data")
    page.locator(".bk-tab", has_text="Upload").first.click()
    page.locator("input[type=file]").first.set_input_files(
        files=[{"name": name, "mimeType": "text/plain", "buffer": content}])


def _select(page, offered: str, value: str) -> None:
    """Choose ``value`` in the visible select that offers ``offered``."""
    option = page.locator("option", has_text=re.compile(f"^{offered}$"))
    page.locator("select", has=option).filter(visible=True).first.select_option(
        value, timeout=60_000)


def _selected(page) -> list[str]:
    """The chosen option of every visible select."""
    return page.locator("select").evaluate_all(
        "all => all.filter(s => s.checkVisibility() && s.selectedIndex >= 0)"
        "          .map(s => s.options[s.selectedIndex].text)")


def _shown_as_text(page, where: str, place) -> None:
    """Nothing ran or was fetched, and ``place`` (a locator) shows every payload as typed."""
    page.wait_for_timeout(1000)  # an injected <img> would have failed to load and fired by now
    ran = page.evaluate("() => window.__xss")
    page.evaluate("() => { delete window.__xss }")  # the next place starts clean
    fetched = [url for url in page.requested if url.startswith(EVIL_URL)]
    page.requested.clear()
    shot(page, f"injection_{where}")
    problems = [f"a payload ran (window.__xss = {ran})"] if ran is not None else []
    if fetched:
        problems.append(f"the page fetched the payload image {fetched}")
    place = place.filter(visible=True)
    shown = " ".join((place.first.text_content() or "").split()) if place.count() else ""
    missing = [p for p in PAYLOADS if p not in shown]
    if missing:
        problems.append(f"{missing} not shown as text; the page shows {shown!r}")
    assert not problems, f"{where} (results/screenshots/injection_{where}.png): {problems}"


def test_upload_error_names_the_file_as_text(page):
    _upload(page, ALL + ".jsonl", b'{"text": "fine"}\n{not json\n')
    expect_alert(page, "line 2")
    _shown_as_text(page, "error_alert", page.locator("p", has_text="Could not read"))


def test_data_summary_shows_column_names_as_text(page):
    _upload(page, ALL + ".csv", _corpus_csv())
    page.get_by_role("button", name="Embed uploaded file").click()
    page.get_by_text(f"{N_ROWS} texts").wait_for(timeout=180_000)
    _shown_as_text(page, "data_summary", page.locator("p", has_text="columns:"))


def test_header_shows_the_file_name_as_text(page):
    _shown_as_text(page, "header", page.locator("p", has_text="Exploring:"))


def test_map_shows_labels_as_text(page):
    open_tab(page, "Map")  # labels in the map's legend (an HTML pane beside the Bokeh plot)
    legend = page.locator("div[style*='nowrap']", has_text="label cats")
    wait_until(page, lambda: legend.count() > 0, 180_000, "the uploaded corpus's map")
    _shown_as_text(page, "map", legend)


def test_compare_header_shows_group_values_as_text(page):
    open_tab(page, "Compare")
    groups = {f"group A {ALL}", f"group B {ALL}"}  # the only two, so A and B are these
    wait_until(page, lambda: groups <= set(_selected(page)), 120_000, "the payload groups")
    page.get_by_role("button", name="Run two-sample tests").click()
    wait_for_status(page, "Two-sample tests: done", 300_000)
    _shown_as_text(page, "compare_header", page.locator("p", has_text="(n = "))
    # Tabulator sets column titles as innerHTML: the groups' names in "n (A)" are text
    _shown_as_text(page, "compare_table_titles",
                   page.locator(".tabulator-col-title", has_text="n (group A"))


def test_concepts_top_texts_are_text(page):
    open_tab(page, "Concepts")
    page.get_by_role("button", name="Train or load SAE").wait_for(timeout=120_000)
    _select(page, "2", "2")  # expansion 2 (the only select offering 2)
    _select(page, "32", "4")  # k = 4 (the only select offering 32)
    page.locator(".noUi-handle").filter(visible=True).first.press("Home")  # 50 steps
    page.get_by_text(re.compile(r"^Steps: 50$")).wait_for(timeout=10_000)
    page.get_by_role("button", name="Train or load SAE").click()
    wait_for_status(page, "Training the SAE: done", 300_000)
    features = page.locator(".tabulator-row .tabulator-cell[tabulator-field=label]:visible")
    first_feature = features.first
    first_feature.click(timeout=120_000)
    page.get_by_text("Top texts").wait_for(timeout=60_000)
    _shown_as_text(page, "top_texts",
                   page.locator("li, .tabulator-cell", has_text=re.compile(r"^text number")))
