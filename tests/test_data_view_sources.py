"""The Data view's "On the server" tab: vector sources found in $EMBVIZ_APP_DATA (no browser)."""

from __future__ import annotations

import asyncio
import html

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest


@pytest.fixture
def folder(tmp_path, rng, monkeypatch):
    import lancedb

    folder = tmp_path / "secret-server-folder"
    folder.mkdir()
    vectors = rng.normal(size=(80, 8)).astype(np.float32)
    meta = pd.DataFrame({"text": [f"text {i}" for i in range(80)], "label": list("ab") * 40})
    lancedb.connect(str(folder / "db")).create_table("docs", data=meta.assign(
        vector=list(vectors)))
    np.save(folder / "v.npy", vectors)
    meta.to_parquet(folder / "rows.parquet")  # texts only: a corpus, not a vector source
    (folder / "nested").mkdir()
    pq.write_table(pa.table({"text": meta["text"], "emb": list(vectors)}),
                   folder / "nested" / "v.parquet")
    monkeypatch.setenv("EMBVIZ_APP_DATA", str(folder))
    return folder, vectors


def test_find_sources_lists_what_holds_vectors(folder):
    from embviz.sources.spec import find_sources

    found = {name: kind for name, (kind, _) in find_sources(folder[0]).items()}
    assert found == {"db": "lancedb", "v.npy": "npy", "nested/v.parquet": "vector_file"}


def test_data_view_loads_server_sources_and_names_them_as_listed(folder):
    from embviz.app.data_view import DataView
    from embviz.app.state import AppState

    path, vectors = folder
    state = AppState()
    view = DataView(state)
    assert view._source.options[1:] == ["db", "nested/v.parquet", "v.npy"]
    view._source.value = "db"
    view._source_names["which"].value = "docs"
    asyncio.run(view._server_source())
    data = state.exploration.data
    np.testing.assert_array_equal(data.vectors, vectors)
    assert data.provenance["source"]["kind"] == "lancedb"
    assert "from lancedb" in view.summary.object

    view._source.value, view._source_meta.value = "v.npy", "rows.parquet"
    asyncio.run(view._server_source())
    assert state.exploration.data.provenance["source"]["storage"] == "memory-mapped"

    view._source.value = "db"
    view._source_names["which"].value = "nope"
    asyncio.run(view._server_source())
    shown = html.unescape(state.runner.alert.object)
    assert "table='nope' is not a table" in shown and "'db'" in shown
    assert "secret-server-folder" not in shown

    view._source_names["which"].value = "x" * 1000  # longer than the page allows
    asyncio.run(view._server_source())
    assert "at most 200" in html.unescape(state.runner.alert.object)


def test_a_source_given_as_text_is_shown_as_text():
    """``EmbeddingSet(..., {"source": "synthetic"})``: any provenance a user wrote, not only
    a reader's ``{"kind": ...}``, is described (as text) instead of failing explore()."""
    import embviz

    vectors = np.random.default_rng(0).normal(size=(30, 4)).astype(np.float32)
    meta = pd.DataFrame({"id": [f"r{i}" for i in range(30)],
                         "text": [f"t{i}" for i in range(30)]})
    explorer = embviz.explore(embviz.EmbeddingSet(vectors, meta, {"source": "<b>mine</b>"}))
    summary = explorer.data.summary.object
    assert "from &lt;b&gt;mine&lt;&#47;b&gt;" in summary and "<b>" not in summary
