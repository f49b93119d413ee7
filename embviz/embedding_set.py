"""``EmbeddingSet``: vectors, the rows they belong to, and where they came from."""

from __future__ import annotations

import hashlib
import json
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ._files import (
    CorruptFileError,
    load_numeric_npy,
    read_json_object,
    remove_orphan_temp_files,
    save_npy_atomic,
    sha256_file,
    write_atomic,
)
from ._validation import check_embeddings

__all__ = ["EmbeddingSet"]


@dataclass
class EmbeddingSet:
    """Embedding vectors aligned row by row with their metadata.

    Parameters
    ----------
    vectors : array of shape (n, d)
        float32 embeddings; row ``i`` belongs to ``meta.iloc[i]``.
    meta : pandas.DataFrame of n rows
        At least ``id`` and ``text``; usually also ``label``, ``group``, ``time``.
    provenance : dict
        How the vectors were made: model (name, path, weights sha256, config), pooling, layer,
        prompt, max length, normalisation, number of truncated texts, embviz version.
    """

    vectors: np.ndarray
    meta: pd.DataFrame
    provenance: dict[str, Any] = field(default_factory=dict)
    #: How ``embviz._validation.vectors_of`` knows a set without importing this module.
    _embviz_set = True

    def __post_init__(self) -> None:
        self.vectors = check_embeddings(self.vectors, name="vectors").astype(np.float32,
                                                                               copy=False)
        if not isinstance(self.meta, pd.DataFrame):
            raise TypeError(f"meta must be a pandas DataFrame, got {type(self.meta).__name__}")
        if len(self.meta) != len(self.vectors):
            raise ValueError(f"meta has {len(self.meta)} rows but vectors has "
                             f"{len(self.vectors)}: they must be aligned row by row")
        missing = {"id", "text"} - set(self.meta.columns)
        if missing:
            raise ValueError(f"meta must have the columns 'id' and 'text'; missing "
                             f"{sorted(missing)} (columns: {list(self.meta.columns)})")
        self.meta = self.meta.reset_index(drop=True)

    def __len__(self) -> int:
        return len(self.vectors)

    def __repr__(self) -> str:
        model = self.provenance.get("model", {}).get("name", "?")
        return (f"EmbeddingSet(n={len(self)}, d={self.dim}, model={model!r}, "
                f"columns={list(self.meta.columns)})")

    @property
    def dim(self) -> int:
        """Embedding dimension ``d``."""
        return self.vectors.shape[1]

    @property
    def texts(self) -> list[str]:
        """The texts, in row order."""
        return self.meta["text"].tolist()

    def subset(self, rows: Any) -> EmbeddingSet:
        """Rows selected by integer positions or a boolean mask, vectors and meta together."""
        rows = np.asarray(rows)
        if rows.dtype == bool:
            if rows.shape != (len(self),):
                raise ValueError(f"a boolean mask must have shape ({len(self)},), "
                                 f"got {rows.shape}")
            rows = np.flatnonzero(rows)
        elif rows.dtype.kind not in "iu":
            raise TypeError(f"rows must be integer positions or a boolean mask, "
                            f"got dtype {rows.dtype}")
        if rows.size and (rows.max() >= len(self) or rows.min() < -len(self)):
            raise IndexError(f"rows out of range for an EmbeddingSet of {len(self)} rows")
        return EmbeddingSet(self.vectors[rows], self.meta.iloc[rows].reset_index(drop=True),
                            dict(self.provenance))

    def save(self, directory: str | Path) -> Path:
        """Write ``vectors.npy``, ``meta.parquet`` and ``provenance.json`` into ``directory``.

        ``provenance.json`` holds the provenance, ``n``, ``dim``, the sha256 of the other two
        files and a sha256 of its own content (``record_sha256``), all checked by :meth:`load`.
        Each file is written to a temp file and renamed, so readers never see half a file;
        temp files that a killed save left in ``directory`` (their writer's process is gone,
        or they are older than a day) are removed first.

        Parameters
        ----------
        directory : path
            Created if missing; the three files in it are replaced.

        Returns
        -------
        Path
            ``directory``.
        """
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        for name in _FILES:  # only our own temp files: the folder may hold the user's files
            remove_orphan_temp_files(directory, f"{name}.tmp*")
        vectors, meta, record_path = (directory / name for name in _FILES)
        save_npy_atomic(vectors, self.vectors)
        write_atomic(meta, lambda tmp: self.meta.to_parquet(tmp, index=False))
        record = json.loads(json.dumps(  # exactly what load will read back
            {"format": _FORMAT_VERSION, "provenance": self.provenance, "n": len(self),
             "dim": self.dim, "vectors_sha256": sha256_file(vectors),
             "meta_sha256": sha256_file(meta)}, default=str))
        record["record_sha256"] = _record_sha256(record)
        write_atomic(record_path, lambda tmp: tmp.write_text(json.dumps(record, indent=2)))
        return directory

    @classmethod
    def load(cls, directory: str | Path, trust_unverified: bool = False) -> EmbeddingSet:
        """Read an EmbeddingSet written by :meth:`save`, checking every file.

        ``provenance.json`` must hold the sha256 of ``vectors.npy`` and ``meta.parquet`` and
        of its own content (every set saved by :meth:`save` does). A set without one of them
        (saved by embviz before format 2, which checksummed only ``vectors.npy``, or whose
        checksums were removed) is refused unless ``trust_unverified=True``.

        Parameters
        ----------
        directory : path
            A folder written by :meth:`save`.
        trust_unverified : bool, default False
            Load a set whose checksums are missing anyway, with a ``UserWarning`` naming
            the files left unchecked (the checksums it has are still checked, and a
            mismatch is still refused); save it again to add the checksums.

        Raises
        ------
        FileNotFoundError
            When one of the three files is missing.
        CorruptFileError
            (a ``ValueError``) naming the file and what is wrong: not a regular file, not
            valid JSON, a missing or wrong-typed field, missing checksums (without
            ``trust_unverified``), a checksum mismatch, an unreadable array or table, or row
            counts that disagree.
        """
        directory = Path(directory)
        vectors, meta, record_path = (directory / name for name in _FILES)
        missing = [f.name for f in (vectors, meta, record_path) if not f.exists()]
        if missing:
            raise FileNotFoundError(f"{directory} is not a saved EmbeddingSet: missing "
                                    f"{missing}")
        for path in (vectors, meta, record_path):
            if not path.is_file():  # a directory, or a FIFO that reading would block on
                raise CorruptFileError(f"{path} is not a regular file")
        record = _read_record(record_path, trust_unverified)
        for path, field_name in ((vectors, "vectors_sha256"), (meta, "meta_sha256")):
            if field_name in record and sha256_file(path) != record[field_name]:
                raise CorruptFileError(f"{path} does not match the checksum recorded in "
                                       f"{record_path.name}: the file is corrupt or was "
                                       f"changed")
        try:
            return cls(_read_vectors(vectors, record), _read_meta(meta, record),
                       record["provenance"])
        except CorruptFileError:
            raise
        except ValueError as err:  # e.g. non-finite vectors in a set saved before checks
            raise CorruptFileError(f"{directory} is not a valid EmbeddingSet: {err}") from None


_FORMAT_VERSION = 2  # 2: meta.parquet and provenance.json checksummed too
_FILES = ("vectors.npy", "meta.parquet", "provenance.json")
_REQUIRED = {"provenance": dict, "n": int, "dim": int}
#: The checksums of a saved set, and the file each one checks.
_CHECKSUMS = {"vectors_sha256": "vectors.npy", "meta_sha256": "meta.parquet",
              "record_sha256": "provenance.json"}
_TYPES = {**_REQUIRED, "format": int, **{name: str for name in _CHECKSUMS}}


def _record_sha256(record: dict) -> str:
    """sha256 of a record's canonical JSON, without its own ``record_sha256`` field."""
    content = {k: v for k, v in record.items() if k != "record_sha256"}
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def _read_record(path: Path, trust_unverified: bool) -> dict:
    """The checked content of ``provenance.json``; see :meth:`EmbeddingSet.load`."""
    try:
        record = read_json_object(path)
    except (ValueError, OSError) as err:
        raise CorruptFileError(f"{path.parent}: {err}") from None
    _check_record_fields(path, record)
    if record.get("format", 1) > _FORMAT_VERSION:
        raise CorruptFileError(f"{path} was written by a newer embviz (format "
                               f"{record['format']} > {_FORMAT_VERSION})")
    missing = [name for name in _CHECKSUMS if name not in record]
    if missing:
        _handle_unverified(path, missing, trust_unverified)
    if "record_sha256" in record and _record_sha256(record) != record["record_sha256"]:
        raise CorruptFileError(f"{path} does not match its checksum (record_sha256): it is "
                               f"corrupt or was edited")
    return record


def _check_record_fields(path: Path, record: dict) -> None:
    """``CorruptFileError`` naming a required field that is missing or any wrong-typed one."""
    missing = sorted(set(_REQUIRED) - set(record))
    if missing:
        raise CorruptFileError(f"{path} is missing the fields {missing}")
    for name, kind in _TYPES.items():
        if name in record and type(record[name]) is not kind:
            raise CorruptFileError(f"{path}: field {name!r} is {record[name]!r}, expected "
                                   f"type {kind.__name__}")


def _handle_unverified(path: Path, missing: list[str], trust_unverified: bool) -> None:
    """Refuse a set whose ``missing`` checksums are absent, or warn if it is trusted."""
    files = [_CHECKSUMS[name] for name in missing]
    what = f"{path} has no checksum of {files} (no field {missing})"
    if not trust_unverified:
        raise CorruptFileError(
            f"{what}: nothing shows that these are the files that were saved (they may have "
            f"been edited, or the set was saved by an embviz older than format 2). If you "
            f"trust them, load it with EmbeddingSet.load({str(path.parent)!r}, "
            f"trust_unverified=True) and save it again to add the checksums")
    warnings.warn(f"{what}: loaded without checking them (trust_unverified=True); save it "
                  f"again to add the checksums", UserWarning, stacklevel=4)


def _read_vectors(path: Path, record: dict) -> np.ndarray:
    try:
        vectors = load_numeric_npy(path)
    except (ValueError, OSError) as err:
        raise CorruptFileError(f"{path} cannot be read as vectors ({err})") from None
    if vectors.shape != (record["n"], record["dim"]):
        raise CorruptFileError(f"{path} has shape {vectors.shape}, but provenance.json says "
                               f"({record['n']}, {record['dim']})")
    return vectors


def _read_meta(path: Path, record: dict) -> pd.DataFrame:
    import pyarrow as pa

    try:
        meta = pd.read_parquet(path)
    except (ValueError, OSError, pa.ArrowException) as err:
        raise CorruptFileError(f"{path} cannot be read as a Parquet table ({err})") from None
    if len(meta) != record["n"]:
        raise CorruptFileError(f"{path} has {len(meta)} rows, but provenance.json says "
                               f"{record['n']}")
    return meta
