"""Reading what a user hands the explorer: uploads (bytes) and files in a configured folder.

The explorer never opens a server path typed by a user: it reads uploaded bytes (size-limited)
or files inside the folder named by ``$EMBVIZ_APP_DATA`` (checked to stay inside it). Nothing
is unpickled. A table may have at most ``$EMBVIZ_MAX_ROWS`` rows, checked before it is read:
a Parquet file's row count comes from its metadata (a few KB can declare 40 million rows), a
CSV / TSV / JSONL file's rows are counted by reading at most one row more than the limit.
What a compressed file decodes to is checked before it is decoded too (:mod:`.limits`): a
Parquet file's values (every element of a list cell counts) and uncompressed size from its
metadata (4.9 KB of zero vectors declared 150,000 x 1,024 values and took 2 GB to read), an
``.npy`` array's shape and bytes from its header.
"""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from .._files import load_plain_array
from ..datasets import _read_corpus, _read_table
from ..embedding_set import EmbeddingSet
from .limits import (
    LimitError,
    max_decoded_bytes,
    max_rows,
    max_upload_bytes,
    max_upload_values,
)

__all__ = ["CORPUS_SUFFIXES", "check_npy_header", "check_parquet_budget", "check_upload_rows",
           "max_upload_bytes", "read_embeddings_upload", "read_upload", "server_files",
           "upload_columns"]

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
    if suffix == ".parquet":
        check_parquet_budget(filename, content)
    elif suffix == ".npy":
        check_npy_header(filename, content)
    return suffix


#: Column chunks (row groups x columns) a Parquet upload may declare: its metadata is walked
#: chunk by chunk before anything else is read.
_MAX_COLUMN_CHUNKS = 100_000


def _budget_error(filename: str, what: str, declared: int, limit: int, unit: str,
                  setting: str, hint: str = "drop the columns that are not needed"
                  ) -> LimitError:
    return LimitError(f"{filename!r} declares {declared:,} {what}; uploads may hold at most "
                      f"{limit:,} {unit} (set {setting}); {hint}")


def check_parquet_budget(filename: str, content: bytes) -> None:
    """Refuse a Parquet upload whose metadata declares more values or decoded bytes than the
    server allows, before any of its data is read.

    Values are the column chunks' value counts: a list cell (a vector) counts each element,
    so rows x dimension for a vector column. Decoded bytes are the chunks' uncompressed
    sizes. A file whose metadata cannot be read passes here and gets the reader's message.
    """
    import pyarrow.parquet as pq

    try:
        metadata = pq.ParquetFile(io.BytesIO(content)).metadata
    except Exception:  # noqa: BLE001 - unreadable: the reader names the problem
        return
    chunks = metadata.num_row_groups * metadata.num_columns
    if chunks > _MAX_COLUMN_CHUNKS:
        raise _budget_error(filename, "column chunks (row groups x columns)", chunks,
                            _MAX_COLUMN_CHUNKS, "chunks", "fewer row groups")
    values = decoded = 0
    for group in range(metadata.num_row_groups):
        row_group = metadata.row_group(group)
        for column in range(row_group.num_columns):
            chunk = row_group.column(column)
            values += max(chunk.num_values, 0)
            decoded += max(chunk.total_uncompressed_size, 0)
    if values > max_upload_values():
        raise _budget_error(filename, "values (rows x columns, each element of a list cell "
                            "counted)", values, max_upload_values(), "values",
                            "EMBVIZ_MAX_UPLOAD_VALUES")
    if decoded > max_decoded_bytes():
        raise _budget_error(filename, "bytes once decompressed", decoded, max_decoded_bytes(),
                            "bytes", "EMBVIZ_MAX_DECODED_MB")


def check_npy_header(filename: str, content: bytes) -> None:
    """Refuse an ``.npy`` upload whose header declares more values than the server allows,
    or a different size than the bytes that follow it, before its array is made (numpy
    allocates the declared shape first). A file without a readable header passes here and
    gets the reader's message."""
    from numpy.lib import format as npy

    stream = io.BytesIO(content)
    try:
        version = npy.read_magic(stream)
        header = (npy.read_array_header_1_0 if version == (1, 0)
                  else npy.read_array_header_2_0)(stream, max_header_size=10_000)
    except Exception:  # noqa: BLE001 - unreadable: the reader names the problem
        return
    shape, _fortran, dtype = header
    values = int(np.prod(shape, dtype=object)) if shape else 1
    if values > max_upload_values():
        raise _budget_error(filename, f"values (shape {tuple(shape)})", values,
                            max_upload_values(), "values", "EMBVIZ_MAX_UPLOAD_VALUES",
                            "explore fewer rows")
    if not dtype.hasobject:  # an object array is refused by the reader with its own message
        declared, present = values * dtype.itemsize, len(content) - stream.tell()
        if declared != present:
            raise LimitError(f"{filename!r} declares an array of {declared:,} bytes "
                             f"(shape {tuple(shape)}, {dtype}) but holds {present:,}")


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


def _parquet_columns(content: bytes) -> list[str] | None:
    """A Parquet file's column names from its schema, or None if it cannot be read."""
    import pyarrow.parquet as pq

    try:
        schema = pq.ParquetFile(io.BytesIO(content)).schema_arrow
    except Exception:  # noqa: BLE001 - the reader names the problem
        return None
    index = (schema.pandas_metadata or {}).get("index_columns", [])  # pandas' stored index
    return [name for name in schema.names if name not in index]


def _with_temp_file(suffix: str, content: bytes, read):
    with tempfile.TemporaryDirectory(prefix="embviz-upload-") as folder:
        path = Path(folder) / f"upload{suffix}"  # never the user's file name
        path.write_bytes(content)
        return read(path)


def upload_columns(filename: str, content: bytes) -> list[str]:
    """The columns of an uploaded table, to offer as text / label / group / time columns (of a
    Parquet file, from its schema: no data is read)."""
    suffix = _check_upload(filename, content, CORPUS_SUFFIXES)
    if suffix == ".parquet":
        names = _parquet_columns(content)
        if names is not None:
            return names
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
