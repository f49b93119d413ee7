"""The explorer: one page, a tab per view, over one shared corpus; served by
``panel serve apps/explorer.py`` or shown inline in a notebook by :func:`explore`."""

from __future__ import annotations

import panel as pn
import param
from panel.viewable import Viewer

from .data_view import DataView
from .export_view import ExportView
from .geometry_view import GeometryView
from .map_view import MapView
from .state import AppState
from .text import escape_markup


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
    In JupyterLab, call ``pn.extension(inline=True)`` (or :func:`embviz.notebook.setup_notebook`
    with ``explorer=True``) first: Panel's and Bokeh's JavaScript are then written into the
    notebook, so the explorer renders with no network.
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

__all__ = ["Explorer", "explore"]


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
        self.map_view = MapView(self.state)
        self.geometry = GeometryView(self.state)
        self.export = ExportView(self.state)
        self.views = [("Data", self.data), ("Map", self.map_view), ("Geometry", self.geometry)]
        self.views += self._optional_views()
        self.views.append(("Export", self.export))
        self.tabs = pn.Tabs(*self.views, dynamic=True, sizing_mode="stretch_width")
        # a long file name wraps (even without spaces) instead of pushing the status line away
        self.header = pn.pane.Markdown("", margin=(0, 10), sizing_mode="stretch_width",
                                       styles={"overflow-wrap": "anywhere"})
        self.state.param.watch(self._title, "source")
        if self.load_default:
            pn.state.onload(self._first_load)

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
        """``?dataset=fortunes&n=2000&model=mpnet`` opens another bundled corpus first."""
        args = pn.state.session_args or {}
        for name, cast in (("dataset", str), ("model", str), ("n", int)):
            if name in args:
                try:
                    setattr(self.data, name, cast(args[name][0].decode()))
                except (ValueError, TypeError) as err:
                    self.state.runner.fail(f"URL argument {name!r} ignored: {err}")

    @property
    def selection(self):
        """The rows selected on the map: a DataFrame of the corpus's metadata (ids, texts,
        metadata) indexed by row number; empty when nothing is selected."""
        return self.state.selection_table()

    @property
    def map(self):
        """The 2-D map as drawn (a plotly figure of the same pixels, axes and legend), or the
        3-D one; ``None`` before the first draw."""
        return self.state.figures.get("map")

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
