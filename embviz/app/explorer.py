"""The explorer: one page, a tab per view, over one shared corpus; served by
``panel serve apps/explorer.py`` or shown inline in a notebook by :func:`explore`."""

from __future__ import annotations

import panel as pn
import param
from panel.viewable import Viewer

from .data_view import DataView
from .export_view import ExportView
from .geometry_view import GeometryView
from .landscape_view import LandscapeView
from .limits import LimitError
from .map_view import MapView
from .state import AppState
from .text import escape_markup

__all__ = ["Explorer", "explore"]

#: A session whose page had its websocket and then lost it this long ago is gone: its jobs stop
#: (Bokeh itself destroys it only after ``--unused-session-lifetime``, 15 s by default, checked
#: every 17 s).
_GONE_AFTER_MS = 3_000
#: The template scrolls its main area inside a fixed-height box under a page that does not
#: scroll (so the wheel, Page Down and the browser's scroll bar do nothing over the header);
#: here the page itself scrolls, as a page.
_PAGE_SCROLLS = """
body { overflow-y: auto !important; height: auto !important; }
#container, #content, #main { height: auto !important; overflow: visible !important; }
"""


class PageWatch:
    """Whether a served page is still open, judged from its Bokeh ``ServerSession``.

    A page is gone once it has had its websocket and then lost it for :data:`_GONE_AFTER_MS`.
    A page whose websocket has not connected yet is not gone: Bokeh makes the session (and
    starts its clock of the "last unsubscribe") when the page's HTML is requested, and on a
    busy server the page's scripts can take many seconds to connect. Three pages opening a
    cold 100,000-point corpus at once were all judged gone that way and their maps cancelled.
    A page that never connects is still stopped, by Bokeh destroying its session
    (``pn.state.on_session_destroyed``).

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> watch = PageWatch()
    >>> watch.alive(SimpleNamespace(connection_count=0, milliseconds_since_last_unsubscribe=9e3))
    True
    >>> watch.alive(SimpleNamespace(connection_count=1, milliseconds_since_last_unsubscribe=9e3))
    True
    >>> watch.alive(SimpleNamespace(connection_count=0, milliseconds_since_last_unsubscribe=4e3))
    False
    """

    def __init__(self, gone_after_ms: float = _GONE_AFTER_MS):
        self.gone_after_ms = gone_after_ms
        self.seen = False  # the page has connected at least once

    def page_seen(self) -> None:
        """The page is loaded (its websocket is open): from now on, losing it counts."""
        self.seen = True

    def alive(self, session) -> bool:
        """False once the page is known to be gone; ``session`` None (not made yet): True."""
        if session is None:
            return True
        if session.connection_count > 0:
            self.seen = True
            return True
        return not self.seen or session.milliseconds_since_last_unsubscribe < self.gone_after_ms


class Explorer(Viewer):
    """Data, Map, Geometry, Concepts, Compare, Duplicates & outliers and Export views over one
    :class:`AppState`.

    Parameters
    ----------
    load_default : bool, default True
        Load the default corpus (5,000 WordNet glosses with minilm) when the page opens.
    """

    load_default = param.Boolean(default=True)

    def __init__(self, **params):
        super().__init__(**params)
        self.state = AppState()
        self.data = DataView(self.state)
        self.map_view = MapView(self.state)
        self.geometry = GeometryView(self.state)
        self.export = ExportView(self.state)
        self.views = [("Data", self.data), ("Map", self.map_view), ("Geometry", self.geometry)]
        self.views += self._optional_views()
        self.views += [("Duplicates & outliers", LandscapeView(self.state)),
                       ("Export", self.export)]
        self.tabs = pn.Tabs(*self.views, dynamic=True, sizing_mode="stretch_width")
        # an error belongs to the view it came from: opening another view dismisses it
        self.tabs.param.watch(lambda _: self.state.runner.clear_alert(), "active")
        # a long file name wraps (even without spaces) instead of pushing the status line away
        self.header = pn.pane.Markdown("", margin=(0, 10), sizing_mode="stretch_width",
                                       styles={"overflow-wrap": "anywhere"})
        self.state.param.watch(self._title, "source")
        self._watch_session()
        if self.load_default:
            pn.state.onload(self._first_load)

    def _watch_session(self) -> None:
        """When the page closes, its jobs stop: soon after its websocket is lost
        (:class:`PageWatch`), at the latest when Bokeh destroys the session."""
        context = getattr(pn.state.curdoc, "session_context", None)
        if context is None or not hasattr(context, "_session"):
            return  # not served by panel serve (a notebook, a unit test)
        watch = PageWatch()
        pn.state.onload(watch.page_seen)  # run when the page reports itself loaded
        # the session object is made after this script runs: look it up when asked
        self.state.runner.session_alive = lambda: watch.alive(context._session)
        pn.state.on_session_destroyed(lambda _context: self.state.runner.cancel())

    def _optional_views(self) -> list:
        views = []
        try:
            from .concepts_view import ConceptsView

            views.append(("Concepts", ConceptsView(self.state)))
        except ImportError:
            pass
        try:
            from .compare_view import CompareView

            views.append(("Compare", CompareView(self.state)))
        except ImportError:
            pass
        return views

    async def _first_load(self):
        self.tabs.active = 1  # the map
        self._apply_url_arguments()
        await self.data.load_default()

    def _apply_url_arguments(self) -> None:
        """``?dataset=fortunes&n=2000&model=mpnet`` opens another bundled corpus first; an
        argument that cannot be used is named in a notice that stays until dismissed."""
        args = pn.state.session_args or {}
        for name, cast in (("dataset", str), ("model", str), ("n", int)):
            if name in args:
                try:
                    setattr(self.data, name, cast(args[name][0].decode(errors="replace")))
                except (ValueError, TypeError) as err:
                    self.state.runner.warn(f"URL argument {name!r} ignored: {err}")
        try:
            self.data.check_sample_size()
        except LimitError as err:
            self.state.runner.warn(f"URL argument 'n' ignored: {err}")
            self.data.n = self.data.param.n.default

    @property
    def selection(self):
        """The rows selected on the map: a DataFrame of the corpus's metadata (ids, texts,
        metadata) indexed by row number; empty when nothing is selected."""
        return self.state.selection_table()

    @property
    def map(self):
        """The 2-D map as drawn (a plotly figure of the same pixels, axes and legend), or the
        3-D one; ``None`` before the first draw."""
        return self.state.figure("map") if "map" in self.state.figures else None

    def _title(self, event):
        self.header.object = f"**Exploring:** {escape_markup(event.new)}"

    def __panel__(self):
        return pn.Column(pn.Row(self.header, self.state.runner.panel(),
                                sizing_mode="stretch_width"),
                         self.tabs, sizing_mode="stretch_width")

    def _repr_mimebundle_(self, include=None, exclude=None):
        """Shown in a notebook cell; with ``pn.extension(inline=True)`` its stylesheets come
        from the notebook too, also those of parts drawn or updated later
        (:func:`_inline_later_stylesheets`)."""
        view = self._create_view()
        bundle = view._repr_mimebundle_(include, exclude)
        if pn.config.inline:
            for model, _ in list(view._models.values()):
                if model.document is not None:
                    _inline_later_stylesheets(model.document)
        return bundle

    def template(self):
        """The explorer in a page template, ready for ``.servable()``."""
        return pn.template.FastListTemplate(
            title="embviz explorer", main=[self], header_background="#2E4057",
            main_layout=None, font="Liberation Sans, Arial, sans-serif",
            font_url="data:text/css,",  # no web font: the app works offline
            raw_css=[_PAGE_SCROLLS])


def explore(data, meta=None, source: str = "", **params) -> Explorer:
    """The explorer over your own embeddings, as a Panel object: display it in a notebook cell
    (``ex = embviz.explore(es); ex``), or serve it (``ex.servable()``).

    Parameters
    ----------
    data : EmbeddingSet, Exploration, or array-like of shape (n, d)
        The embeddings. An array needs ``meta``.
    meta : DataFrame of n rows, optional
        With a ``text`` column (and any metadata: ``id``, ``label``, groups, times); only with
        an array.
    source : str, optional
        What the header says is being explored (default: the provenance's model, or "your
        embeddings").
    **params
        Passed to :class:`Explorer`.

    Returns
    -------
    Explorer
        ``.selection`` is a DataFrame of the rows selected on the map (updated as the user
        selects), ``.map`` the map figure as drawn (plotly, for
        :func:`embviz.viz.export_figure`).

    Notes
    -----
    In JupyterLab, call ``pn.extension("tabulator", inline=True)`` first (add ``"plotly"`` for
    the 3-D map): Panel's, Bokeh's and Tabulator's JavaScript and CSS are then written into the
    notebook, so the explorer renders with no network. The ``@pyviz/jupyterlab_pyviz``
    labextension (from ``pyviz_comms``) carries the map and the selections between the page
    and the kernel.
    """
    exploration = _as_exploration(data, meta)
    if not source:
        model = exploration.data.provenance.get("model", {})
        name = model.get("name") if isinstance(model, dict) else None
        source = f"{len(exploration):,} texts" + (f", {name}" if name else "")
    params.setdefault("load_default", False)
    explorer = Explorer(**params)
    explorer.state.source = source
    explorer.state.exploration = exploration
    explorer.tabs.active = 1  # the map
    return explorer


def _as_exploration(data, meta):
    from ..embedding_set import EmbeddingSet
    from ..exploration import Exploration

    if isinstance(data, Exploration):
        if meta is not None:
            raise ValueError("meta is only for an array; an Exploration has its metadata")
        return data
    if isinstance(data, EmbeddingSet):
        if meta is not None:
            raise ValueError("meta is only for an array; an EmbeddingSet has its metadata")
        return Exploration(data)
    if meta is None:
        raise ValueError("data is an array: pass meta, a DataFrame with a 'text' column and one "
                         "row per vector (or pass an EmbeddingSet)")
    return Exploration(EmbeddingSet(data, meta))


class _DataURLStyleSheets(dict):
    """Panel's per-document cache of ``ImportedStyleSheet`` models (URL -> model) whose sheets
    on Panel's CDN are pointed at ``data:`` URLs of the same files, shipped with Panel."""

    def __setitem__(self, url, stylesheet) -> None:
        _to_data_url(stylesheet)
        super().__setitem__(url, stylesheet)


def _to_data_url(stylesheet) -> None:
    import base64

    from panel.io.resources import CDN_DIST, DIST_DIR, LOCAL_DIST

    url = str(stylesheet.url)
    # a sheet made outside a server session has the local form, pointed at the CDN just after
    prefix = next((p for p in (CDN_DIST, LOCAL_DIST) if url.startswith(p)), None)
    if prefix is None:
        return
    path = DIST_DIR / url[len(prefix):].split("?")[0]
    if path.is_file():
        stylesheet.url = "data:text/css;base64," + base64.b64encode(path.read_bytes()).decode()


def _inline_later_stylesheets(document) -> None:
    """No stylesheet from a CDN for what changes in ``document`` after its first render.

    ``pn.extension(inline=True)`` inlines the stylesheets of the models in a cell's first
    render only. A model created or updated later (a Markdown or HTML pane whose text changes:
    the status line, the map's caption and legend) gets its stylesheets from Panel's cache for
    the document, as ``ImportedStyleSheet`` URLs on cdn.holoviz.org (a notebook document has no
    local ``dist_url``): here every entry of that cache, present and future, is a ``data:`` URL.
    """
    from panel.io.state import state

    cache = state._stylesheets.get(document, {})
    if not isinstance(cache, _DataURLStyleSheets):
        cache = _DataURLStyleSheets(cache)
        for stylesheet in cache.values():
            _to_data_url(stylesheet)
        state._stylesheets[document] = cache
