"""The last step of every source: vectors + a metadata table -> a checked EmbeddingSet."""

from __future__ import annotations

import datetime as _dt

import numpy as np
import pandas as pd

from .._blocks import float32_overflow_rows
from ..datasets import _corpus_from_frame
from ..embedding_set import EmbeddingSet

#: The metadata roles a source can map from its own columns (as in ``read_corpus``).
ROLES = ("text_column", "label_column", "group_column", "time_column", "id_column")


def check_float32_range(vectors: np.ndarray, what: str, vector_column: str,
                        start: int = 0) -> None:
    """Refuse vectors with finite values beyond float32's range (|x| > 3.4e38).

    Vectors are kept as float32, where such values would become infinite: checked on the
    values as read, before the cast, so the message says what is wrong (not "NaN or
    infinite", which the file never held).
    """
    rows = float32_overflow_rows(vectors)
    if rows.size:
        first = (rows[:5] + start).tolist()
        raise ValueError(f"{what}: {vector_column!r} holds values beyond float32's range "
                         f"(|x| > {np.finfo(np.float32).max:.3g}) in {rows.size} row(s), first "
                         f"at rows {first}; embviz keeps vectors as float32, where they would "
                         f"become infinite: rescale them (e.g. divide by their largest "
                         f"absolute value)")


def storage(vectors: np.ndarray) -> str:
    """How the vectors are held: ``"memory-mapped"`` (a ``.npy`` or Arrow file mapped from
    disk), ``"zero-copy"`` (a view of memory owned by Arrow) or ``"in memory"`` (numpy's)."""
    base = vectors
    while isinstance(base, np.ndarray) and base.base is not None:
        base = base.base
    if isinstance(base, np.memmap) or type(base).__name__ == "mmap":
        return "memory-mapped"
    return "in memory" if isinstance(base, np.ndarray) else "zero-copy"


def assemble(vectors: np.ndarray, meta: pd.DataFrame, what: str, source: dict,
             roles: dict, mapped: bool = False) -> EmbeddingSet:
    """An EmbeddingSet whose provenance says where it came from.

    Parameters
    ----------
    vectors : array of shape (n, d)
    meta : pandas.DataFrame of n rows
        The source's other columns, as stored.
    what : str
        The source, for messages.
    source : dict
        JSON-ready description: ``kind`` and where (path, table, collection, split, ...).
    roles : dict
        ``text_column``, ``label_column``, ... as in :func:`embviz.read_corpus`. Rows with an
        empty text are kept (and reported with a warning), so rows and vectors stay aligned.
    mapped : bool, default False
        Whether the memory a zero-copy view points into is a file Arrow mapped from disk.

    Raises
    ------
    ValueError
        Naming ``what``: an empty source, rows that disagree, a missing column, NaN or
        infinite vectors, or values beyond float32's range (which the float32 vectors of an
        EmbeddingSet cannot hold), with their rows.
    """
    if len(vectors) == 0 or len(meta) == 0:
        raise ValueError(f"{what} has no rows: expected at least one vector")
    if len(meta) != len(vectors):
        raise ValueError(f"{what}: {len(vectors)} vectors but {len(meta)} metadata rows; "
                         f"they must be aligned row by row")
    check_float32_range(vectors, what, source.get("vector_column", "vectors"))
    meta = _corpus_from_frame(meta, what, invalid="keep", **roles)
    provenance = {"source": {**source, "n": len(vectors), "dim": int(vectors.shape[1]),
                             **roles},
                  "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")}
    try:
        data = EmbeddingSet(vectors, meta, provenance)
    except ValueError as err:
        column = source.get("vector_column", "vectors")
        raise ValueError(f"{what}: {column!r}: {err}") from None
    except TypeError as err:
        raise TypeError(f"{what}: {err}") from None
    held = storage(data.vectors)
    data.provenance["source"]["storage"] = ("memory-mapped" if mapped and held == "zero-copy"
                                            else held)
    return data
