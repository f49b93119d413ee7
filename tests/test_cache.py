"""The chunked on-disk cache: hits, resumption after interruption, corruption, keys."""

import warnings

import numpy as np
import pytest

from embviz.datasets import load_dataset
from embviz.embed import CorruptChunkWarning, Encoder, embed_corpus


@pytest.fixture(scope="module")
def corpus():
    return load_dataset("wordnet", n=60, random_state=5)


@pytest.fixture
def calls(monkeypatch):
    """Count (and optionally interrupt) the real forward passes, chunk by chunk."""
    state = {"chunks": 0, "fail_at": None}
    original = Encoder.encode_layers

    def counting(self, texts, layers=None):
        if state["fail_at"] is not None and state["chunks"] == state["fail_at"]:
            raise KeyboardInterrupt("simulated interruption")
        state["chunks"] += 1
        return original(self, texts, layers)

    monkeypatch.setattr(Encoder, "encode_layers", counting)
    return state


def _embed(corpus, cache_dir, **kwargs):
    return embed_corpus(corpus, device="cpu", progress=False, cache_dir=cache_dir,
                        chunk_size=16, **kwargs)


def test_second_run_is_a_cache_hit(corpus, tmp_path, calls):
    first = _embed(corpus, tmp_path)
    assert calls["chunks"] == 4  # 60 texts in chunks of 16
    second = _embed(corpus, tmp_path)
    assert calls["chunks"] == 4
    np.testing.assert_array_equal(first.vectors, second.vectors)
    assert second.provenance["model"]["name"] == "minilm"
    assert second.meta["id"].tolist() == corpus["id"].tolist()


def test_interrupted_job_resumes_from_last_finished_chunk(corpus, tmp_path, calls):
    calls["fail_at"] = 2
    with pytest.raises(KeyboardInterrupt):
        _embed(corpus, tmp_path)
    assert calls["chunks"] == 2
    calls["fail_at"] = None
    resumed = _embed(corpus, tmp_path)
    assert calls["chunks"] == 4  # only chunks 3 and 4 were computed
    fresh = embed_corpus(corpus, device="cpu", progress=False, cache=False)
    np.testing.assert_allclose(resumed.vectors, fresh.vectors, atol=1e-5)


def test_corrupt_chunk_is_detected_and_recomputed(corpus, tmp_path, calls):
    first = _embed(corpus, tmp_path)
    chunk = sorted(tmp_path.glob("embeddings/*/chunk_00001.npy"))[0]
    data = bytearray(chunk.read_bytes())
    data[-5] ^= 0xFF
    chunk.write_bytes(bytes(data))
    with pytest.warns(CorruptChunkWarning, match="chunk_00001.npy is corrupt.*checksum"):
        again = _embed(corpus, tmp_path)
    assert calls["chunks"] == 5  # 4 + the one recomputed chunk
    np.testing.assert_array_equal(first.vectors, again.vectors)


def test_truncated_chunk_file_is_detected(corpus, tmp_path, calls):
    _embed(corpus, tmp_path)
    chunk = sorted(tmp_path.glob("embeddings/*/chunk_00000.npy"))[0]
    chunk.write_bytes(chunk.read_bytes()[:100])
    with pytest.warns(CorruptChunkWarning):
        _embed(corpus, tmp_path)
    assert calls["chunks"] == 5


def test_key_depends_on_what_decides_the_vectors(corpus, tmp_path, calls):
    _embed(corpus, tmp_path)
    _embed(corpus, tmp_path, prompt="query: ")
    _embed(corpus, tmp_path, pooling="cls")
    _embed(corpus.iloc[:-1], tmp_path)
    assert len(list(tmp_path.glob("embeddings/*/manifest.json"))) == 4
    _embed(corpus, tmp_path, batch_size=7)  # batch size does not change the vectors
    assert len(list(tmp_path.glob("embeddings/*/manifest.json"))) == 4


def test_layers_are_cached_together(corpus, tmp_path, calls):
    from embviz.embed import embed_corpus_layers

    sets = embed_corpus_layers(corpus, [0, 3, -1], device="cpu", progress=False,
                               cache_dir=tmp_path, chunk_size=32)
    assert [s.provenance["layer"] for s in sets] == [0, 3, 6] and calls["chunks"] == 2
    last = _embed(corpus, tmp_path)
    assert not np.allclose(sets[0].vectors, sets[2].vectors)
    np.testing.assert_allclose(sets[2].vectors, last.vectors, atol=1e-5)


def test_cache_files_load_without_pickle(corpus, tmp_path):
    _embed(corpus, tmp_path)
    for chunk in tmp_path.glob("embeddings/*/chunk_*.npy"):
        assert np.load(chunk, allow_pickle=False).dtype == np.float32


def _chunk_files(cache_dir, i):
    [chunk] = cache_dir.glob(f"embeddings/*/chunk_{i:05d}.npy")
    return chunk, chunk.with_suffix(".json")


@pytest.mark.parametrize("text", ["[]", "null"])
def test_non_object_record_is_recomputed(corpus, tmp_path, calls, text):
    first = _embed(corpus, tmp_path)
    _chunk_files(tmp_path, 1)[1].write_text(text)
    with pytest.warns(CorruptChunkWarning, match="chunk_00001.npy is corrupt.*JSON object"):
        again = _embed(corpus, tmp_path)
    assert calls["chunks"] == 5
    np.testing.assert_array_equal(first.vectors, again.vectors)
    _embed(corpus, tmp_path)  # and the next run is a plain hit
    assert calls["chunks"] == 5


def test_malformed_records_and_shapes_are_recomputed(corpus, tmp_path, calls):
    """Missing and wrong-typed fields, a truncated record, a checksummed array of wrong shape."""
    import json

    from embviz._files import save_checked_array

    first = _embed(corpus, tmp_path)
    npy, record_path = _chunk_files(tmp_path, 0)
    record = json.loads(record_path.read_text())
    record_path.write_text(json.dumps({k: v for k, v in record.items() if k != "sha256"}))
    _chunk_files(tmp_path, 1)[1].write_text(json.dumps({**record, "sha256": 5}))
    path = _chunk_files(tmp_path, 2)[1]
    path.write_text(path.read_text()[:20])
    npy, path = _chunk_files(tmp_path, 3)
    wrong = np.zeros((1, 11, 384), np.float32)  # chunk 3 holds 12 texts
    save_checked_array(npy, wrong, {k: v for k, v in json.loads(path.read_text()).items()
                                    if k != "sha256"})
    with pytest.warns(CorruptChunkWarning) as caught:
        again = _embed(corpus, tmp_path)
    assert len(caught) == 4 and calls["chunks"] == 8
    assert "shape" in str(caught[-1].message)
    np.testing.assert_array_equal(first.vectors, again.vectors)


def test_chunk_copied_over_another_is_recomputed(corpus, tmp_path, calls):
    """A chunk pair copied within a job, or from another job, is refused: rows stay right."""
    import shutil

    _embed(corpus, tmp_path, prompt="query: ")
    [other] = {p.parent for p in tmp_path.glob("embeddings/*/chunk_*.npy")}
    _embed(corpus, tmp_path)
    [job] = {p.parent for p in tmp_path.glob("embeddings/*/chunk_*.npy")} - {other}
    for suffix in (".npy", ".json"):
        shutil.copy(job / f"chunk_00000{suffix}", job / f"chunk_00001{suffix}")
        shutil.copy(other / f"chunk_00002{suffix}", job / f"chunk_00002{suffix}")
    assert calls["chunks"] == 8
    with pytest.warns(CorruptChunkWarning) as caught:
        again = _embed(corpus, tmp_path)
    assert calls["chunks"] == 10
    assert {str(w.message).split(" is corrupt")[0][-15:] for w in caught} == {
        "chunk_00001.npy", "chunk_00002.npy"}
    fresh = embed_corpus(corpus, device="cpu", progress=False, cache=False)
    np.testing.assert_allclose(again.vectors, fresh.vectors, atol=1e-5)


def test_orphan_temp_files_are_cleaned(corpus, tmp_path, calls):
    """Temp files of dead writers (or older than a day) go; a live writer's stays."""
    import os
    import subprocess
    import sys
    import time

    from embviz._files import _host_tag

    _embed(corpus, tmp_path)
    job = _chunk_files(tmp_path, 0)[0].parent
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    here = _host_tag()
    orphans = [job / f"chunk_00001.npy.tmp{dead.pid}.{here}",  # as write_atomic names them
               job / f"chunk_00001.json.tmp{dead.pid}",  # as older versions named them
               job / f"chunk_00002.json.tmp{os.getppid()}.{here}"]  # live pid, two days old
    kept = [job / f"chunk_00003.npy.tmp{os.getpid()}.{here}",  # a live writer
            job / f"chunk_00003.npy.tmp{os.getpid()}",
            job / f"chunk_00000.npy.tmp{dead.pid}.{'f' * 8}"]  # fresh, from another machine
    for path in orphans + kept:
        path.write_bytes(b"partial")
    os.utime(orphans[-1], (time.time() - 2 * 86400,) * 2)
    _embed(corpus, tmp_path)
    assert calls["chunks"] == 4  # a cache hit
    assert [p.exists() for p in orphans + kept] == [False] * 3 + [True] * 3


@pytest.mark.parametrize("value, rows", [(np.nan, slice(None)), (np.inf, 3)])
def test_non_finite_chunk_is_recomputed(corpus, tmp_path, calls, value, rows):
    """A checksummed chunk of NaN (or one row of inf) with a valid record, as a float16
    overflow would have cached it, is refused by name and recomputed, not passed on."""
    import json

    from embviz._files import save_checked_array

    first = _embed(corpus, tmp_path)
    npy, record_path = _chunk_files(tmp_path, 1)
    record = {k: v for k, v in json.loads(record_path.read_text()).items() if k != "sha256"}
    array = np.load(npy)
    array[:, rows] = value
    save_checked_array(npy, array, record)
    with pytest.warns(CorruptChunkWarning, match=r"chunk_00001\.npy is corrupt \(it holds "
                                                 r"\d+ non-finite values"):
        again = _embed(corpus, tmp_path)
    assert calls["chunks"] == 5
    np.testing.assert_array_equal(first.vectors, again.vectors)
    _embed(corpus, tmp_path)  # and the next run is a plain hit
    assert calls["chunks"] == 5


def _make_directory(path):
    """A folder with a file and a link to the job's manifest (which must survive) inside."""
    path.mkdir()
    (path / "inside.txt").write_text("x")
    (path / "manifest_link").symlink_to(path.parent / "manifest.json")


def _make_fifo(path):
    import os

    os.mkfifo(path)


def _make_symlink_loop(path):
    path.symlink_to(path.name)


@pytest.mark.parametrize("make, suffix, kind", [
    (_make_directory, ".npy", "a directory"),
    (_make_directory, ".json", "a directory"),
    (_make_fifo, ".npy", "a FIFO"),
    (_make_fifo, ".json", "a FIFO"),
    (_make_symlink_loop, ".npy", "a symbolic link"),
])
def test_non_file_where_a_chunk_belongs_is_recomputed(corpus, tmp_path, calls, make, suffix,
                                                      kind):
    """A directory, FIFO or symlink loop in place of a chunk or its record is removed (never
    read: a FIFO would block) and the chunk recomputed; an alarm fails the test, not hangs."""
    import signal

    first = _embed(corpus, tmp_path)
    npy, record_path = _chunk_files(tmp_path, 1)
    tampered = npy.with_suffix(suffix)
    tampered.unlink()
    make(tampered)

    def hung(signum, frame):  # pytest.fail: not an OSError the code under test may catch
        pytest.fail("the cache blocked on a non-file", pytrace=False)

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(120)
    try:
        with pytest.warns(CorruptChunkWarning, match=rf"chunk_00001\.npy is corrupt "
                                                     rf"\(chunk_00001\{suffix} was {kind}"):
            again = _embed(corpus, tmp_path)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert calls["chunks"] == 5
    np.testing.assert_array_equal(first.vectors, again.vectors)
    assert npy.is_file() and record_path.is_file()
    assert (npy.parent / "manifest.json").is_file()  # rmtree did not follow the link inside


def test_encoder_producing_nan_is_refused_and_not_cached(corpus, tmp_path, calls,
                                                         monkeypatch):
    """NaN from the encoder (a float16 overflow on a GPU) stops the job naming the model,
    chunk, rows and file; that chunk is not written, the ones before it stay cached."""
    counting = Encoder.encode_layers  # the calls fixture's counter

    def overflowing(self, texts, layers=None):
        out = counting(self, texts, layers)
        if calls["chunks"] == 3:  # chunk 2: rows 32 to 47
            out[:, 5] = np.nan
        return out

    monkeypatch.setattr(Encoder, "encode_layers", overflowing)
    with pytest.raises(ValueError, match=r"minilm produced 384 non-finite values \(NaN or "
                                         r"inf\) in chunk 2 .*rows \[37\] of the corpus\): "
                                         r".*chunk_00002\.npy was not written"):
        _embed(corpus, tmp_path)
    job = _chunk_files(tmp_path, 0)[0].parent
    assert sorted(p.name for p in job.iterdir()) == [
        "chunk_00000.json", "chunk_00000.npy", "chunk_00001.json", "chunk_00001.npy",
        "manifest.json"]
    monkeypatch.setattr(Encoder, "encode_layers", counting)
    with warnings.catch_warnings():
        warnings.simplefilter("error", CorruptChunkWarning)
        again = _embed(corpus, tmp_path)
    assert calls["chunks"] == 5  # 3 + chunks 2 and 3
    assert np.isfinite(again.vectors).all()
