"""The explorer: one page, a tab per view, over one shared corpus."""

from __future__ import annotations

import panel as pn
import param
from panel.viewable import Viewer

from .data_view import DataView
from .export_view import ExportView
from .geometry_view import GeometryView
from .limits import LimitError
from .map_view import MapView
from .state import AppState
from .text import escape_markup

__all__ = ["Explorer"]

#: A session whose page has had no websocket for this long is gone: its jobs stop (Bokeh
#: itself destroys it only after ``--unused-session-lifetime``, 15 s by default, checked
#: every 17 s).
_GONE_AFTER_MS = 3_000


def _connected(session) -> bool:
    """Whether a Bokeh ``ServerSession`` still has its page (or lost it only just now)."""
    return (session is None or session.connection_count > 0
            or session.milliseconds_since_last_unsubscribe < _GONE_AFTER_MS)


class Explorer(Viewer):
    """Data, Map, Geometry, Concepts, Compare and Export views over one :class:`AppState`.

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
        self.map = MapView(self.state)
        self.geometry = GeometryView(self.state)
        self.export = ExportView(self.state)
        self.views = [("Data", self.data), ("Map", self.map), ("Geometry", self.geometry)]
        self.views += self._optional_views()
        self.views.append(("Export", self.export))
        self.tabs = pn.Tabs(*self.views, dynamic=True, sizing_mode="stretch_width")
        # a long file name wraps (even without spaces) instead of pushing the status line away
        self.header = pn.pane.Markdown("", margin=(0, 10), sizing_mode="stretch_width",
                                       styles={"overflow-wrap": "anywhere"})
        self.state.param.watch(self._title, "source")
        if self.load_default:
            pn.state.onload(self._first_load)
        self._watch_session()

    def _watch_session(self) -> None:
        """When the page closes, its jobs stop: at once if its websocket is gone for
        :data:`_GONE_AFTER_MS`, at the latest when Bokeh destroys the session."""
        context = getattr(pn.state.curdoc, "session_context", None)
        if context is None or not hasattr(context, "_session"):
            return  # not served by panel serve (a notebook, a unit test)
        # the session object is made after this script runs: look it up when asked
        self.state.runner.session_alive = lambda: _connected(context._session)
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

    def _title(self, event):
        self.header.object = f"**Exploring:** {escape_markup(event.new)}"

    def __panel__(self):
        return pn.Column(pn.Row(self.header, self.state.runner.panel(),
                                sizing_mode="stretch_width"),
                         self.tabs, sizing_mode="stretch_width")

    def template(self):
        """The explorer in a page template, ready for ``.servable()``."""
        return pn.template.FastListTemplate(
            title="embviz explorer", main=[self], header_background="#2E4057",
            main_layout=None, font="Liberation Sans, Arial, sans-serif",
            font_url="data:text/css,")  # no web font: the app works offline
