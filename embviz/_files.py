"""File helpers shared by the cache, the model registry and EmbeddingSet."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np


def sha256_file(path: str | Path) -> str:
    """Hex sha256 of a file, read in 4 MB blocks (model weights are hundreds of MB)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 22), b""):
            digest.update(block)
    return digest.hexdigest()


def array_sha256(array: np.ndarray) -> str:
    """Hex sha256 of an array's shape, dtype and bytes (C order): its content address."""
    array = np.ascontiguousarray(array)
    digest = hashlib.sha256(str((array.shape, array.dtype.str)).encode())
    digest.update(array.data)
    return digest.hexdigest()


def job_key(job: dict) -> str:
    """Short content key (32 hex digits) of a JSON-ready description of a cached job."""
    return hashlib.sha256(json.dumps(job, sort_keys=True, default=str).encode()).hexdigest()[:32]


def write_atomic(path: str | Path, write: Callable[[Path], None]) -> None:
    """``write(tmp)`` then rename onto ``path``: readers never see a half-written file."""
    path = Path(path)
    tmp = path.with_name(path.name + f".tmp{os.getpid()}")
    write(tmp)
    os.replace(tmp, path)


def load_plain_array(source, name: str) -> np.ndarray:
    """``np.load(source, allow_pickle=False)`` with messages for people, not numpy's hints.

    Parameters
    ----------
    source : str, Path or binary file object
        A ``.npy`` file.
    name : str
        How messages call the file (an upload's own name, never a server path).

    Raises
    ------
    ValueError
        When the file holds Python objects (an object array or a pickle: embviz never
        unpickles), is an ``.npz`` archive or is not a readable ``.npy`` file.
    """
    try:
        array = np.load(source, allow_pickle=False)
    except ValueError as err:
        if "pickle" in str(err) or "Object arrays" in str(err):
            raise ValueError(f"{name} is not a plain .npy array: it holds Python objects (an "
                             f"object array or a pickle); embviz loads plain numeric arrays "
                             f"only and never unpickles") from None
        raise ValueError(f"{name} is not a readable .npy file ({err})") from None
    if not isinstance(array, np.ndarray):
        array.close()
        raise ValueError(f"{name} is an .npz archive; embviz loads one plain .npy array "
                         f"(save it with np.save)")
    return array


class CorruptFileError(ValueError):
    """A checksummed array failed its check (it has been deleted, so it can be rebuilt)."""


def save_checked_array(path: str | Path, array: np.ndarray, record: dict) -> None:
    """``array`` as ``path`` (.npy) and ``record`` + the file's sha256 as its ``.json`` twin."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)

    def write_array(tmp: Path) -> None:
        with open(tmp, "wb") as fh:
            np.save(fh, array)

    write_atomic(path, write_array)
    record = {**record, "sha256": sha256_file(path)}
    write_atomic(path.with_suffix(".json"), lambda p: p.write_text(json.dumps(record)))


def load_checked_array(path: str | Path,
                       shape_ok: Callable[[tuple], bool] = lambda shape: True
                       ) -> tuple[np.ndarray, dict] | None:
    """The array and its record written by :func:`save_checked_array`, ``None`` if absent.

    Raises
    ------
    CorruptFileError
        When the checksum, the file or the shape is wrong; both files are deleted first.
    """
    path = Path(path)
    record_path = path.with_suffix(".json")
    if not (path.exists() and record_path.exists()):
        return None
    try:
        record = json.loads(record_path.read_text())
        if sha256_file(path) != record["sha256"]:
            raise ValueError("checksum mismatch")
        array = load_plain_array(path, path.name)
        if not shape_ok(array.shape):
            raise ValueError(f"unexpected shape {array.shape}")
    except (ValueError, KeyError, OSError) as err:
        path.unlink(missing_ok=True)
        record_path.unlink(missing_ok=True)
        raise CorruptFileError(f"{path} is corrupt ({err})") from None
    return array, record
