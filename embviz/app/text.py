"""User data as text: the one rule for putting a column name, group value, label, text, file
name or error message into a Panel ``Markdown`` / ``HTML`` / ``Alert`` pane.

Those panes render markup, so a column named ``<img src=x onerror=...>`` would run in the
analyst's browser and one named ``![](http://host/x.png)`` would fetch from that host. Build
display strings as ``f"**Exploring:** {escape_markup(name)}"``: the markup around the
placeholder is ours, what goes in it is shown as typed. Where a whole block is user data,
prefer a widget that renders text (a Tabulator cell, ``pn.pane.Str``).
"""

from __future__ import annotations

import html
import string

__all__ = ["escape_markup", "escape_plotly"]

#: Every ASCII punctuation character becomes a character reference: ``html.escape`` for the
#: five that HTML needs (& < > " '), ``&#N;`` for the rest, which Markdown treats as literal
#: text (CommonMark: a character reference never forms syntax), so no link, image, emphasis,
#: table, list, heading, emoji shortcode, autolink or typographic replacement can form.
#: Math delimiters (``$$``, ``\\(``, ``\\[``) are found by MathJax in the rendered HTML,
#: after Markdown has turned references back into characters; an empty ``<wbr>`` after each
#: ``$`` and ``\\`` keeps them from pairing up while the text reads the same.
_REFERENCES = {ord(c): f"&#{ord(c)};" for c in string.punctuation}
_REFERENCES.update({ord(c): html.escape(c, quote=True) for c in "&<>\"'"})
_REFERENCES.update({ord(c): f"&#{ord(c)};<wbr>" for c in "$\\"})


def escape_markup(value: object) -> str:
    """``value`` as literal text inside Markdown or HTML markup.

    Parameters
    ----------
    value : object
        Anything that came from a user or a file: a column name, a group value, a text, a
        file name, an error message quoting one of those. Converted with ``str``.

    Returns
    -------
    str
        HTML-escaped (``html.escape(..., quote=True)`` for ``& < > " '``), every other ASCII
        punctuation character as a numeric character reference, and whitespace (line breaks
        included) collapsed to single spaces and trimmed, so the value cannot start a
        Markdown block.
        Letters, digits and non-ASCII characters are unchanged. Not for Markdown code spans
        (which show references as typed) or for widgets that already render text.

    Examples
    --------
    >>> escape_markup("my_col")
    'my&#95;col'
    >>> escape_markup('<img src=x onerror="alert(1)">')
    '&lt;img src&#61;x onerror&#61;&quot;alert&#40;1&#41;&quot;&gt;'
    """
    return " ".join(str(value).split()).translate(_REFERENCES)


def escape_plotly(value: object) -> str:
    """``value`` as literal text inside a Plotly title, legend or axis label.

    Plotly renders a subset of HTML there (``<b>``, ``<br>``, ``<a href>``, ``<span
    style>``…) and decodes ``&lt;`` ``&gt;`` ``&amp;`` and numeric references, so ``& < >``
    become references and the text shows as typed (:func:`escape_markup`'s Markdown
    references and ``<wbr>`` are not for Plotly).

    Examples
    --------
    >>> escape_plotly('<a href="http://x">click</a> & <b>bold</b>')
    '&lt;a href="http://x"&gt;click&lt;/a&gt; &amp; &lt;b&gt;bold&lt;/b&gt;'
    """
    return html.escape(" ".join(str(value).split()), quote=False)
