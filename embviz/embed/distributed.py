"""Embedding on Dask: the chunks of the content-addressed cache are the unit of work.

The driver opens the job's folder in the cache (:mod:`embviz.embed.cache`), keeps every chunk
already there and sends each missing chunk to the cluster with ``client.submit``. A worker
loads the model once (one :class:`~embviz.embed.Encoder` per worker process, kept between
tasks), embeds its chunk and writes the same checksummed chunk file a single process would,
into a cache folder every worker and the driver share; it returns only a small record. The
driver reads each chunk back as it finishes (``as_completed``; the checksum is checked), so
progress shows chunk by chunk, and assembles the result.

A worker that dies mid-job loses at most the chunk it was writing (files are written to a
temp name and renamed): Dask reschedules that task on another worker, and a rescheduled task
whose chunk is already on disk returns at once. A job that stops resumes from the chunks on
disk when it is run again. The same code runs on a ``LocalCluster``, on an HPC scheduler
through dask-jobqueue and on GPU workers through dask-cuda (docs/scale.md, "Embedding on Dask").
"""

from __future__ import annotations

import os
import threading
import uuid
from pathlib import Path

import numpy as np

from .cache import _ChunkStore, _open_store, cache_key

__all__ = ["distributed_compute"]

#: The encoders this (worker) process has loaded, by their settings, and how often each was
#: loaded: read by tests with ``client.run`` to show that a worker loads its model once.
_ENCODERS: dict[tuple, object] = {}
LOADS: dict[tuple, int] = {}
_LOCK = threading.Lock()


def _worker_encoder(settings: dict):
    """This process's encoder for ``settings``, built on first use and kept (one at a time).

    A worker embeds one chunk at a time, with as many torch threads as the worker has
    (``nthreads``): a Dask nanny starts its worker with ``OMP_NUM_THREADS=1``, which would
    leave a worker of 8 threads (say a ``SLURMCluster(cores=8, processes=1)`` job) on one.
    """
    from distributed import get_worker

    from .encoder import Encoder

    token = tuple(sorted(settings.items()))
    with _LOCK:
        if token not in _ENCODERS:
            _ENCODERS.clear()  # a new model replaces the previous one: one in memory
            _ENCODERS[token] = Encoder(**settings, progress=False)
            LOADS[token] = LOADS.get(token, 0) + 1
            import torch

            torch.set_num_threads(get_worker().state.nthreads)
        return _ENCODERS[token]


def _embed_chunk(settings: dict, layers: list[int], provenance: dict, folder: str, key: str,
                 index: int, texts: list[str], info_types: dict) -> dict:
    """On a worker: chunk ``index`` of the job, from the shared cache or embedded and saved.

    Returns a small record (the vectors travel through the shared folder, not the network).
    """
    store = _ChunkStore(Path(folder), key, info_types)
    if store.load(index, texts, None) is not None:  # finished before a worker died
        return {"chunk": index, "computed": False, "pid": os.getpid(), "device": None}
    encoder = _worker_encoder(settings)
    if encoder.provenance(layers) != provenance:
        raise RuntimeError(f"the worker's model differs from the driver's (its provenance "
                           f"{encoder.provenance(layers)['model']} vs "
                           f"{provenance['model']}): install the same model weights on every "
                           f"worker")
    with _LOCK:  # one chunk at a time per worker, torch on all of the worker's threads
        array = encoder.encode_layers(texts, layers)
        info = {"n_truncated": encoder.n_truncated_}
    store.save(index, texts, np.asarray(array, dtype=np.float32), info)
    return {"chunk": index, "computed": True, "pid": os.getpid(),
            "device": str(encoder.device)}


def distributed_compute(client, settings: dict, layers: list[int], texts: list[str],
                        provenance: dict, chunk_size: int, cache_dir: str | Path | None,
                        progress: bool = True, info_types: dict[str, type] | None = None
                        ) -> tuple[np.ndarray, list[dict], dict]:
    """Embed ``texts`` chunk by chunk on a Dask cluster, through the shared on-disk cache.

    Parameters
    ----------
    client : distributed.Client
        Connected to any cluster: ``LocalCluster``, dask-jobqueue (``SLURMCluster``, ...),
        dask-cuda ``LocalCUDACluster``, or a scheduler address.
    settings : dict
        Arguments of :class:`~embviz.embed.Encoder` (model, pooling, prompt, max_length,
        normalize, batch_size, device); each worker builds its encoder from them once.
    layers : list of int
        Non-negative hidden-state indices.
    texts : list of str, length n
    provenance : dict
        The driver's encoder provenance: the cache key, and what each worker must match.
    chunk_size : int
        Texts per chunk: the unit of work, of resumption and of progress.
    cache_dir : path, optional
        Cache root; it must be one folder that the driver and every worker see (a network
        filesystem on a cluster). Default :func:`embviz._config.cache_dir`.
    progress : bool, default True
    info_types : dict, optional
        As in :func:`~embviz.embed.cached_compute`.

    Returns
    -------
    vectors : ndarray of shape (L, n, d), float32
    records : list of dict, one per chunk
        The infos stored with the chunks.
    summary : dict
        ``chunks``, ``computed`` (chunks embedded by workers in this call), ``cached``,
        ``devices`` (the workers' torch devices) and ``workers`` (their process ids).

    Raises
    ------
    RuntimeError
        When a chunk a worker reported cannot be read by the driver (the cache folder is not
        shared), or a worker's model differs from the driver's. A task that fails is retried
        twice; a worker that dies is replaced by Dask and its chunk rescheduled.
    """
    from .._config import cache_dir as default_cache_dir
    from .._progress import progress_bar

    info_types = info_types or {}
    root = Path(cache_dir if cache_dir is not None else default_cache_dir()).resolve()
    key = cache_key(provenance, texts, chunk_size)
    store = _open_store(root, key, texts, provenance, chunk_size, info_types)
    starts = list(range(0, len(texts), chunk_size))
    assembly = _Assembly(store, texts, starts, chunk_size)
    bar = progress_bar(total=len(texts), desc="embedding chunks (dask)", unit="text",
                       disable=not progress)
    missing = [i for i in range(len(starts)) if not assembly.take(i, bar)]
    summary = {"chunks": len(starts), "computed": 0, "cached": len(starts) - len(missing),
               "devices": set(), "workers": set()}
    if missing:
        _run(client, assembly, missing, settings, layers, provenance, info_types, bar,
             summary)
    bar.close()
    summary.update(devices=sorted(summary["devices"]), workers=sorted(summary["workers"]))
    return assembly.out, assembly.records, summary


def _run(client, assembly: _Assembly, missing: list[int], settings: dict, layers: list[int],
         provenance: dict, info_types: dict, bar, summary: dict) -> None:
    """Submit the missing chunks and take each one as it finishes."""
    from distributed import as_completed

    store, token = assembly.store, uuid.uuid4().hex[:8]
    futures = [client.submit(_embed_chunk, settings, layers, provenance, str(store.folder),
                             store.key, i, assembly.texts_of(i), info_types, retries=2,
                             pure=False, key=f"embviz-chunk-{i:05d}-{token}")
               for i in missing]
    try:
        for future in as_completed(futures):
            result = future.result()
            future.release()
            if not assembly.take(result["chunk"], bar):
                raise RuntimeError(f"a worker wrote chunk {result['chunk']} into "
                                   f"{store.folder}, but the driver cannot read it there: "
                                   f"cache_dir must be one folder that the driver and every "
                                   f"worker share (e.g. on a network filesystem)")
            summary["computed"] += result["computed"]
            summary["cached"] += not result["computed"]
            summary["workers"].add(result["pid"])
            if result["device"]:
                summary["devices"].add(result["device"])
    except BaseException:
        client.cancel(futures)
        raise


class _Assembly:
    """The driver's result: chunks read from the shared store into one array, in order."""

    def __init__(self, store: _ChunkStore, texts: list[str], starts: list[int],
                 chunk_size: int):
        self.store, self.texts, self.starts, self.chunk_size = store, texts, starts, chunk_size
        self.out: np.ndarray | None = None
        self.records: list[dict | None] = [None] * len(starts)

    def texts_of(self, i: int) -> list[str]:
        return self.texts[self.starts[i]:self.starts[i] + self.chunk_size]

    def take(self, i: int, bar) -> bool:
        """Read chunk ``i`` from the store into the result; ``False`` if it is not there."""
        chunk = self.texts_of(i)
        tail = None if self.out is None else (self.out.shape[0], self.out.shape[2])
        found = self.store.load(i, chunk, tail)
        if found is None:
            return False
        array, info = found
        if self.out is None:
            self.out = np.empty((array.shape[0], len(self.texts), array.shape[2]), np.float32)
        self.out[:, self.starts[i]:self.starts[i] + len(chunk)] = array
        self.records[i] = info
        bar.update(len(chunk))
        return True
