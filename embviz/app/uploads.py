"""Reading what a user hands the explorer: uploads (bytes) and files in a configured folder.

The explorer never opens a server path typed by a user: it reads uploaded bytes (size-limited)
or files inside the folder named by ``$EMBVIZ_APP_DATA`` (checked to stay inside it). Nothing
is unpickled. A table may have at most ``$EMBVIZ_MAX_ROWS`` rows, checked before it is read:
a Parquet file's row count comes from its metadata (a few KB can declare 40 million rows), a
CSV / TSV / JSONL file's rows are counted by reading at most one row more than the limit.
"""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path

import pandas as pd

from .._files import load_plain_array
from ..datasets import _read_corpus, _read_table
from ..embedding_set import EmbeddingSet
from .limits import LimitError, max_rows, max_upload_bytes

__all__ = ["CORPUS_SUFFIXES", "check_upload_rows", "max_upload_bytes", "read_embeddings_upload",
           "read_upload", "server_files", "upload_columns"]

CORPUS_SUFFIXES = (".csv", ".tsv", ".parquet", ".jsonl")


def _check_upload(filename: str, content: bytes | None, suffixes) -> str:
    if not filename or content is None:
        raise ValueError("no file was uploaded")
    suffix = Path(filename).suffix.lower()
    if suffix not in suffixes:
        raise ValueError(f"{filename!r}: expected a file ending in {', '.join(suffixes)}")
    if len(content) > max_upload_bytes():
        raise ValueError(f"{filename!r} is {len(content) / 1e6:.1f} MB; uploads are limited to "
                         f"{max_upload_bytes() / 1e6:g} MB (set EMBVIZ_MAX_UPLOAD_MB)")
    if not content:
        raise ValueError(f"{filename!r} is empty")
    if suffix in CORPUS_SUFFIXES:
        check_upload_rows(filename, suffix, content)
    return suffix


def check_upload_rows(filename: str, suffix: str, content: bytes) -> None:
    """Refuse a table of more than :func:`~embviz.app.limits.max_rows` rows before parsing it.

    Parquet: the row count in the file's metadata. CSV / TSV / JSONL: every row takes at
    least one line, so a file with no more lines than the limit passes at once; otherwise at
    most ``limit + 1`` rows are parsed to count them (quoted cells may span lines). A file
    this cannot read passes here and gets its own message from the reader.
    """
    limit = max_rows()
    binary = suffix == ".parquet"
    few_lines = not binary and content.count(b"\n") < limit
    rows = 0 if few_lines else _row_count(suffix, content, limit)
    if rows > limit:
        count = f"{rows:,}" if binary else f"more than {limit:,}"
        raise LimitError(f"{filename!r} has {count} rows; uploads are limited to {limit:,} "
                         f"rows (set EMBVIZ_MAX_ROWS)")


def _row_count(suffix: str, content: bytes, limit: int) -> int:
    """Rows of a table, counted up to ``limit + 1`` (exactly, from metadata, for Parquet)."""
    try:
        if suffix == ".parquet":
            import pyarrow.parquet as pq

            return pq.ParquetFile(io.BytesIO(content)).metadata.num_rows
        if suffix == ".jsonl":
            lines = (line for line in io.BytesIO(content) if line.strip())
            return sum(1 for _ in zip(lines, range(limit + 1)))
        sep = "\t" if suffix == ".tsv" else ","
        return len(pd.read_csv(io.BytesIO(content), sep=sep, nrows=limit + 1, usecols=[0],
                               dtype=str))
    except Exception:  # noqa: BLE001 - unreadable: the reader names the problem
        return 0


def _with_temp_file(suffix: str, content: bytes, read):
    with tempfile.TemporaryDirectory(prefix="embviz-upload-") as folder:
        path = Path(folder) / f"upload{suffix}"  # never the user's file name
        path.write_bytes(content)
        return read(path)


def upload_columns(filename: str, content: bytes) -> list[str]:
    """The columns of an uploaded table, to offer as text / label / group / time columns."""
    suffix = _check_upload(filename, content, CORPUS_SUFFIXES)
    return list(_with_temp_file(suffix, content,
                                lambda path: _read_table(path, repr(filename))).columns)


def read_upload(filename: str, content: bytes, text_column: str = "text",
                label_column: str | None = None, group_column: str | None = None,
                time_column: str | None = None) -> pd.DataFrame:
    """An uploaded CSV / TSV / Parquet / JSONL corpus, read by :func:`embviz.read_corpus`
    rules; messages name the file by its own name, never the temporary path it is read from."""
    suffix = _check_upload(filename, content, CORPUS_SUFFIXES)
    return _with_temp_file(suffix, content, lambda path: _read_corpus(
        path, repr(filename), text_column=text_column, label_column=label_column,
        group_column=group_column, time_column=time_column, invalid="drop"))


def read_embeddings_upload(vectors_name: str, vectors: bytes, meta_name: str,
                           meta: bytes) -> EmbeddingSet:
    """Precomputed embeddings: a ``.npy`` (n, d) array plus a metadata table with ``text``.

    The ``.npy`` is read with ``allow_pickle=False``; the table by :func:`read_upload` rules.
    """
    _check_upload(vectors_name, vectors, (".npy",))
    array = load_plain_array(io.BytesIO(vectors), repr(vectors_name))
    table = read_upload(meta_name, meta)
    if len(table) != len(array):
        raise ValueError(f"{vectors_name!r} has {len(array)} rows but {meta_name!r} has "
                         f"{len(table)} (after dropping invalid texts): they must align")
    return EmbeddingSet(array, table, {"source": "upload", "vectors_file": vectors_name})


def server_files(folder: str | Path | None = None) -> dict[str, Path]:
    """Corpus files inside the configured folder (``$EMBVIZ_APP_DATA``), by relative name."""
    folder = folder or os.environ.get("EMBVIZ_APP_DATA")
    if not folder:
        return {}
    root = Path(folder).resolve()
    return {str(p.relative_to(root)): p for p in sorted(root.rglob("*"))
            if p.suffix.lower() in CORPUS_SUFFIXES and p.resolve().is_relative_to(root)}
