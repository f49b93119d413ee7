"""EmbeddingSet: alignment, subsetting, save and load."""

import warnings

import numpy as np
import pandas as pd
import pytest

from embviz import EmbeddingSet


@pytest.fixture
def es(rng):
    meta = pd.DataFrame({"id": list("abcde"), "text": [f"t{i}" for i in range(5)],
                         "label": list("xxyyz")})
    return EmbeddingSet(rng.normal(size=(5, 4)), meta, {"model": {"name": "m"}})


def test_subset_keeps_rows_aligned(es):
    sub = es.subset(np.array([4, 1]))
    assert sub.meta["id"].tolist() == ["e", "b"]
    np.testing.assert_array_equal(sub.vectors, es.vectors[[4, 1]])
    mask = es.meta["label"].eq("y").to_numpy()
    assert es.subset(mask).meta["id"].tolist() == ["c", "d"]


def test_subset_errors(es):
    with pytest.raises(IndexError, match="out of range"):
        es.subset([7])
    with pytest.raises(ValueError, match="boolean mask must have shape"):
        es.subset(np.array([True, False]))


def test_save_load_round_trip(es, tmp_path):
    import json

    folder = es.save(tmp_path / "es")
    record = json.loads((folder / "provenance.json").read_text())
    assert {"format", "vectors_sha256", "meta_sha256", "record_sha256"} <= set(record)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loaded = EmbeddingSet.load(folder)
    np.testing.assert_array_equal(loaded.vectors, es.vectors)
    pd.testing.assert_frame_equal(loaded.meta, es.meta)
    assert loaded.provenance == es.provenance


def test_load_detects_changed_vectors(es, tmp_path):
    folder = es.save(tmp_path / "es")
    np.save(folder / "vectors.npy", np.zeros((5, 4), np.float32))
    with pytest.raises(ValueError, match="checksum"):
        EmbeddingSet.load(folder)


def test_load_refuses_python_objects_without_numpys_hint(es, tmp_path):
    """A saved set whose vectors.npy holds Python objects (checksum updated to match) is
    refused in embviz's words, not numpy's "use allow_pickle" advice."""
    import json

    from embviz._files import sha256_file
    from embviz.embedding_set import _record_sha256

    folder = es.save(tmp_path / "es")
    np.save(folder / "vectors.npy", np.array([{"evil": 1}] * 5, dtype=object), allow_pickle=True)
    record = json.loads((folder / "provenance.json").read_text())
    record["vectors_sha256"] = sha256_file(folder / "vectors.npy")
    record["record_sha256"] = _record_sha256(record)  # a forger who updates every checksum
    (folder / "provenance.json").write_text(json.dumps(record))
    with pytest.raises(ValueError, match="vectors.npy is not a plain .npy array: it holds "
                                         "Python objects") as info:
        EmbeddingSet.load(folder)
    assert "allow_pickle" not in str(info.value)


def test_misaligned_meta_is_refused(rng):
    with pytest.raises(ValueError, match="meta has 2 rows but vectors has 3"):
        EmbeddingSet(rng.normal(size=(3, 2)), pd.DataFrame({"id": [1, 2], "text": ["a", "b"]}))
    with pytest.raises(ValueError, match="missing \\['text'\\]"):
        EmbeddingSet(rng.normal(size=(1, 2)), pd.DataFrame({"id": [1]}))


def test_measures_accept_an_embedding_set(rng):
    """check_embeddings unwraps an EmbeddingSet itself: every measure takes one directly."""
    from embviz.metrics import hubness_skewness, isoscore, mle, twonn
    from embviz.neighbors import knn_graph

    X = rng.normal(size=(120, 6))
    es = EmbeddingSet(X, pd.DataFrame({"id": range(120), "text": [f"t{i}" for i in range(120)]}))
    assert isoscore(es) == isoscore(es.vectors)
    assert twonn(es) == twonn(es.vectors) and mle(es, k=5) == mle(es.vectors, k=5)
    assert hubness_skewness(es, k=5) == hubness_skewness(es.vectors, k=5)
    np.testing.assert_array_equal(knn_graph(es, k=3, progress=False).indices,
                                  knn_graph(es.vectors, k=3, progress=False).indices)


def test_load_detects_reordered_meta(es, tmp_path):
    folder = es.save(tmp_path / "es")
    meta = pd.read_parquet(folder / "meta.parquet")
    meta.iloc[::-1].to_parquet(folder / "meta.parquet", index=False)
    with pytest.raises(ValueError, match=r"meta\.parquet does not match the checksum"):
        EmbeddingSet.load(folder)


@pytest.mark.parametrize("text, problem", [
    ('{"provenance": {"model"', "not valid JSON"),
    ("[]", "not a JSON object"),
    ("null", "not a JSON object"),
    ('{"n": 5}', "missing"),
])
def test_corrupt_provenance_is_named(es, tmp_path, text, problem):
    from embviz._files import CorruptFileError

    folder = es.save(tmp_path / "es")
    (folder / "provenance.json").write_text(text)
    with pytest.raises(CorruptFileError, match=rf"provenance\.json.*{problem}"):
        EmbeddingSet.load(folder)


def test_edited_provenance_is_detected(es, tmp_path):
    import json

    folder = es.save(tmp_path / "es")
    record = json.loads((folder / "provenance.json").read_text())
    record["provenance"]["model"]["name"] = "other"
    (folder / "provenance.json").write_text(json.dumps(record))
    with pytest.raises(ValueError, match=r"provenance\.json does not match its checksum"):
        EmbeddingSet.load(folder)


def _strip_checksums(folder, keep=()):
    """Rewrite provenance.json without its checksums (and format) but the fields in keep."""
    import json

    record = json.loads((folder / "provenance.json").read_text())
    old = {k: record[k] for k in ("provenance", "n", "dim", *keep)}
    (folder / "provenance.json").write_text(json.dumps(old, indent=2))


@pytest.mark.parametrize("keep, unchecked", [
    (("vectors_sha256",), "['meta.parquet', 'provenance.json']"),  # saved before format 2
    ((), "['vectors.npy', 'meta.parquet', 'provenance.json']"),  # every checksum removed
])
def test_set_without_checksums_is_refused_unless_trusted(es, tmp_path, keep, unchecked):
    """A set whose provenance.json lost its checksums could hold edited vectors or meta: it
    is refused, naming the file, what is unchecked and trust_unverified; trusted, it loads
    with a warning; saved again, it loads checked and silently."""
    from embviz._files import CorruptFileError

    folder = es.save(tmp_path / "es")
    _strip_checksums(folder, keep)
    edited = es.meta.assign(label=list("zzzzz"))
    edited.to_parquet(folder / "meta.parquet", index=False)
    with pytest.raises(CorruptFileError) as info:
        EmbeddingSet.load(folder)
    message = str(info.value)
    assert str(folder / "provenance.json") in message and unchecked in message
    assert "trust_unverified=True" in message
    with pytest.warns(UserWarning, match=r"provenance\.json has no checksum of .*"
                                         r"trust_unverified=True.*save it again"):
        loaded = EmbeddingSet.load(folder, trust_unverified=True)
    pd.testing.assert_frame_equal(loaded.meta, edited)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        EmbeddingSet.load(loaded.save(folder))  # re-saved: checked, no warning


def test_trusted_set_still_refuses_a_checksum_mismatch(es, tmp_path):
    """trust_unverified skips checksums that are missing, never one that does not match."""
    folder = es.save(tmp_path / "es")
    _strip_checksums(folder, keep=("vectors_sha256",))
    np.save(folder / "vectors.npy", np.zeros((5, 4), np.float32))
    with pytest.warns(UserWarning, match="trust_unverified"), \
            pytest.raises(ValueError, match=r"vectors\.npy does not match the checksum"):
        EmbeddingSet.load(folder, trust_unverified=True)


def test_load_refuses_a_fifo_without_reading_it(es, tmp_path):
    """Reading a FIFO would block forever: it is refused by name (an alarm fails the test
    instead of hanging it)."""
    import os
    import signal

    from embviz._files import CorruptFileError

    folder = es.save(tmp_path / "es")
    (folder / "vectors.npy").unlink()
    os.mkfifo(folder / "vectors.npy")

    def hung(signum, frame):
        pytest.fail("EmbeddingSet.load blocked on a FIFO", pytrace=False)

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(60)
    try:
        with pytest.raises(CorruptFileError, match=r"vectors\.npy is not a regular file"):
            EmbeddingSet.load(folder)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def test_save_removes_a_dead_writers_temp_files(es, tmp_path):
    """Temp files of a killed save go; a live writer's, and files not ours, stay."""
    import os
    import subprocess
    import sys

    from embviz._files import _host_tag

    folder = es.save(tmp_path / "es")
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    here = _host_tag()
    orphans = [folder / f"vectors.npy.tmp{dead.pid}.{here}",
               folder / f"meta.parquet.tmp{dead.pid}",
               folder / f"provenance.json.tmp{dead.pid}.{here}"]
    kept = [folder / f"vectors.npy.tmp{os.getppid()}.{here}",  # a live writer
            folder / f"notes.txt.tmp{dead.pid}"]  # not a file EmbeddingSet.save writes
    for path in orphans + kept:
        path.write_bytes(b"partial")
    EmbeddingSet.load(es.save(folder))
    assert [p.exists() for p in orphans + kept] == [False] * 3 + [True] * 2


_KILLED_SAVE = """
import sys
import time

import numpy as np
import pandas as pd

from embviz import EmbeddingSet

write = np.save


def stalled(file, array, **kwargs):  # write the vectors, then stop before the rename
    write(file, array, **kwargs)
    file.flush()
    print("writing", flush=True)
    time.sleep(600)


np.save = stalled
n = 20_000
meta = pd.DataFrame({"id": range(n), "text": ["t"] * n})
EmbeddingSet(np.ones((n, 64), np.float32), meta).save(sys.argv[1])
"""


@pytest.mark.skipif(not hasattr(__import__("signal"), "SIGKILL"), reason="needs SIGKILL")
def test_save_killed_mid_write_is_cleaned_by_the_next_save(es, tmp_path):
    """SIGKILL while EmbeddingSet.save writes vectors.npy leaves its temp file; the next
    save removes it, and the earlier set in the folder was intact all along."""
    import select
    import subprocess
    import sys

    from embviz._files import _host_tag

    folder = es.save(tmp_path / "es")
    writer = subprocess.Popen([sys.executable, "-c", _KILLED_SAVE, str(folder)],
                              stdout=subprocess.PIPE, text=True)
    try:
        ready, _, _ = select.select([writer.stdout], [], [], 300)
        assert ready and writer.stdout.readline() == "writing\n"
        writer.kill()  # SIGKILL: no handler, no cleanup
        writer.wait(60)
    finally:
        if writer.poll() is None:
            writer.kill()
            writer.wait()
    [temp] = folder.glob("*.tmp*")
    assert temp.name == f"vectors.npy.tmp{writer.pid}.{_host_tag()}"
    np.testing.assert_array_equal(EmbeddingSet.load(folder).vectors, es.vectors)
    EmbeddingSet.load(es.save(folder))
    assert not list(folder.glob("*.tmp*"))
