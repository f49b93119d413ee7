"""Embedding on a real Dask LocalCluster (2 worker processes on loopback), one killed mid-job.

The cluster is shared by the module's tests. Workers run the real default model (minilm) on
CPU and write the real chunk files of the content-addressed cache.
"""

from __future__ import annotations

import os
import signal
import threading
import time

import numpy as np
import pytest

from embviz.datasets import load_dataset
from embviz.embed import embed_corpus

N_TEXTS, CHUNK = 2000, 50
N_CHUNKS = N_TEXTS // CHUNK


@pytest.fixture(scope="module")
def client():
    from distributed import Client, LocalCluster

    environ = dict(os.environ)
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                           host="127.0.0.1", dashboard_address=None, memory_limit="4GiB")
    # the nanny set OMP_NUM_THREADS=1 etc. in this process for its workers: later tests (and
    # their subprocesses) keep every core
    os.environ.clear()
    os.environ.update(environ)
    client = Client(cluster)
    yield client
    client.close()
    cluster.close()


@pytest.fixture(scope="module")
def texts():
    """2,000 short texts (the first words of WordNet glosses): the CI budget is two cores."""
    glosses = load_dataset("wordnet", n=N_TEXTS, random_state=3)["text"]
    return [" ".join(gloss.split()[:4]) for gloss in glosses]


#: Chunks the single-process reference embeds (every fourth, before and after the kill):
#: the whole reference would cost a third of the CI budget of these tests.
REFERENCE_CHUNKS = range(0, N_CHUNKS, 4)


@pytest.fixture(scope="module")
def single_process(texts, minilm):
    """Chunk by chunk in this process, as embed_corpus(..., chunk_size=CHUNK) embeds them."""
    layer = minilm.resolve_layers([-1])
    return {i: minilm.encode_layers(texts[i * CHUNK:(i + 1) * CHUNK], layer)[0]
            for i in REFERENCE_CHUNKS}


def _chunk_files(cache) -> list:
    return sorted(cache.glob("embeddings/*/chunk_*.npy"))


def _kill_one_worker_when(client, cache, n_done: int) -> tuple[int, dict]:
    """Wait until ``n_done`` chunks are on disk, then SIGKILL one worker process."""
    deadline = time.monotonic() + 120
    while len(_chunk_files(cache)) < n_done:
        assert time.monotonic() < deadline, "the cluster wrote no chunks"
        time.sleep(0.05)
    pids = client.run(os.getpid)
    victim = sorted(pids.values())[0]
    done = {p: p.stat().st_mtime_ns for p in _chunk_files(cache)}
    os.kill(victim, signal.SIGKILL)
    return victim, done


def test_a_worker_killed_mid_job_loses_at_most_its_chunk(client, texts, single_process,
                                                        tmp_path):
    from embviz._progress import report_progress
    from embviz.embed.cache import _ChunkStore

    cache = tmp_path / "shared"
    result: dict = {}
    seen: list = []

    def job():
        with report_progress(lambda desc, n, total: seen.append((desc, n, total))):
            result["data"] = embed_corpus(texts, device="cpu", chunk_size=CHUNK,
                                          progress=False, cache_dir=cache, client=client)

    thread = threading.Thread(target=job)
    thread.start()
    victim, done_before = _kill_one_worker_when(client, cache, n_done=6)
    thread.join(timeout=300)
    assert not thread.is_alive(), "the job did not finish after a worker was killed"
    data = result["data"]

    for i, expected in single_process.items():  # as a single process embeds them
        np.testing.assert_allclose(data.vectors[i * CHUNK:(i + 1) * CHUNK], expected,
                                   atol=1e-5, rtol=0)
    assert data.meta["text"].tolist() == texts
    files = _chunk_files(cache)
    assert [int(f.stem.split("_")[1]) for f in files] == list(range(N_CHUNKS))  # none lost
    store = _ChunkStore(files[0].parent, files[0].parent.name, {"n_truncated": int})
    for i, f in enumerate(files):  # every chunk is this job's chunk i, checksum intact
        assert store.load(i, texts[i * CHUNK:(i + 1) * CHUNK], None) is not None
    # chunks finished before the kill were kept, not recomputed
    assert all(p.stat().st_mtime_ns == t for p, t in done_before.items())
    summary = data.provenance["dask"]
    assert summary["chunks"] == N_CHUNKS
    assert summary["computed"] + summary["cached"] == N_CHUNKS  # each chunk taken once
    assert summary["computed"] >= N_CHUNKS - 1 and victim not in client.run(os.getpid).values()
    assert data.provenance["device"] == "cpu"
    counts = [n for desc, n, _ in seen if desc == "embedding chunks (dask)"]
    assert counts == list(range(0, N_TEXTS + 1, CHUNK)) + [N_TEXTS]  # chunk by chunk, closed

    # each surviving worker process loaded the model once
    from embviz.embed import distributed

    loads = client.run(lambda: sum(distributed.LOADS.values()))
    assert all(count <= 1 for count in loads.values()) and max(loads.values()) == 1

    # a rerun resumes: three chunks removed, three recomputed, the rest read from disk
    for f in files[5:8]:
        f.unlink()
    again = embed_corpus(texts, device="cpu", chunk_size=CHUNK, progress=False,
                         cache_dir=cache, client=client)
    assert (again.provenance["dask"]["computed"], again.provenance["dask"]["cached"]) == (
        3, N_CHUNKS - 3)
    np.testing.assert_array_equal(again.vectors, data.vectors)
    assert not list(cache.glob("embeddings/*/*.tmp*"))  # the killed writer's temp file went


def test_client_needs_the_cache(client, texts):
    with pytest.raises(ValueError, match="client= needs cache=True"):
        embed_corpus(texts[:10], device="cpu", cache=False, client=client)


def test_cli_embeds_on_the_scheduler(client, texts, tmp_path, capsys):
    """The large-corpus pipeline: `embviz embed ... --scheduler ADDRESS` (then `embviz summary
    out/`, which reads a saved set like any source: tests/test_cli_sources.py)."""
    import pandas as pd

    from embviz import EmbeddingSet
    from embviz.cli import main

    pd.DataFrame({"body": texts[:300], "topic": ["a", "b", "c"] * 100}).to_parquet(
        tmp_path / "corpus.parquet")
    assert main(["embed", str(tmp_path / "corpus.parquet"), "--text-column", "body",
                 "--label-column", "topic", "--device", "cpu", "--chunk-size", "100",
                 "--cache-dir", str(tmp_path / "cache"), "--scheduler",
                 client.scheduler.address, "--out", str(tmp_path / "out")]) == 0
    data = EmbeddingSet.load(tmp_path / "out")
    assert data.provenance["dask"]["computed"] == 3 and len(data) == 300
    assert data.meta["label"].tolist() == ["a", "b", "c"] * 100
    assert "300 texts embedded with minilm" in capsys.readouterr().out
