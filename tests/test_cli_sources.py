"""`embviz summary` and `embviz embed` on vectors from the sources (in-process, small)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from embviz import EmbeddingSet
from embviz.cli import main


@pytest.fixture
def vectors(rng):
    return rng.normal(size=(120, 16)).astype(np.float32)


def test_summary_of_a_memory_mapped_npy(tmp_path, vectors, capsys):
    np.save(tmp_path / "v.npy", vectors)
    pd.DataFrame({"text": [f"t{i}" for i in range(120)], "label": list("ab") * 60}).to_parquet(
        tmp_path / "rows.parquet")
    assert main(["summary", str(tmp_path / "v.npy"), "--meta", str(tmp_path / "rows.parquet"),
                 "--no-cache", "--out", str(tmp_path / "res")]) == 0
    table = pd.read_csv(tmp_path / "res" / "summary.csv").set_index("metric")
    assert (table.loc["n", "value"], table.loc["d", "value"]) == (120, 16)
    assert "knn_error" in table.index  # the label column was found
    out = capsys.readouterr().out
    assert "120 vectors of 16-d from npy (memory-mapped)" in out
    assert not (tmp_path / "res" / "embeddings").exists()  # the source keeps its own vectors


def test_embed_reads_a_vector_file_into_a_saved_set(tmp_path, vectors):
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"body": [f"t{i}" for i in range(120)],
                             "emb": pa.FixedSizeListArray.from_arrays(pa.array(vectors.ravel()),
                                                                      16)}),
                   tmp_path / "v.parquet")
    assert main(["embed", str(tmp_path / "v.parquet"), "--text-column", "body", "--n", "50",
                 "--mmap", str(tmp_path / "mapped.npy"), "--out", str(tmp_path / "out")]) == 0
    data = EmbeddingSet.load(tmp_path / "out")
    assert data.vectors.shape == (50, 16)
    assert data.provenance["source"]["storage"] == "memory-mapped"
    rows = [int(t[1:]) for t in data.meta["text"]]
    np.testing.assert_array_equal(data.vectors, vectors[rows])


@pytest.mark.parametrize("args, message", [
    (["summary", "lancedb:/nonexistent/db"], "(--table on the command line) is required"),
    (["embed", "{npy}", "--out", "x"], "pass meta="),
    (["embed", "{npy}", "--meta", "{npy}", "--layers", "0", "--out", "x"],
     "--layers applies to texts embedded here"),
])
def test_bad_sources_fail_clearly(tmp_path, capsys, args, message):
    np.save(tmp_path / "v.npy", np.ones((3, 2), np.float32))
    args = [a.format(npy=tmp_path / "v.npy") for a in args]
    assert main(args) == 2
    assert message in capsys.readouterr().err
