"""File helpers shared by the cache, the model registry and EmbeddingSet."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import socket
import stat
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

#: A temp file older than this is an orphan whatever its pid says (pids are reused).
TEMP_MAX_AGE = 24 * 3600.0
_TEMP_NAME = re.compile(r"\.tmp(\d+)(?:\.([0-9a-f]{8}))?$")


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


def _host_tag() -> str:
    """8 hex digits naming this machine, so a shared cache never judges another host's pids."""
    return hashlib.sha256(socket.gethostname().encode()).hexdigest()[:8]


def write_atomic(path: str | Path, write: Callable[[Path], None]) -> None:
    """``write(tmp)`` then rename onto ``path``: readers never see a half-written file.

    The temp file is ``<name>.tmp<pid>.<host tag>``; a failed write removes it, and a killed
    writer's is removed later by :func:`remove_orphan_temp_files`.
    """
    path = Path(path)
    tmp = path.with_name(f"{path.name}.tmp{os.getpid()}.{_host_tag()}")
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _pid_alive(pid: int) -> bool:
    """Whether process ``pid`` runs on this machine (``True`` where it cannot be probed)."""
    if os.name != "posix":  # os.kill(pid, 0) would terminate the process on Windows
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):  # another user's process / not a pid we know
        return True
    return True


def _is_orphan(path: Path, now: float, max_age: float) -> bool:
    match = _TEMP_NAME.search(path.name)
    if match is None:
        return False
    try:
        status = path.lstat()
    except OSError:  # renamed or removed meanwhile
        return False
    if not stat.S_ISREG(status.st_mode):  # write_atomic writes files only
        return False
    if now - status.st_mtime > max_age:
        return True
    host = match.group(2)
    return host in (None, _host_tag()) and not _pid_alive(int(match.group(1)))


def remove_orphan_temp_files(folder: str | Path, pattern: str = "*.tmp*",
                             max_age: float = TEMP_MAX_AGE) -> list[Path]:
    """Delete temp files left by :func:`write_atomic` writers that were killed.

    A temp file is an orphan when its writer's pid is not alive on this machine, or when it is
    older than ``max_age`` seconds (pids are reused). A live writer's temp file, or one
    written on another machine sharing the cache, is kept until it is that old.

    Parameters
    ----------
    folder : path
        Where to look; a missing folder holds nothing.
    pattern : str, default "*.tmp*"
        Glob below ``folder`` (e.g. ``"*/*.tmp*"`` for one level of subfolders).
    max_age : float, default :data:`TEMP_MAX_AGE` (one day)

    Returns
    -------
    list of Path
        The files removed.
    """
    now = time.time()
    removed = [path for path in Path(folder).glob(pattern) if _is_orphan(path, now, max_age)]
    for path in removed:
        path.unlink(missing_ok=True)
    return removed


_KINDS = ((stat.S_ISDIR, "a directory"), (stat.S_ISLNK, "a symbolic link"),
          (stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"),
          (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"))


def _kind_of(mode: int) -> str:
    """What a file of ``st_mode`` ``mode`` is, in words (``"a directory"``, ``"a FIFO"``...)."""
    return next((kind for is_kind, kind in _KINDS if is_kind(mode)), "not a regular file")


def remove_non_file(path: str | Path) -> str | None:
    """Remove what sits at ``path`` unless it is a regular file; say what it was.

    Nothing at ``path`` is opened or followed: a symbolic link (even a loop) is unlinked, not
    its target; a FIFO, socket or device node is unlinked without being read (reading a FIFO
    would block); a directory is removed with its content only when it is a real directory
    exactly at ``path`` (``shutil.rmtree`` does not follow symbolic links inside it).

    Parameters
    ----------
    path : path
        Where a file written by :func:`write_atomic` belongs (a cache chunk or its record).

    Returns
    -------
    str or None
        What was removed (e.g. ``"a directory"``), or ``None`` when ``path`` is a regular
        file or absent (then nothing is touched).
    """
    path = Path(path)
    try:
        mode = path.lstat().st_mode
    except FileNotFoundError:
        return None
    if stat.S_ISREG(mode):
        return None
    try:
        if stat.S_ISDIR(mode):
            shutil.rmtree(path)
        else:
            path.unlink()
    except FileNotFoundError:  # another process removed it meanwhile
        pass
    return _kind_of(mode)


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
    """A checked file is corrupt, malformed or was changed; the message names it and why."""


def check_fields(record: dict, expected: dict) -> None:
    """Raise ``ValueError`` naming the first field of ``record`` that differs from ``expected``."""
    for name, value in expected.items():
        if name not in record:
            raise ValueError(f"its record has no field {name!r}")
        if record[name] != value or type(record[name]) is not type(value):
            raise ValueError(f"its record has {name}={record[name]!r}, expected {value!r}")


def read_json_object(path: Path) -> dict:
    """The JSON object in ``path``; ``ValueError`` if it is not valid JSON or not an object."""
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, RecursionError) as err:  # JSONDecodeError, UnicodeDecodeError
        raise ValueError(f"{path.name} is not valid JSON ({err})") from None
    if not isinstance(record, dict):
        raise ValueError(f"{path.name} is not a JSON object (it holds "
                         f"{type(record).__name__})")
    return record


def save_npy_atomic(path: Path, array: np.ndarray) -> None:
    """``np.save`` through :func:`write_atomic` (to an open file, so no ``.npy`` is appended)."""

    def write_array(tmp: Path) -> None:
        with open(tmp, "wb") as fh:
            np.save(fh, array)

    write_atomic(path, write_array)


def load_numeric_npy(path: Path) -> np.ndarray:
    """A numeric array from a ``.npy`` file, without pickle; ``ValueError`` for anything else."""
    array = load_plain_array(path, path.name)
    if array.dtype.kind not in "biuf":
        raise ValueError(f"{path.name} holds dtype {array.dtype}, not numbers")
    return array


def save_checked_array(path: str | Path, array: np.ndarray, record: dict) -> None:
    """``array`` as ``path`` (.npy) and ``record`` + the file's sha256 as its ``.json`` twin."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    save_npy_atomic(path, array)
    record = {**record, "sha256": sha256_file(path)}
    write_atomic(path.with_suffix(".json"), lambda p: p.write_text(json.dumps(record)))


def load_checked_array(path: str | Path,
                       shape_ok: Callable[[tuple], bool] = lambda shape: True,
                       check_record: Callable[[dict], None] = lambda record: None,
                       check_array: Callable[[np.ndarray], None] = lambda array: None
                       ) -> tuple[np.ndarray, dict] | None:
    """The array and its record written by :func:`save_checked_array`, ``None`` if absent.

    Parameters
    ----------
    path : path
        The ``.npy`` file; its record is the ``.json`` beside it.
    shape_ok : callable (tuple) -> bool
        Whether the array's shape is the one expected.
    check_record : callable (dict) -> None
        Raises ``ValueError`` (saying what is wrong) when the record does not belong here,
        e.g. ``lambda r: check_fields(r, {"key": key})``.
    check_array : callable (ndarray) -> None
        Raises ``ValueError`` (saying what is wrong) when the array's values cannot be used,
        e.g. when they are not finite.

    Raises
    ------
    CorruptFileError
        When the array or its record is not a regular file (a directory, a symbolic link, a
        FIFO...: it is removed, never read), the record is not a JSON object with a
        ``sha256`` string, ``check_record`` or ``check_array`` refuses it, or the checksum,
        the file, its dtype or its shape is wrong; both files are deleted first, so the
        caller can rebuild them.
    """
    path = Path(path)
    record_path = path.with_suffix(".json")
    _remove_non_files(path, record_path)
    if not (path.exists() and record_path.exists()):
        return None
    try:
        record = _read_checked(path, record_path, shape_ok, check_record, check_array)
    except (ValueError, OSError) as err:
        path.unlink(missing_ok=True)
        record_path.unlink(missing_ok=True)
        raise CorruptFileError(f"{path} is corrupt ({err})") from None
    return record


def _remove_non_files(path: Path, record_path: Path) -> None:
    """``CorruptFileError`` if the array or its record is not a regular file (both removed)."""
    found = [f"{p.name} was {kind}" for p in (path, record_path)
             if (kind := remove_non_file(p)) is not None]
    if found:
        path.unlink(missing_ok=True)
        record_path.unlink(missing_ok=True)
        raise CorruptFileError(f"{path} is corrupt ({', '.join(found)}, not a regular file; "
                               f"removed)")


def _read_checked(path: Path, record_path: Path, shape_ok: Callable[[tuple], bool],
                  check_record: Callable[[dict], None],
                  check_array: Callable[[np.ndarray], None]) -> tuple[np.ndarray, dict]:
    record = read_json_object(record_path)
    if not isinstance(record.get("sha256"), str):
        raise ValueError(f"its record has no sha256 string (got {record.get('sha256')!r})")
    check_record(record)
    if sha256_file(path) != record["sha256"]:
        raise ValueError("checksum mismatch")
    array = load_numeric_npy(path)
    if not shape_ok(array.shape):
        raise ValueError(f"unexpected shape {array.shape}")
    check_array(array)
    return array, record
