"""Content-addressed, chunked, checksummed on-disk cache of embedding jobs.

A job (same model weights, pooling, layers, prompt, max length, normalisation and texts) maps
to one folder ``<cache>/embeddings/<key>/``. Vectors are written chunk by chunk as ``.npy``
files, each with a JSON record holding its sha256, so a stopped job resumes from its last
finished chunk and a corrupt chunk is detected, reported and recomputed. No pickle anywhere.
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
    job_key,
    load_checked_array,
    save_checked_array,
    write_atomic,
)

__all__ = ["CorruptChunkWarning", "cache_key", "cached_compute"]

_logger = logging.getLogger(__name__)
_FORMAT_VERSION = 1


class CorruptChunkWarning(UserWarning):
    """A cached chunk failed its checksum (or could not be read) and is being recomputed."""


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
    """The chunk files of one job folder."""

    def __init__(self, folder: Path):
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    def _path(self, i: int) -> Path:
        return self.folder / f"chunk_{i:05d}.npy"

    def load(self, i: int, rows: int) -> tuple[np.ndarray, dict] | None:
        """The chunk and its record, or ``None`` if absent; corrupt chunks warn and vanish."""
        try:
            return load_checked_array(self._path(i),
                                      lambda shape: len(shape) == 3 and shape[1] == rows)
        except CorruptFileError as err:
            warnings.warn(f"cache chunk {err}; recomputing it", CorruptChunkWarning,
                          stacklevel=3)
            return None

    def save(self, i: int, array: np.ndarray, record: dict) -> None:
        save_checked_array(self._path(i), array, record)


def cached_compute(compute: Callable[[list[str]], tuple[np.ndarray, dict]], texts: list[str],
                   provenance: dict, chunk_size: int = 2048, cache_dir: str | Path | None = None,
                   progress: bool = True) -> tuple[np.ndarray, list[dict]]:
    """Run ``compute`` over ``texts`` chunk by chunk, reusing every chunk already on disk.

    Parameters
    ----------
    compute : callable (list of str) -> (ndarray (L, m, d), dict)
        Embeds one chunk of ``m`` texts; the dict (e.g. ``{"n_truncated": 3}``) is stored with
        the chunk.
    texts : list of str, length n
    provenance : dict
        What decides the vectors (see :func:`cache_key`); written to ``manifest.json``.
    chunk_size : int
        Texts per chunk (the unit of resumption).
    cache_dir : path, optional
        Cache root (default :func:`embviz._config.cache_dir`).

    Returns
    -------
    vectors : ndarray of shape (L, n, d), float32
    records : list of dict, one per chunk
    """
    from .._progress import progress_bar

    root = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    key = cache_key(provenance, texts, chunk_size)
    store = _ChunkStore(root / "embeddings" / key)
    manifest = store.folder / "manifest.json"
    if not manifest.exists():
        write_atomic(manifest, lambda p: p.write_text(json.dumps(
            {"key": key, "n": len(texts), "chunk_size": chunk_size,
             "provenance": provenance}, indent=2, default=str)))
    starts = range(0, len(texts), chunk_size)
    out, records = None, []
    bar = progress_bar(total=len(texts), desc="embedding chunks", unit="text",
                       disable=not progress)
    for i, start in enumerate(starts):
        chunk = texts[start:start + chunk_size]
        found = store.load(i, len(chunk))
        if found is None:
            array, record = compute(chunk)
            array = np.asarray(array, dtype=np.float32)
            store.save(i, array, record)
        else:
            array, record = found
        if out is None:
            out = np.empty((array.shape[0], len(texts), array.shape[2]), np.float32)
        out[:, start:start + len(chunk)] = array
        records.append(record)
        bar.update(len(chunk))
    bar.close()
    _logger.info("embedding cache %s: %d chunks", store.folder, len(records))
    return out, records
