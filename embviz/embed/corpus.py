"""Embed a corpus into an :class:`~embviz.EmbeddingSet`, through the on-disk cache."""

from __future__ import annotations

import datetime as _dt
from pathlib import Path

import numpy as np
import pandas as pd

from .._validation import check_positive_int, check_texts
from ..embedding_set import EmbeddingSet
from .cache import cached_compute
from .distributed import distributed_compute
from .encoder import Encoder
from .models import DEFAULT_MODEL

__all__ = ["embed_corpus", "embed_corpus_layers"]


def _as_meta(corpus) -> pd.DataFrame:
    """A DataFrame with ``id`` and ``text`` from a DataFrame or a sequence of strings."""
    if isinstance(corpus, pd.DataFrame):
        if "text" not in corpus.columns:
            raise ValueError(f"corpus must have a 'text' column; its columns are "
                             f"{list(corpus.columns)} (use embviz.datasets.read_corpus to "
                             f"choose the text column)")
        meta = corpus.reset_index(drop=True).copy()
    else:
        meta = pd.DataFrame({"text": check_texts(corpus, "corpus")})
    check_texts(meta["text"].tolist(), "corpus['text']")
    if "id" not in meta.columns:
        meta.insert(0, "id", np.arange(len(meta)).astype(str))
    return meta


def embed_corpus_layers(corpus, layers=None, model: str = DEFAULT_MODEL,
                        pooling: str | None = None, prompt: str | None = None,
                        max_length: int | None = None, normalize: bool = False,
                        batch_size: int = 64, device: str = "auto", cache: bool = True,
                        cache_dir: str | Path | None = None, chunk_size: int = 1024,
                        progress: bool = True, client=None) -> list[EmbeddingSet]:
    """Embed a corpus at several layers (one forward pass), one EmbeddingSet per layer.

    Parameters
    ----------
    corpus : DataFrame with a ``text`` column, or sequence of str
        Other columns (``id``, ``label``, ``group``, ``time``, ...) are kept as metadata.
    layers : sequence of int, optional
        Hidden-state indices (0 = embedding layer, -1 = last); default all.
    model, pooling, prompt, max_length, normalize, batch_size, device
        As in :class:`~embviz.embed.Encoder`.
    cache : bool, default True
        Reuse and write the chunked on-disk cache (resumable, checksummed).
    cache_dir : path, optional
        Cache root (default ``$EMBVIZ_CACHE`` or ``~/.cache/embviz``).
    chunk_size : int, default 1024
        Texts per cached chunk.
    client : distributed.Client, optional
        Embed on a Dask cluster (``LocalCluster``, dask-jobqueue, dask-cuda): each missing
        chunk is a task, each worker loads the model once and writes its chunks into the cache,
        which must be one folder that the driver and every worker share (``cache_dir``). The
        vectors equal a single-process run's within the encoder's tolerance; a worker that
        dies loses at most its chunk; a rerun resumes. See :mod:`embviz.embed.distributed`.

    Returns
    -------
    list of EmbeddingSet, one per layer, vectors of shape (n, d)
    """
    meta = _as_meta(corpus)
    encoder = Encoder(model, pooling=pooling, prompt=prompt, max_length=max_length,
                      normalize=normalize, batch_size=batch_size, device=device,
                      progress=progress and not cache)  # with a cache, one bar over chunks
    layers = encoder.resolve_layers(layers)
    chunk_size = check_positive_int(chunk_size, "chunk_size")
    provenance = encoder.provenance(layers)
    texts = meta["text"].tolist()

    def compute(chunk: list[str]):
        return encoder.encode_layers(chunk, layers), {"n_truncated": encoder.n_truncated_}

    extra = {"device": str(encoder.device)}
    if client is not None:
        if not cache:
            raise ValueError("client= needs cache=True: the chunks of the cache are the unit "
                             "of work on the cluster")
        settings = dict(model=model, pooling=encoder.pooling, prompt=prompt,
                        max_length=encoder.max_length, normalize=normalize,
                        batch_size=batch_size, device=device)
        vectors, records, summary = distributed_compute(
            client, settings, layers, texts, provenance, chunk_size, cache_dir, progress,
            info_types={"n_truncated": int})
        n_truncated = sum(r["n_truncated"] for r in records)
        extra = {"device": ",".join(summary["devices"]) or "cache", "dask": summary}
    elif cache:
        vectors, records = cached_compute(compute, texts, provenance, chunk_size, cache_dir,
                                          progress, info_types={"n_truncated": int})
        n_truncated = sum(r["n_truncated"] for r in records)
    else:
        vectors, record = compute(texts)
        n_truncated = record["n_truncated"]
    from .. import __version__

    common = {**provenance, "n_truncated": n_truncated, **extra,
              "embviz_version": __version__,
              "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")}
    return [EmbeddingSet(vectors[i], meta.copy(), {**common, "layer": layer})
            for i, layer in enumerate(layers)]


def embed_corpus(corpus, model: str = DEFAULT_MODEL, layer: int = -1, **kwargs) -> EmbeddingSet:
    """Embed a corpus at one layer into an :class:`~embviz.EmbeddingSet` (cached).

    Parameters
    ----------
    corpus : DataFrame with a ``text`` column, or sequence of str
    model : str, default "minilm"
    layer : int, default -1
    **kwargs
        ``pooling``, ``prompt``, ``max_length``, ``normalize``, ``batch_size``, ``device``,
        ``cache``, ``cache_dir``, ``chunk_size``, ``progress``, ``client`` (a Dask client:
        embed on a cluster); see :func:`embed_corpus_layers`.

    Returns
    -------
    EmbeddingSet
        vectors of shape (n, d), rows aligned with the corpus.

    Examples
    --------
    >>> from embviz.datasets import load_dataset
    >>> es = embed_corpus(load_dataset("lee"), device="cpu", progress=False)
    >>> es.vectors.shape
    (50, 384)
    """
    return embed_corpus_layers(corpus, [layer], model=model, **kwargs)[0]
