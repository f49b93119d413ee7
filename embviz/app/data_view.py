"""Data view: a bundled corpus, an upload, precomputed embeddings or vectors on the server
(files, saved sets, Hugging Face datasets, LanceDB and Chroma databases), embedded with a
model where they are texts."""

from __future__ import annotations

import panel as pn
import param
from panel.viewable import Viewer

from ..datasets import list_datasets
from ..embed.pooling import POOLINGS
from ..exploration import DEFAULT_N, Exploration
from .file_drop import LimitedFileDropper
from .jobs import run_in_thread
from .limits import (
    MAX_PROMPT_CHARS,
    MIN_N,
    check_layer,
    check_n,
    check_text_length,
    max_upload_bytes,
)
from .state import AppState, CheckedSelect, controls
from .text import escape_markup
from .uploads import (
    CORPUS_SUFFIXES,
    read_embeddings_upload,
    read_upload,
    server_files,
    upload_columns,
)

__all__ = ["DataView", "model_names", "shared_exploration"]

_NONE = "(none)"
_CHOOSE = "(choose the text column)"
_MAX_NAME_CHARS = 200  # column, table, collection and split names typed in the page


_POOLING_NAMES = {"cls": "first token (CLS)", "last": "last token",
                  "mean_skip_first": "mean without the first token"}


@pn.cache(max_items=6)
def shared_exploration(dataset: str, n: int, model: str, pooling: str | None, layer: int,
                       prompt: str | None) -> Exploration:
    """A bundled corpus embedded once per server and shared by every session (``pn.cache``)."""
    from ..exploration import load_exploration

    return load_exploration(dataset, n=n, model=model, pooling=pooling, layer=layer,
                            prompt=prompt)


def _embed_table(table, model, pooling, layer, prompt) -> Exploration:
    from ..embed import embed_corpus

    data = embed_corpus(table, model=model, pooling=pooling, layer=layer, prompt=prompt)
    return Exploration(data)


def server_sources() -> dict[str, tuple[str, str]]:
    """Vector sources inside ``$EMBVIZ_APP_DATA`` by relative name (none without it)."""
    import os

    from ..sources.spec import find_sources

    folder = os.environ.get("EMBVIZ_APP_DATA")
    return find_sources(folder) if folder else {}


def read_server_source(choice: str, sources: dict, meta_file: str | None, names: dict,
                       embedding: dict) -> Exploration:
    """The source the page chose (only one the server listed), bounded by the row limit.

    ``names``: ``text_column``, ``vector_column``, ``label_column`` and ``which`` (the
    LanceDB table, the Chroma collection or the dataset split), each typed in the page.
    """
    from ..sources import read_source
    from .limits import LimitError, max_rows

    for name, value in names.items():
        check_text_length(name, value or "", _MAX_NAME_CHARS)
    kind, source = sources[choice]
    which = names.get("which") or None
    meta = None if meta_file is None else server_files()[meta_file]
    try:
        data = read_source(source, vector_column=names.get("vector_column") or None,
                           text_column=names.get("text_column") or None,
                           label_column=names.get("label_column") or None, meta=meta,
                           table=which if kind == "lancedb" else None,
                           collection=which if kind == "chroma" else None,
                           split=which if kind == "huggingface" else None,
                           model=embedding["model"], embed_options={
                               k: v for k, v in embedding.items() if k != "model"})
    except (ValueError, TypeError, OSError) as err:  # named as listed, never the server path
        folder = source.split(":", 1)[-1] if kind in ("lancedb", "chroma") else source
        raise type(err)(str(err).replace(folder, repr(choice))) from None
    if len(data) > max_rows():
        raise LimitError(f"{choice!r} has {len(data):,} rows; this server explores at most "
                         f"{max_rows():,} (EMBVIZ_MAX_ROWS)")
    return Exploration(data)


def model_names() -> list[str]:
    from ..embed.models import list_models

    return list_models()["name"].tolist()


def model_layers(model: str) -> int | None:
    """Transformer layers of a registered, installed model (its ``config.json``), else None."""
    import json
    from pathlib import Path

    from ..embed.models import list_models

    rows = list_models().set_index("name")
    if model not in rows.index or not rows.loc[model, "path"]:
        return None
    config = Path(rows.loc[model, "path"]) / "config.json"
    if not config.exists():
        return None
    layers = json.loads(config.read_text()).get("num_hidden_layers")
    return int(layers) if isinstance(layers, int) else None


class DataView(Viewer):
    """Choose the texts and how to embed them; the result becomes the shared exploration."""

    dataset = param.Selector(default="wordnet", objects=["wordnet"])
    # ranges are soft (the widget's); the server checks them when a job starts (limits.py)
    n = param.Integer(default=DEFAULT_N, softbounds=(MIN_N, None),
                      doc="texts sampled (stratified)")
    model = param.Selector(default="minilm", objects=["minilm"])
    pooling = param.Selector(default="default", objects={
        "the model's default": "default", **{_POOLING_NAMES.get(p, p): p for p in POOLINGS}},
        doc="how token states become one vector per text")
    layer = param.Integer(default=-1, doc="hidden-state index; -1 = last")
    prompt = param.String(default="", doc="prefix added to every text")

    def __init__(self, state: AppState, **params):
        super().__init__(**params)
        self.state = state
        datasets = list_datasets()
        self._dataset_rows = dict(zip(datasets["name"], datasets["rows"].astype(int)))
        self.param.dataset.objects = list(self._dataset_rows)
        self.param.model.objects = model_names()
        self._upload = self._dropper(CORPUS_SUFFIXES, "corpus file")
        refuse = self.state.runner.fail  # a forged column name gets a message, no traceback
        self._text_col = CheckedSelect(name="text column", options=[], refuse=refuse)
        self._label_col = CheckedSelect(name="label column", options=[_NONE], refuse=refuse)
        self._group_col = CheckedSelect(name="group column", options=[_NONE], refuse=refuse)
        self._time_col = CheckedSelect(name="time column", options=[_NONE], refuse=refuse)
        self._upload.param.watch(self._on_upload, "value")
        self._vectors = self._dropper((".npy",), "vectors (.npy)")
        self._vectors_meta = self._dropper(CORPUS_SUFFIXES, "metadata table")
        self._server = CheckedSelect(name="file on the server", options=[_NONE, *server_files()],
                                     refuse=refuse)
        self._server.param.watch(self._on_server_file, "value")
        self._sources = server_sources()
        self._source = CheckedSelect(name="vectors on the server",
                                     options=[_NONE, *self._sources], refuse=refuse)
        self._source_meta = CheckedSelect(name="rows of a .npy (table on the server)",
                                          options=[_NONE, *server_files()], refuse=refuse)
        text = dict(max_length=_MAX_NAME_CHARS, sizing_mode="stretch_width")
        self._source_names = {
            "which": pn.widgets.TextInput(name="LanceDB table / Chroma collection / split",
                                          **text),
            "text_column": pn.widgets.TextInput(name="text column (default text)", **text),
            "vector_column": pn.widgets.TextInput(name="vector column (default: the only one)",
                                                  **text),
            "label_column": pn.widgets.TextInput(name="label column", **text)}
        buttons = dict(button_type="primary", sizing_mode="stretch_width")
        self._load_bundled = pn.widgets.Button(name="Load and embed corpus", **buttons)
        self._load_upload = pn.widgets.Button(name="Embed uploaded file", **buttons)
        self._load_vectors = pn.widgets.Button(name="Load embeddings", **buttons)
        self._load_source = pn.widgets.Button(name="Load vectors", **buttons)
        self._load_source.on_click(self._server_source)
        self._load_bundled.on_click(self._bundled)
        self._load_upload.on_click(self._uploaded)
        self._load_vectors.on_click(self._precomputed)
        # A file is embedded only once it has arrived and been read: the buttons are enabled
        # then, and disabled while a new file arrives or after its table failed (until a
        # column or the file changes), so a click can never act on a file half-sent or on
        # the previous one (the click and the upload's chunks race over the websocket).
        self._load_upload.disabled = self._load_vectors.disabled = True
        self._upload_ready = False
        self._upload.param.watch(self._on_receiving, "receiving")
        for dropper in (self._vectors, self._vectors_meta):
            dropper.param.watch(self._vectors_changed, ["receiving", "value"])
        for select in (self._text_col, self._label_col, self._group_col, self._time_col):
            select.param.watch(self._columns_changed, "value")
        self.summary = pn.pane.Markdown("")
        self.notes = pn.Column(sizing_mode="stretch_width", margin=0)
        self.state.param.watch(self._describe, "exploration")

    def _dropper(self, suffixes, name: str) -> LimitedFileDropper:
        """An upload widget (chunked, size-limited in the page and here) for ``suffixes``."""
        # the suffix is checked on the server (uploads.py); FilePond would refuse by MIME type
        dropper = LimitedFileDropper(name=f"{name} ({', '.join(suffixes)})",
                                     sizing_mode="stretch_width")
        dropper.param.watch(lambda event: self.state.runner.fail(event.new) if event.new
                            else None, "refused")
        return dropper

    def _embedding_args(self) -> tuple:
        pooling = None if self.pooling == "default" else self.pooling
        return self.model, pooling, self.layer, self.prompt or None

    async def load_default(self) -> None:
        """Load the default corpus (the app's first screen)."""
        await self._bundled()

    def check_embedding_args(self) -> None:
        """The prompt's length and the layer's range, before any work (limits.py)."""
        check_text_length("prompt", self.prompt, MAX_PROMPT_CHARS)
        check_layer(self.layer, model_layers(self.model))

    def check_sample_size(self) -> None:
        """``n`` from 50 to the dataset's size and the server's row limit."""
        check_n(self.n, self.dataset, self._dataset_rows[self.dataset])

    async def _bundled(self, *_):
        runner = self.state.runner
        if not (runner.allowed(self.check_sample_size)
                and runner.allowed(self.check_embedding_args)):
            return
        result = await self.state.runner.run(
            f"Embedding {self.dataset} (n={self.n}) with {self.model}", shared_exploration,
            self.dataset, self.n, *self._embedding_args())
        if result is not None:
            self.state.source = f"{self.dataset}, n={len(result):,}, {self.model}"
            self.state.exploration = result

    def _set_upload_ready(self, ready: bool) -> None:
        self._upload_ready = ready
        self._load_upload.disabled = not ready

    def _on_receiving(self, event) -> None:
        if event.new:
            self._set_upload_ready(False)

    def _columns_changed(self, event) -> None:
        """A column chosen anew: a table that failed may now be read (if a file is there)."""
        if self._upload_ready:
            self._load_upload.disabled = False

    def _vectors_changed(self, *_) -> None:
        files = (self._vectors, self._vectors_meta)
        self._load_vectors.disabled = not all(d.value and not d.receiving for d in files)

    async def _on_upload(self, event) -> None:
        """Offer the uploaded table's columns; the file is parsed in a thread, not on the
        server's event loop (a large upload would stall every page)."""
        name, content = self._upload.filename, self._upload.content
        if not name:
            self._set_upload_ready(False)
            return
        try:
            columns = await run_in_thread(upload_columns, name, content)
        except Exception as err:  # noqa: BLE001 - any unreadable upload becomes a message
            self._set_upload_ready(False)
            self.state.runner.fail(f"Could not read {name!r}: {err}")
            return
        if self._upload.filename != name or self._upload.receiving:
            return  # another file arrived meanwhile: its own read offers its columns
        self._server.value = _NONE  # the upload is what gets embedded
        self._offer_columns(columns)

    def _on_server_file(self, event) -> None:
        if event.new == _NONE:
            return
        from ..datasets import _read_table

        try:  # messages name the file as listed, never the server's folder
            columns = list(_read_table(server_files()[event.new], repr(event.new)).columns)
        except Exception as err:  # noqa: BLE001
            self._set_upload_ready(False)
            self.state.runner.fail(f"Could not read {event.new!r}: {err}")
            return
        self._offer_columns(columns)

    def _offer_columns(self, columns: list[str]) -> None:
        self.state.runner.clear_alert()
        self._text_col.options = [_CHOOSE, *columns]
        self._text_col.value = "text" if "text" in columns else _CHOOSE
        for select, default in ((self._label_col, "label"), (self._group_col, "group"),
                                (self._time_col, "time")):
            select.options = [_NONE, *columns]
            select.value = default if default in columns else _NONE
        self._set_upload_ready(True)

    def _uploaded_table(self):
        if self._text_col.value in (None, _CHOOSE):
            columns = [c for c in self._text_col.options if c != _CHOOSE]
            raise ValueError(f"the file has no 'text' column; choose which column holds the "
                             f"texts (columns: {', '.join(map(str, columns)) or 'none'})")
        optional = {name: (None if w.value == _NONE else w.value) for name, w in
                    (("label_column", self._label_col), ("group_column", self._group_col),
                     ("time_column", self._time_col))}
        if self._server.value != _NONE:
            from ..datasets import _read_corpus

            return _read_corpus(server_files()[self._server.value], repr(self._server.value),
                                text_column=self._text_col.value, invalid="drop", **optional)
        return read_upload(self._upload.filename, self._upload.content,
                           text_column=self._text_col.value, **optional)

    async def _uploaded(self, *_):
        if not self._upload_ready:  # a forged click, or one sent while a file arrived
            self.state.runner.fail("Upload a file (or choose one on the server) and wait for "
                                   "its columns to be offered before embedding it")
            return
        if not self.state.runner.allowed(self.check_embedding_args):
            return
        unreadable = []

        def work():
            try:
                table = self._uploaded_table()
            except Exception:
                unreadable.append(True)
                raise
            return _embed_table(table, *self._embedding_args())

        name = self._upload.filename if self._server.value == _NONE else self._server.value
        result = await self.state.runner.run(f"Embedding {name}", work)
        if unreadable:  # clicking again cannot help until a column or the file changes
            self._load_upload.disabled = True
        if result is not None:
            self.state.source = f"{name}, n={len(result):,}, {self.model}"
            self.state.exploration = result

    async def _precomputed(self, *_):
        if self._load_vectors.disabled:  # a forged click, or one sent while a file arrived
            self.state.runner.fail("Upload both files (vectors and table) and wait for them "
                                   "to arrive before loading them")
            return

        def work():
            data = read_embeddings_upload(self._vectors.filename, self._vectors.content,
                                          self._vectors_meta.filename,
                                          self._vectors_meta.content)
            return Exploration(data)

        result = await self.state.runner.run("Loading embeddings", work)
        if result is None and self.state.runner.alert.visible:
            self._load_vectors.disabled = True  # until one of the files changes
        if result is not None:
            self.state.source = f"{self._vectors.filename}, n={len(result):,}"
            self.state.exploration = result

    async def _server_source(self, *_):
        choice = self._source.value
        if choice in (None, _NONE):
            self.state.runner.fail("Choose vectors on the server first")
            return
        meta = None if self._source_meta.value in (None, _NONE) else self._source_meta.value
        names = {name: widget.value for name, widget in self._source_names.items()}
        model, pooling, layer, prompt = self._embedding_args()
        embedding = dict(model=model, pooling=pooling, layer=layer, prompt=prompt)
        result = await self.state.runner.run(
            f"Loading {choice}", read_server_source, choice, self._sources, meta, names,
            embedding)
        if result is not None:
            self.state.source = f"{choice}, n={len(result):,}"
            self.state.exploration = result

    def _describe(self, event) -> None:
        data = event.new.data if event.new is not None else None
        if data is None:
            self.summary.object = ""
            return
        model = data.provenance.get("model", {}).get("name", "precomputed")
        labels = data.meta["label"].nunique() if "label" in data.meta.columns else 0
        columns = ", ".join(escape_markup(c) for c in data.meta.columns)
        origin = _origin(data.provenance.get("source"))
        self.summary.object = (f"**{len(data):,} texts**, d = {data.dim}, model "
                               f"{escape_markup(model)}, {labels} labels; columns: "
                               f"{columns}{origin}")
        self.notes.objects = self.state.runner.noted([])  # what loading it warned about

    def __panel__(self):
        embedding = controls(self, "model", "pooling", "layer", "prompt", widgets={
            "prompt": {"type": pn.widgets.TextInput, "max_length": MAX_PROMPT_CHARS}})
        limit = f"Uploads up to {max_upload_bytes() / 1e6:g} MB: CSV, TSV, Parquet or JSONL."
        return pn.Row(
            pn.Column("### Embedding", embedding, width=320),
            pn.Tabs(
                ("Bundled corpus", pn.Column(controls(self, "dataset", "n"),
                                             self._load_bundled)),
                ("Upload", pn.Column(limit, self._upload, self._server, self._text_col,
                                     self._label_col, self._group_col, self._time_col,
                                     self._load_upload)),
                ("Precomputed", pn.Column("A `.npy` array (n, d) and a table with a `text` "
                                          "column, row-aligned.", self._vectors,
                                          self._vectors_meta, self._load_vectors)),
                ("On the server", pn.Column(
                    "Vectors in `$EMBVIZ_APP_DATA`: Parquet / Arrow / Feather files with a "
                    "vector column, `.npy` (memory-mapped) with a table of its rows, saved "
                    "sets, Hugging Face datasets (text-only ones are embedded with the model "
                    "on the left), LanceDB and Chroma databases.", self._source,
                    *self._source_names.values(), self._source_meta, self._load_source)),
                width=420),
            pn.Column("### Current corpus", self.notes, self.summary,
                      sizing_mode="stretch_width"))


def _origin(source) -> str:
    """Where the vectors came from, for the corpus summary: a reader's provenance
    (``{"kind": ..., "storage": ...}``, :mod:`embviz.sources`) or any text a user put there
    (``EmbeddingSet(..., {"source": "synthetic"})``)."""
    if not source:
        return ""
    if not isinstance(source, dict):
        return f"; from {escape_markup(source)}"
    storage = f", {escape_markup(source['storage'])}" if "storage" in source else ""
    return f"; from {escape_markup(source.get('kind', 'a source'))}{storage}"
