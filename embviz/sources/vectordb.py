"""Embedded vector databases on local disk, read with their own clients: LanceDB and Chroma.

Both need the optional extra ``vectordb`` (``pip install 'embviz[vectordb]'``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ._arrow import ArrowSource, embedding_set_from_arrow
from ._assemble import assemble
from ._extras import require

__all__ = ["read_chroma", "read_lancedb"]

_CHROMA_PAGE = 5000  # records per Collection.get call
_CHROMA_FILE = "chroma.sqlite3"  # the file of every persistent Chroma client (since 0.4)


def read_lancedb(uri: str | Path, table: str, vector_column: str | None = None,
                 text_column: str = "text", label_column: str | None = None,
                 group_column: str | None = None, time_column: str | None = None,
                 id_column: str | None = None, mmap_path: str | Path | None = None):
    """Vectors and metadata of a LanceDB table (``lancedb.connect(uri).open_table(table)``).

    Parameters
    ----------
    uri : str or Path
        The database folder.
    table : str
        The table's name.
    vector_column : str, optional
        Default the table's only vector column (LanceDB calls it ``vector``).
    text_column, label_column, group_column, time_column, id_column : str, optional
        As in :func:`embviz.read_corpus`; the other columns are kept as metadata.
    mmap_path : path, optional
        Copy the vectors into this ``.npy`` and memory-map it (see
        :func:`~embviz.sources.read_vector_file`).

    Returns
    -------
    EmbeddingSet
        ``provenance["source"]``: the database, table, its version, the columns.

    Raises
    ------
    ImportError
        Without ``lancedb`` (``pip install 'embviz[vectordb]'``).
    ValueError
        An unknown table, missing columns, bad vectors, an empty table.
    """
    lancedb = require("lancedb", "read_lancedb")
    if "://" not in str(uri) and not Path(uri).is_dir():  # a local database is a folder
        raise FileNotFoundError(f"uri={str(uri)!r}: there is no LanceDB database folder "
                                f"there")
    db = lancedb.connect(str(uri))
    try:
        opened = db.open_table(table)
    except ValueError:
        names = list(db.list_tables().tables)
        raise ValueError(f"table={table!r} is not a table of the LanceDB database {uri}; its "
                         f"tables are {names}") from None
    roles = dict(text_column=text_column, label_column=label_column, group_column=group_column,
                 time_column=time_column, id_column=id_column)
    return embedding_set_from_arrow(
        ArrowSource.from_table(opened.to_arrow()), f"LanceDB table {table!r}", vector_column,
        roles, {"kind": "lancedb", "uri": str(uri), "table": table,
                "version": int(opened.version)}, mmap_path)


def read_chroma(path: str | Path, collection: str, text_column: str = "document",
                label_column: str | None = None, group_column: str | None = None,
                time_column: str | None = None):
    """Embeddings, documents and metadata of a Chroma collection on local disk.

    Read with ``chromadb.PersistentClient(path)`` (telemetry off), page by page
    (``Collection.get``), so that no single call holds more than 5,000 records twice.

    Parameters
    ----------
    path : str or Path
        The folder of a persistent Chroma client.
    collection : str
        The collection's name.
    text_column : str, default "document"
        The record field or metadata key that holds the text; ``"document"`` is Chroma's
        document. Each metadata key becomes a column (``metadata_<key>`` where it would
        clash with ``id`` or ``document``); the record ids become ``id``.
    label_column, group_column, time_column : str, optional
        Metadata keys that become ``label``, ``group``, ``time``.

    Returns
    -------
    EmbeddingSet
        float32 vectors (Chroma stores float32); ``provenance["source"]`` names the client
        folder and the collection.

    Raises
    ------
    ImportError
        Without ``chromadb`` (``pip install 'embviz[vectordb]'``).
    ValueError
        An unknown collection, a collection without embeddings (empty), a missing column.
    """
    chromadb = require("chromadb", "read_chroma")
    from chromadb.config import Settings

    if not Path(path).is_dir():  # PersistentClient would create an empty database there
        raise FileNotFoundError(f"path={str(path)!r}: there is no Chroma database folder "
                                f"there")
    if not (Path(path) / _CHROMA_FILE).is_file():
        raise ValueError(f"path={str(path)!r} is not a Chroma database folder (it has no "
                         f"{_CHROMA_FILE}); reading never creates one")

    client = chromadb.PersistentClient(path=str(path),
                                       settings=Settings(anonymized_telemetry=False))
    opened = _collection(client, collection, path)
    what = f"Chroma collection {collection!r}"
    vectors, meta = _chroma_records(opened, what)
    roles = dict(text_column=text_column, label_column=label_column, group_column=group_column,
                 time_column=time_column, id_column=None)
    return assemble(vectors, meta, what, {"kind": "chroma", "path": str(path),
                                          "collection": collection}, roles)


def _collection(client, name: str, path):
    names = [c.name if hasattr(c, "name") else str(c) for c in client.list_collections()]
    if name not in names:
        raise ValueError(f"collection={name!r} is not a collection of the Chroma database "
                         f"{path}; its collections are {sorted(names)}")
    return client.get_collection(name)


def _chroma_records(collection, what: str) -> tuple[np.ndarray, pd.DataFrame]:
    n = collection.count()
    if n == 0:
        raise ValueError(f"{what} is empty: it holds no embeddings (expected at least one "
                         f"record with an embedding)")
    vectors, frames = None, []
    for offset in range(0, n, _CHROMA_PAGE):
        page = collection.get(include=["embeddings", "documents", "metadatas"],
                              limit=_CHROMA_PAGE, offset=offset)
        embeddings = page.get("embeddings")
        if embeddings is None or len(embeddings) != len(page["ids"]):
            raise ValueError(f"{what} has records without embeddings (from record {offset}); "
                             f"expected one embedding per record")
        page_vectors = np.asarray(embeddings, dtype=np.float32)
        if vectors is None:
            vectors = np.empty((n, page_vectors.shape[1]), np.float32)
        vectors[offset:offset + len(page_vectors)] = page_vectors
        frames.append(_page_meta(page))
    return vectors, pd.concat(frames, ignore_index=True)


def _page_meta(page: dict) -> pd.DataFrame:
    metadatas = pd.DataFrame.from_records([m or {} for m in page["metadatas"]],
                                          index=range(len(page["ids"])))
    metadatas = metadatas.rename(columns={c: f"metadata_{c}" for c in metadatas.columns
                                          if c in ("id", "document")})
    return pd.concat([pd.DataFrame({"id": page["ids"], "document": page["documents"]}),
                      metadatas], axis=1)
