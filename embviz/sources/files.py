"""Vectors in files: Parquet, Arrow IPC / Feather with a vector column, and ``.npy`` arrays
memory-mapped from disk (larger than memory)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from ._arrow import ArrowSource, embedding_set_from_arrow
from ._assemble import assemble

__all__ = ["VECTOR_FILE_SUFFIXES", "has_vector_column", "open_npy", "read_vector_file"]

#: File suffixes :func:`read_vector_file` reads, and the format of each.
VECTOR_FILE_SUFFIXES = {".parquet": "parquet", ".pq": "parquet", ".arrow": "ipc",
                        ".feather": "ipc", ".ipc": "ipc"}
_BATCH_ROWS = 65_536  # rows per batch when streaming a Parquet column into a memory map


def read_vector_file(path: str | Path, vector_column: str | None = None,
                     text_column: str = "text", label_column: str | None = None,
                     group_column: str | None = None, time_column: str | None = None,
                     id_column: str | None = None, mmap_path: str | Path | None = None):
    """Vectors and metadata from a Parquet, Arrow IPC or Feather file.

    Parameters
    ----------
    path : str or Path
        ``.parquet``/``.pq``, or ``.arrow``/``.feather``/``.ipc`` (Arrow IPC file or stream
        format; Feather v2 is the IPC file format).
    vector_column : str, optional
        A column holding a list or fixed-size list of numbers per row; default the only such
        column of the file.
    text_column, label_column, group_column, time_column, id_column : str, optional
        As in :func:`embviz.read_corpus`; the other columns are kept as metadata. Rows with an
        empty text are kept (with a warning) so that rows stay aligned with their vectors.
    mmap_path : path, optional
        Stream the vectors, batch by batch, into this float32 ``.npy`` and memory-map it: a
        file larger than memory is read this way (peak memory: one batch of 65,536 rows).

    Returns
    -------
    EmbeddingSet
        vectors of shape (n, d); ``provenance["source"]`` says where they came from and how
        they are held (``storage``): ``"memory-mapped"`` for an uncompressed Arrow IPC /
        Feather file in one chunk (Arrow maps the file, numpy views it: zero-copy) or with
        ``mmap_path``; ``"zero-copy"`` for a Parquet file of one row group (decoded once by
        Arrow, viewed by numpy); ``"in memory"`` when the chunks were copied into one array.

    Raises
    ------
    ValueError
        Missing column, ragged or mixed-dimension vectors, null or NaN rows, an empty file.
    TypeError
        A vector column that holds something other than numbers.

    Examples
    --------
    >>> import pyarrow as pa, pyarrow.parquet as pq, tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "v.parquet")
    >>> pq.write_table(pa.table({"text": ["a", "b"], "emb": [[1.0, 0.0], [0.0, 1.0]]}), path)
    >>> read_vector_file(path).vectors.shape
    (2, 2)
    """
    path = _as_path(path)
    kind = _kind(path)
    src, mapped = (_parquet(path) if kind == "parquet" else _ipc(path)), kind == "ipc"
    roles = dict(text_column=text_column, label_column=label_column, group_column=group_column,
                 time_column=time_column, id_column=id_column)
    return embedding_set_from_arrow(src, path.name, vector_column, roles,
                                    {"kind": kind, "path": str(path.resolve())}, mmap_path,
                                    mapped)


def has_vector_column(path: str | Path) -> bool:
    """Whether a Parquet / Arrow / Feather file has a column of vectors (its schema only).

    Parameters
    ----------
    path : str or Path
        A file with one of the suffixes of :data:`VECTOR_FILE_SUFFIXES`.

    Returns
    -------
    bool
    """
    from ._arrow import is_vector_type

    path = _as_path(path)
    source = _parquet(path) if _kind(path) == "parquet" else _ipc(path)
    return any(is_vector_type(field.type) for field in source.schema)


def _as_path(path) -> Path:
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a file path (str or pathlib.Path), got "
                        f"{type(path).__name__}")
    return Path(path)


def _kind(path: Path) -> str:
    kind = VECTOR_FILE_SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise ValueError(f"cannot read vectors from {path.name}: expected one of the suffixes "
                         f"{sorted(VECTOR_FILE_SUFFIXES)}")
    if not path.is_file():
        raise FileNotFoundError(f"vector file {path} does not exist")
    return kind


def _parquet(path: Path) -> ArrowSource:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        file = pq.ParquetFile(path)
    except (pa.ArrowException, OSError) as err:
        raise ValueError(f"{path.name} is not a readable Parquet file ({err})") from None

    def batches(name: str):
        for batch in file.iter_batches(batch_size=_BATCH_ROWS, columns=[name]):
            yield batch.column(0)

    return ArrowSource(file.schema_arrow, file.metadata.num_rows,
                       lambda columns: file.read(columns=columns), batches)


def _ipc(path: Path) -> ArrowSource:
    """The file memory-mapped by Arrow: uncompressed buffers are read without a copy."""
    import pyarrow as pa

    mapped = pa.memory_map(str(path))
    try:
        table = pa.ipc.open_file(mapped).read_all()
    except pa.ArrowInvalid:
        mapped.seek(0)
        try:
            table = pa.ipc.open_stream(mapped).read_all()
        except pa.ArrowInvalid as err:
            raise ValueError(f"{path.name} is not an Arrow IPC (Feather) file or stream "
                             f"({err})") from None
    return ArrowSource.from_table(table)


def open_npy(path: str | Path, meta, text_column: str = "text",
             label_column: str | None = None, group_column: str | None = None,
             time_column: str | None = None, id_column: str | None = None):
    """Vectors memory-mapped from a ``.npy`` file, with their metadata table.

    Nothing is read into memory but the metadata: the vectors stay on disk and the page cache
    holds what is touched (``np.load(mmap_mode="r")``). A float32, C-ordered array stays
    mapped through the EmbeddingSet; any other dtype or order is converted in memory
    (``provenance["source"]["storage"]`` then says ``"in memory"``).

    Parameters
    ----------
    path : str or Path
        A ``.npy`` array of shape (n, d) (never unpickled).
    meta : pandas.DataFrame or path
        n rows, or a CSV / TSV / Parquet / JSONL file of them.
    text_column, label_column, group_column, time_column, id_column : str, optional
        As in :func:`embviz.read_corpus`.

    Returns
    -------
    EmbeddingSet
        vectors a read-only view of the mapped file, shape (n, d).

    Examples
    --------
    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "v.npy")
    >>> np.save(path, np.eye(3, dtype=np.float32))
    >>> data = open_npy(path, pd.DataFrame({"text": ["a", "b", "c"]}))
    >>> data.provenance["source"]["storage"]
    'memory-mapped'
    """
    path = _as_path(path)
    vectors = _mapped_npy(path)
    if isinstance(meta, pd.DataFrame):
        table, meta_name = meta, "meta"
    else:
        from ..datasets import _read_table

        table, meta_name = _read_table(Path(meta), Path(meta).name), str(meta)
    roles = dict(text_column=text_column, label_column=label_column, group_column=group_column,
                 time_column=time_column, id_column=id_column)
    return assemble(vectors, table, path.name,
                    {"kind": "npy", "path": str(path.resolve()), "meta": meta_name}, roles)


def _mapped_npy(path: Path) -> np.ndarray:
    if path.suffix.lower() != ".npy":
        raise ValueError(f"cannot memory-map {path.name}: expected a .npy file")
    if not path.is_file():
        raise FileNotFoundError(f"vector file {path} does not exist")
    with open(path, "rb") as fh:
        magic = fh.read(len(np.lib.format.MAGIC_PREFIX))
    if magic != np.lib.format.MAGIC_PREFIX:
        raise ValueError(f"{path.name} is not a NumPy .npy array file (it does not start with "
                         f"the .npy signature; a text, CSV or .npz file renamed?): save the "
                         f"vectors with numpy.save")
    try:
        vectors = np.load(path, mmap_mode="r", allow_pickle=False)
    except ValueError as err:
        if "pickle" in str(err) or "object" in str(err).lower():
            raise ValueError(f"{path.name} is not a plain numeric .npy array: it holds "
                             f"Python objects (an object array); embviz never unpickles") \
                from None
        raise ValueError(f"{path.name} is not a readable .npy array ({err})") from None
    if vectors.dtype.kind not in "fiu" or vectors.ndim != 2:
        raise ValueError(f"{path.name} must hold numbers of shape (n, d), got dtype "
                         f"{vectors.dtype} and shape {vectors.shape}")
    return vectors
