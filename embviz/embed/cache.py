"""Content-addressed, chunked, checksummed on-disk cache of embedding jobs.

A job (same model weights, pooling, layers, prompt, max length, normalisation and texts) maps
to one folder ``<cache>/embeddings/<key>/``. Vectors are written chunk by chunk as ``.npy``
files, each with a JSON record holding its sha256 and binding it to its place: the job key,
the chunk index and the sha256 of the chunk's texts. A stopped job resumes from its last
finished chunk; a corrupt, malformed or misplaced chunk (say, one copied over another), one
holding NaN or inf, or anything but a regular file where a chunk or its record belongs (a
directory, a symbolic link, a FIFO) is reported with :class:`CorruptChunkWarning`, removed
and recomputed. Vectors that are not finite are never written: an encoder that produces them
(a float16 overflow on a GPU) stops the job with an error naming the model and the rows.
Temp files of killed writers are removed when the cache is next used. No pickle anywhere.
"""

from __future__ import annotations

import hashlib
import json
import logging
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np

from .._config import cache_dir as default_cache_dir
from .._files import (
    CorruptFileError,
    check_fields,
    job_key,
    load_checked_array,
    read_json_object,
    remove_non_file,
    remove_orphan_temp_files,
    save_checked_array,
    write_atomic,
)

__all__ = ["CorruptChunkWarning", "cache_key", "cached_compute"]

_logger = logging.getLogger(__name__)
_FORMAT_VERSION = 2  # 2: records bind a chunk to (key, chunk index, texts sha256), info nested


class CorruptChunkWarning(UserWarning):
    """A cached chunk failed its checks (file type, checksum, record, place, shape, finite
    values) and is recomputed."""


def _n_non_finite(array: np.ndarray) -> int:
    """How many entries of ``array`` are NaN or infinite."""
    return int(array.size - np.count_nonzero(np.isfinite(array)))


def _check_finite(array: np.ndarray) -> None:
    """``ValueError`` if a chunk read from disk holds NaN or inf (it is then recomputed)."""
    n_bad = _n_non_finite(array)
    if n_bad:
        raise ValueError(f"it holds {n_bad} non-finite values (NaN or inf)")


def texts_sha256(texts: list[str]) -> str:
    """sha256 over the texts, length-prefixed so that boundaries count."""
    digest = hashlib.sha256()
    for text in texts:
        data = text.encode("utf-8")
        digest.update(len(data).to_bytes(8, "little"))
        digest.update(data)
    return digest.hexdigest()


def cache_key(provenance: dict, texts: list[str], chunk_size: int) -> str:
    """Key of a job: everything that decides the vectors, and nothing that does not.

    The model enters by its weights' sha256 and config (not its path), so moving a virtual
    environment keeps the cache valid while changed weights invalidate it.
    """
    model = {k: provenance["model"][k] for k in ("weights_sha256", "config", "kind")}
    job = {**{k: v for k, v in provenance.items() if k != "model"}, "model": model,
           "texts_sha256": texts_sha256(texts), "chunk_size": chunk_size,
           "format": _FORMAT_VERSION}
    return job_key(job)


class _ChunkStore:
    """The chunk files of one job folder, each bound to the job, its index and its texts."""

    def __init__(self, folder: Path, key: str, info_types: dict[str, type]):
        self.folder, self.key, self.info_types = folder, key, info_types
        folder.mkdir(parents=True, exist_ok=True)

    def _path(self, i: int) -> Path:
        return self.folder / f"chunk_{i:05d}.npy"

    def _place(self, i: int, texts: list[str]) -> dict:
        return {"format": _FORMAT_VERSION, "key": self.key, "chunk": i,
                "texts_sha256": texts_sha256(texts)}

    def _check_info(self, info: object) -> None:
        if not isinstance(info, dict):
            raise ValueError(f"its record has no info object (got {info!r})")
        for name, kind in self.info_types.items():
            if type(info.get(name)) is not kind:
                raise ValueError(f"its record has info {name}={info.get(name)!r}, expected "
                                 f"type {kind.__name__}")

    def load(self, i: int, texts: list[str], tail: tuple[int, int] | None
             ) -> tuple[np.ndarray, dict] | None:
        """Chunk ``i`` of ``texts`` and its info, ``None`` if absent; bad chunks warn, vanish.

        ``tail`` is the (layers, dim) every chunk must have, once the first one is known.
        """
        place = self._place(i, texts)

        def shape_ok(shape: tuple) -> bool:
            return (len(shape) == 3 and shape[1] == len(texts)
                    and tail in (None, (shape[0], shape[2])))

        def check_record(record: dict) -> None:
            check_fields(record, place)
            self._check_info(record.get("info"))

        try:
            found = load_checked_array(self._path(i), shape_ok, check_record, _check_finite)
        except CorruptFileError as err:
            warnings.warn(f"cache chunk {err}; recomputing it", CorruptChunkWarning,
                          stacklevel=4)
            return None
        return None if found is None else (found[0], found[1]["info"])

    def save(self, i: int, texts: list[str], array: np.ndarray, info: dict) -> None:
        """Write chunk ``i``; ``ValueError`` (and nothing written) if it holds NaN or inf."""
        if _n_non_finite(array):
            raise ValueError(self._non_finite_message(i, array))
        save_checked_array(self._path(i), array, {**self._place(i, texts), "info": info})

    def _non_finite_message(self, i: int, array: np.ndarray) -> str:
        """Why chunk ``i`` (ndarray (L, m, d)) is not cached: the model, rows and file."""
        model, chunk_size = self._job_summary()
        rows = np.flatnonzero(~np.isfinite(array).all(axis=(0, 2)))
        where = "of the chunk" if chunk_size is None else "of the corpus"
        rows = rows if chunk_size is None else rows + i * chunk_size
        shown = ", ".join(map(str, rows[:10])) + (", ..." if len(rows) > 10 else "")
        return (f"{model} produced {_n_non_finite(array)} non-finite values (NaN or inf) in "
                f"chunk {i} of the embedding cache job {self.key} (rows [{shown}] {where}): "
                f"{self._path(i)} was not written, so they are not cached. A float16 "
                f"overflow on a GPU does this; embed on device='cpu' (float32) instead")

    def _job_summary(self) -> tuple[str, int | None]:
        """The model's name and the chunk size from the job's manifest, where readable."""
        manifest = self.folder / "manifest.json"
        try:
            record = read_json_object(manifest) if manifest.is_file() else {}
            return str(record["provenance"]["model"]["name"]), int(record["chunk_size"])
        except (OSError, ValueError, KeyError, TypeError):
            return "the model", None


def _open_store(root: Path, key: str, texts: list[str], provenance: dict, chunk_size: int,
                info_types: dict[str, type]) -> _ChunkStore:
    """The job's chunk store, with its manifest, after removing orphan temp files."""
    removed = remove_orphan_temp_files(root / "embeddings", "*/*.tmp*")
    if removed:
        _logger.info("embedding cache: removed %d orphan temp files", len(removed))
    store = _ChunkStore(root / "embeddings" / key, key, info_types)
    manifest = store.folder / "manifest.json"
    remove_non_file(manifest)  # a directory or FIFO there would be read by error messages
    if not manifest.exists():
        write_atomic(manifest, lambda p: p.write_text(json.dumps(
            {"key": key, "n": len(texts), "chunk_size": chunk_size,
             "provenance": provenance}, indent=2, default=str)))
    return store


def cached_compute(compute: Callable[[list[str]], tuple[np.ndarray, dict]], texts: list[str],
                   provenance: dict, chunk_size: int = 2048, cache_dir: str | Path | None = None,
                   progress: bool = True, info_types: dict[str, type] | None = None
                   ) -> tuple[np.ndarray, list[dict]]:
    """Run ``compute`` over ``texts`` chunk by chunk, reusing every chunk already on disk.

    Parameters
    ----------
    compute : callable (list of str) -> (ndarray (L, m, d), dict)
        Embeds one chunk of ``m`` texts; the dict (JSON-ready, e.g. ``{"n_truncated": 3}``)
        is stored with the chunk as its info.
    texts : list of str, length n
    provenance : dict
        What decides the vectors (see :func:`cache_key`); written to ``manifest.json``.
    chunk_size : int
        Texts per chunk (the unit of resumption).
    cache_dir : path, optional
        Cache root (default :func:`embviz._config.cache_dir`).
    progress : bool, default True
    info_types : dict of str -> type, optional
        Fields a stored info must hold, with their exact types (e.g. ``{"n_truncated": int}``);
        a chunk whose info lacks one is recomputed.

    Returns
    -------
    vectors : ndarray of shape (L, n, d), float32
    records : list of dict, one per chunk
        The infos ``compute`` returned (or that were stored with the chunk).

    Warns
    -----
    CorruptChunkWarning
        For each chunk that is corrupt, malformed, not this chunk of this job, holds NaN or
        inf, or is not a regular file (then it is removed and recomputed).

    Raises
    ------
    ValueError
        When ``compute`` returns NaN or inf, naming the model, the chunk and its rows; that
        chunk is not written (the chunks before it stay cached).
    """
    from .._progress import progress_bar

    root = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    key = cache_key(provenance, texts, chunk_size)
    store = _open_store(root, key, texts, provenance, chunk_size, info_types or {})
    out, records = None, []
    bar = progress_bar(total=len(texts), desc="embedding chunks", unit="text",
                       disable=not progress)
    for i, start in enumerate(range(0, len(texts), chunk_size)):
        chunk = texts[start:start + chunk_size]
        tail = None if out is None else (out.shape[0], out.shape[2])
        array, info = _chunk(store, compute, i, chunk, tail)
        if out is None:
            out = np.empty((array.shape[0], len(texts), array.shape[2]), np.float32)
        out[:, start:start + len(chunk)] = array
        records.append(info)
        bar.update(len(chunk))
    bar.close()
    _logger.info("embedding cache %s: %d chunks", store.folder, len(records))
    return out, records


def _chunk(store: _ChunkStore, compute: Callable, i: int, texts: list[str],
           tail: tuple[int, int] | None) -> tuple[np.ndarray, dict]:
    """Chunk ``i`` from the store, or computed and stored."""
    found = store.load(i, texts, tail)
    if found is not None:
        return found
    array, info = compute(texts)
    array = np.asarray(array, dtype=np.float32)
    store.save(i, texts, array, info)
    return array, info
