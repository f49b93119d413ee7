"""Arrow columns of vectors to ``(n, d)`` arrays, and an Arrow table's other columns to meta.

Every tabular source (Parquet, Arrow IPC / Feather, Hugging Face datasets, LanceDB) ends here,
so each bad input gets the same message wherever it came from. A vector column is a ``list``,
``large_list`` or ``fixed_size_list`` of integers or floats, one vector per row. Its values
are read without a copy where pyarrow allows it (one chunk, no nulls, a numeric type); more
chunks are copied once, into a new array or a memory-mapped ``.npy``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from .._files import write_atomic
from ._assemble import assemble, check_float32_range

#: What a vector column must be, in the words of every message.
EXPECTED = ("a list or fixed-size list of numbers per row (e.g. fixed_size_list<float>[384] "
            "or list<float>)")


def _is_list(typ) -> bool:
    import pyarrow as pa

    return pa.types.is_list(typ) or pa.types.is_large_list(typ) or pa.types.is_fixed_size_list(
        typ)


def is_vector_type(typ) -> bool:
    """Whether an Arrow type is a list (or fixed-size list) of integers or floats."""
    import pyarrow as pa

    if not _is_list(typ):
        return False
    value = typ.value_type
    return pa.types.is_floating(value) or pa.types.is_integer(value)


def find_vector_column(schema, vector_column: str | None, what: str) -> str:
    """The vector column's name: ``vector_column`` checked, or the one vector column found.

    Parameters
    ----------
    schema : pyarrow.Schema
    vector_column : str or None
        ``None``: the only column of a vector type (:func:`is_vector_type`).
    what : str
        The source, for messages (e.g. ``"vectors.parquet"``).

    Raises
    ------
    ValueError
        When the column is missing, when none or several columns could hold vectors, or
        (``TypeError``) when the named column is not of a vector type.
    """
    names = list(schema.names)
    if vector_column is None:
        found = [f.name for f in schema if is_vector_type(f.type)]
        if len(found) == 1:
            return found[0]
        if not found:
            raise ValueError(f"{what} has no vector column: expected a column holding "
                             f"{EXPECTED}; its columns are "
                             f"{[f'{f.name}: {f.type}' for f in schema]}")
        raise ValueError(f"{what} has several vector columns {found}: choose one with "
                         f"vector_column=")
    if vector_column not in names:
        raise ValueError(f"vector_column={vector_column!r} is not a column of {what}; its "
                         f"columns are {names}")
    typ = schema.field(vector_column).type
    if not is_vector_type(typ):
        raise TypeError(f"vector_column={vector_column!r} of {what} must hold {EXPECTED}, "
                        f"got {typ}")
    return vector_column


def _null_rows(array, start: int, vector_column: str, what: str) -> None:
    if array.null_count:
        rows = np.flatnonzero(array.is_null().to_numpy(zero_copy_only=False)) + start
        raise ValueError(f"{what}: {len(rows)} row(s) of {vector_column!r} hold no vector "
                         f"(null), first at rows {rows[:5].tolist()}; every row needs "
                         f"{EXPECTED}")


def _chunk_matrix(array, start: int, vector_column: str, what: str) -> np.ndarray:
    """One Arrow list array as an ``(m, d)`` numpy view (a copy only where nulls or the type
    force one: nulls inside a vector become NaN, caught by the finiteness check)."""
    import pyarrow as pa

    _null_rows(array, start, vector_column, what)
    if pa.types.is_fixed_size_list(array.type):
        d = array.type.list_size
    else:
        lengths = np.diff(np.asarray(array.offsets))
        d = int(lengths[0]) if len(lengths) else 0
        ragged = np.flatnonzero(lengths != d)
        if ragged.size:
            raise ValueError(f"{what}: {vector_column!r} is ragged: row {start} has {d} "
                             f"values but {ragged.size} row(s) differ, first row "
                             f"{int(ragged[0]) + start} with {int(lengths[ragged[0]])}; "
                             f"expected vectors of one length d")
    if d == 0 and len(array):
        raise ValueError(f"{what}: {vector_column!r} holds empty vectors (length 0)")
    values = array.flatten().to_numpy(zero_copy_only=False)
    return values.reshape(len(array), d)


@dataclass
class ArrowSource:
    """What the shared code needs of a tabular source.

    Attributes
    ----------
    schema : pyarrow.Schema
    num_rows : int
    read : callable (list of str) -> pyarrow.Table
        The table of some columns.
    batches : callable (str) -> iterator of pyarrow.Array
        One column, batch by batch, in row order (for streaming into a memory map).
    """

    schema: object
    num_rows: int
    read: Callable[[list[str]], object]
    batches: Callable[[str], Iterator[object]]

    @classmethod
    def from_table(cls, table) -> ArrowSource:
        """A source over a table already in memory (or memory-mapped by Arrow)."""
        return cls(table.schema, table.num_rows, table.select,
                   lambda name: iter(table.column(name).chunks))


def _dims_agree(d: int, expected: int | None, start: int, vector_column: str,
                what: str) -> None:
    if expected is not None and d != expected:
        raise ValueError(f"{what}: {vector_column!r} mixes dimensions: vectors of d={expected} "
                         f"before row {start} and of d={d} from row {start}; expected one "
                         f"dimension throughout")


def vectors_from_batches(batches: Iterable, n: int, vector_column: str, what: str,
                         out: str | Path | None = None) -> np.ndarray:
    """The ``(n, d)`` vectors of a column's batches.

    Parameters
    ----------
    batches : iterable of pyarrow.Array
        The column's chunks, in row order.
    n : int
        Rows in all.
    vector_column, what : str
        For messages.
    out : path, optional
        Write the vectors, as float32, into this ``.npy`` (memory-mapped, batch by batch,
        through a temp file renamed at the end) and return it opened read-only (``mmap_mode
        ="r"``); otherwise a single chunk is returned without a copy and several are copied
        into one array.

    Returns
    -------
    ndarray or numpy.memmap of shape (n, d)
        float32 or float64 as stored (integers become float32); read-only when zero-copy.
    """
    if out is None:
        return _fill(iter(batches), n, vector_column, what, None)
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    write_atomic(out, lambda tmp: _fill(iter(batches), n, vector_column, what, tmp))
    return np.load(out, mmap_mode="r", allow_pickle=False)


def _fill(batches: Iterator, n: int, vector_column: str, what: str,
          out: Path | None) -> np.ndarray:
    result, start, expected = None, 0, None
    for array in batches:
        if len(array) == 0:
            continue
        matrix = _chunk_matrix(array, start, vector_column, what)
        _dims_agree(matrix.shape[1], expected, start, vector_column, what)
        expected = matrix.shape[1]
        if result is None and out is None and len(matrix) == n:
            return _as_float(matrix)  # one chunk: a view of Arrow's memory
        if result is None:
            result = _allocate(out, n, expected, matrix.dtype)
        if result.dtype == np.float32:  # the cast below: refuse what float32 can't hold
            check_float32_range(matrix, what, vector_column, start)
        result[start:start + len(matrix)] = matrix
        start += len(matrix)
    if result is None:
        raise ValueError(f"{what} has no rows: expected at least one vector")
    if out is not None:
        result.flush()
    return result


def _as_float(matrix: np.ndarray) -> np.ndarray:
    return matrix if matrix.dtype.kind == "f" else matrix.astype(np.float32)


def _allocate(out: Path | None, n: int, d: int, dtype) -> np.ndarray:
    if out is None:
        return np.empty((n, d), np.float64 if dtype == np.float64 else np.float32)
    return np.lib.format.open_memmap(out, mode="w+", dtype=np.float32, shape=(n, d))


def embedding_set_from_arrow(src: ArrowSource, what: str, vector_column: str | None,
                             roles: dict, source: dict, mmap_path: str | Path | None = None,
                             mapped: bool = False):
    """An :class:`~embviz.EmbeddingSet` from a tabular source: its vector column as the
    vectors, every other column as metadata (see :func:`~embviz.sources._assemble.assemble`).
    """
    name = find_vector_column(src.schema, vector_column, what)
    if src.num_rows == 0:
        raise ValueError(f"{what} has no rows: expected at least one vector")
    vectors = vectors_from_batches(src.batches(name), src.num_rows, name, what, mmap_path)
    meta = src.read([c for c in src.schema.names if c != name]).to_pandas()
    source = {**source, "vector_column": name}
    if mmap_path is not None:
        source["mmap_path"] = str(mmap_path)
    return assemble(vectors, meta, what, source, roles, mapped=mapped and mmap_path is None)
