"""User data is text: escape_markup makes any string literal inside Panel's Markdown and HTML."""

from __future__ import annotations

import html
import re
import string
from html.parser import HTMLParser

import pytest

pytest.importorskip("panel")

from embviz.app.text import escape_markup

PAYLOADS = ['<img src=x onerror="window.__xss=1">', "<script>window.__xss=2</script>",
            '<svg onload="window.__xss=3">', "[click](javascript:window.__xss=4)",
            "![i](http://127.0.0.1:9/evil.png)"]
MARKDOWN = ["**bold** _it_ ~~gone~~ `code`", "# heading", "- item", "1. 2. nested", "> quote",
            "| a | b |", "[^1]: footnote", "<http://example.org>", "www.example.org",
            "someone@example.org", ":smile: (c) -- ...", "- [ ] task", "a\\*b", "&amp; &lt;"]
MATH = ["$$\\href{javascript:window.__xss=5}{m}$$", "\\(x\\)", "\\[x\\]"]
NORMAL = ["my_col", "__init__", "naïve café — 日本語 😀", "group=A vs B", "0.5",
          "O'Brien", 'say "hi"', "C:\\data\\file.csv", "", "   "]


class _Page(HTMLParser):
    """What a browser shows of some HTML (its text), and the elements it would create."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.text, self.tags = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def _shown(markup: str, pane: str = "Markdown") -> _Page:
    """``markup`` rendered as Panel renders it (the HTML its frontend puts in the page; Panel's
    own ``_transform_object``, so the test follows its Markdown settings and plugins)."""
    import panel as pn

    widget = getattr(pn.pane, pane)(markup)
    page = _Page()
    page.feed(html.unescape(widget._transform_object(markup)["object"]))
    return page


@pytest.mark.parametrize("pane", ["Markdown", "HTML", "Alert"])
@pytest.mark.parametrize("value", PAYLOADS + MARKDOWN + MATH + NORMAL)
def test_user_strings_render_as_their_literal_text(value, pane):
    page = _shown(f"**Exploring:** {escape_markup(value)}", pane)
    prefix = "**Exploring:**" if pane == "HTML" else "Exploring:"  # HTML renders no Markdown
    assert "".join(page.text).strip() == f"{prefix} {' '.join(value.split())}".strip()
    created = {tag for tag, _ in page.tags}
    assert created <= {"p", "strong", "wbr"}, created  # only the markup around the value


@pytest.mark.parametrize("value", PAYLOADS + MARKDOWN)
def test_nothing_in_the_value_forms_markup(value):
    escaped = escape_markup(value)
    bare = re.sub(r"&(#[0-9]+|[a-z]+);|<wbr>", "", escaped)  # without references and <wbr>
    assert not set(bare) & set(string.punctuation), escaped
    page = _shown(f"1. {escaped}")  # even where a line or list item starts
    assert [tag for tag, _ in page.tags if tag != "wbr"] == ["ol", "li"]


@pytest.mark.parametrize("value", MATH)
def test_math_delimiters_are_broken_up(value):
    """MathJax looks for $$, \\( and \\[ in the rendered HTML; they must not pair up there."""
    import panel as pn

    widget = pn.pane.Markdown(escape_markup(value))
    rendered = html.unescape(widget._transform_object(widget.object)["object"])
    for delimiter in ("$$", "\\(", "\\)", "\\[", "\\]"):
        assert delimiter not in rendered, rendered


def test_line_breaks_cannot_start_blocks():
    assert escape_markup("a\n\n# b\r\n    c\td") == "a &#35; b c d"


def test_normal_strings_stay_readable():
    assert escape_markup("my_col") == "my&#95;col"
    assert escape_markup("naïve café — 日本語 😀") == "naïve café — 日本語 😀"
    assert escape_markup(42) == "42"
    assert escape_markup("Fortunes 2020") == "Fortunes 2020"


def test_plotly_titles_show_user_strings_as_text():
    """Plotly renders <b>, <a href>, <span style> in titles and legends: a time column or a
    feature label from the user's texts is escaped so the tags show as typed."""
    from embviz.app.text import escape_plotly

    for payload in PAYLOADS + ['<a href="http://127.0.0.1:9/">x</a>', "<b>bold</b> & co"]:
        shown = escape_plotly(payload)
        assert not re.search(r"<[a-zA-Z/]", shown), shown
        assert html.unescape(shown) == " ".join(payload.split())
