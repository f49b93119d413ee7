"""Vector sources round-trip on real local files and databases, and bad sources say why.

Parquet / Arrow / Feather files, memory-mapped ``.npy``, Hugging Face datasets (saved, local
files, hub id without a hub), LanceDB tables and Chroma collections are created in tmp_path
with their own libraries and read back with embviz.
"""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.feather as feather
import pyarrow.parquet as pq
import pytest

from embviz.sources import (
    open_npy,
    read_chroma,
    read_hf_dataset,
    read_lancedb,
    read_source,
    read_vector_file,
)

N, D = 60, 8


@pytest.fixture
def table_data(rng):
    vectors = rng.normal(size=(N, D)).astype(np.float32)
    meta = pd.DataFrame({"doc": [f"text number {i}" for i in range(N)],
                         "topic": np.array(["a", "b", "c"])[np.arange(N) % 3],
                         "year": 2000 + np.arange(N) % 5})
    return vectors, meta


def _arrow_table(vectors, meta, fixed=True):
    values = pa.array(vectors.ravel())
    column = (pa.FixedSizeListArray.from_arrays(values, vectors.shape[1]) if fixed
              else pa.ListArray.from_arrays(np.arange(0, vectors.size + 1, vectors.shape[1],
                                                      dtype=np.int32), values))
    return pa.Table.from_pandas(meta, preserve_index=False).append_column("embedding", column)


def _check(data, vectors, meta, kind, storage):
    np.testing.assert_array_equal(data.vectors, vectors)
    assert data.meta["text"].tolist() == meta["doc"].tolist()
    assert data.meta["label"].tolist() == meta["topic"].tolist()
    source = data.provenance["source"]
    assert (source["kind"], source["storage"], source["n"], source["dim"]) == (
        kind, storage, N, D)
    assert source["vector_column"] == "embedding"


# ------------------------------------------------------------------------ files
@pytest.mark.parametrize("fixed", [True, False], ids=["fixed_size_list", "list"])
def test_parquet_one_row_group_is_read_without_a_copy(tmp_path, table_data, fixed):
    vectors, meta = table_data
    path = tmp_path / "v.parquet"
    pq.write_table(_arrow_table(vectors, meta, fixed), path)
    data = read_vector_file(path, text_column="doc", label_column="topic")
    _check(data, vectors, meta, "parquet", "zero-copy")
    assert data.meta["year"].tolist() == meta["year"].tolist()  # other columns kept


def test_chunks_are_copied_once_or_streamed_to_a_memory_map(tmp_path, table_data):
    vectors, meta = table_data
    path = tmp_path / "v.feather"  # record batches of 16 rows: four chunks
    feather.write_feather(_arrow_table(vectors, meta), path, compression="uncompressed",
                          chunksize=16)
    _check(read_vector_file(path, "embedding", "doc", "topic"), vectors, meta, "ipc",
           "in memory")
    pq.write_table(_arrow_table(vectors, meta), tmp_path / "v.parquet", row_group_size=16)
    mapped = read_vector_file(tmp_path / "v.parquet", "embedding", "doc", "topic",
                              mmap_path=tmp_path / "out" / "v.npy")
    _check(mapped, vectors, meta, "parquet", "memory-mapped")
    assert not list((tmp_path / "out").glob("*.tmp*"))  # written through a temp file


@pytest.mark.parametrize("writer", ["feather", "ipc_stream"])
def test_arrow_files_are_memory_mapped(tmp_path, table_data, writer):
    vectors, meta = table_data
    table = _arrow_table(vectors, meta)
    path = tmp_path / "v.arrow"
    if writer == "feather":
        path = tmp_path / "v.feather"
        feather.write_feather(table, path, compression="uncompressed")
    else:
        with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_stream(sink, table.schema) as out:
            out.write_table(table)
    _check(read_vector_file(path, text_column="doc", label_column="topic"), vectors, meta,
           "ipc", "memory-mapped")


def test_npy_is_memory_mapped_through_graph_report_and_map(tmp_path, table_data):
    from embviz.maps import pca_map
    from embviz.metrics import geometry_report
    from embviz.neighbors import knn_graph

    vectors, meta = table_data
    np.save(tmp_path / "v.npy", vectors)
    meta.to_parquet(tmp_path / "meta.parquet")
    data = open_npy(tmp_path / "v.npy", tmp_path / "meta.parquet", text_column="doc",
                    label_column="topic")
    assert data.provenance["source"]["storage"] == "memory-mapped"
    assert not data.vectors.flags.writeable
    in_memory = np.array(vectors)
    np.testing.assert_array_equal(knn_graph(data, k=5, progress=False).indices,
                                  knn_graph(in_memory, k=5, progress=False).indices)
    pd.testing.assert_frame_equal(geometry_report(data, local_k=20, progress=False),
                                  geometry_report(in_memory, local_k=20, progress=False))
    np.testing.assert_allclose(pca_map(data), pca_map(in_memory), atol=1e-5)


# ------------------------------------------------------------------------ Hugging Face
def test_hf_dataset_saved_to_disk_with_a_vector_column(tmp_path, table_data):
    import datasets

    vectors, meta = table_data
    features = datasets.Features({"doc": datasets.Value("string"),
                                  "topic": datasets.Value("string"),
                                  "year": datasets.Value("int64"),
                                  "embedding": datasets.Sequence(datasets.Value("float32"),
                                                                 length=D)})
    frame = meta.assign(embedding=list(vectors))
    ds = datasets.Dataset.from_pandas(frame, features=features, preserve_index=False)
    datasets.DatasetDict({"train": ds, "test": ds.select(range(5))}).save_to_disk(
        tmp_path / "hf")
    data = read_hf_dataset(tmp_path / "hf", text_column="doc", label_column="topic",
                           split="train")
    _check(data, vectors, meta, "huggingface", "memory-mapped")
    assert data.provenance["source"]["split"] == "train"
    with pytest.raises(ValueError, match=r"split=None is not a split .*\['train', 'test'\]"):
        read_hf_dataset(tmp_path / "hf", text_column="doc")


def test_hf_local_parquet_without_vectors_is_embedded(tmp_path, minilm):
    from embviz.embed import embed_corpus

    texts = ["a cat sat on the mat", "stock markets fell", "the dog barked", "rain again"]
    pd.DataFrame({"body": texts, "id": list("wxyz")}).to_parquet(tmp_path / "t.parquet")
    options = dict(device="cpu", cache_dir=tmp_path / "cache", progress=False)
    data = read_hf_dataset(tmp_path / "t.parquet", text_column="body",
                           embed_options=options, cache_dir=tmp_path / "hf_cache")
    expected = embed_corpus(texts, **options)
    np.testing.assert_allclose(data.vectors, expected.vectors, atol=1e-6)
    assert data.meta["id"].tolist() == list("wxyz")
    assert data.provenance["source"]["embedded"] is True
    assert data.provenance["model"]["name"] == "minilm"


def test_hf_hub_id_without_a_hub_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ValueError, match="save_to_disk or pass its Parquet"):
        read_hf_dataset("someone/some-dataset", cache_dir=tmp_path)


# ------------------------------------------------------------------------ vector databases
def test_lancedb_table_round_trips(tmp_path, table_data):
    import lancedb

    vectors, meta = table_data
    db = lancedb.connect(str(tmp_path / "lance"))
    db.create_table("docs", data=meta.assign(vector=list(vectors)))
    data = read_lancedb(tmp_path / "lance", "docs", text_column="doc", label_column="topic")
    np.testing.assert_array_equal(data.vectors, vectors)
    assert data.meta["text"].tolist() == meta["doc"].tolist()
    assert data.provenance["source"]["table"] == "docs"
    with pytest.raises(ValueError, match=r"table='nope' is not a table .*\['docs'\]"):
        read_lancedb(tmp_path / "lance", "nope")
    db.create_table("empty", schema=pa.schema([("text", pa.string()),
                                               ("vector", pa.list_(pa.float32(), D))]))
    with pytest.raises(ValueError, match="has no rows: expected at least one vector"):
        read_lancedb(tmp_path / "lance", "empty")


def _chroma(path):
    import chromadb
    from chromadb.config import Settings

    return chromadb.PersistentClient(path=str(path),
                                     settings=Settings(anonymized_telemetry=False))


def test_chroma_collection_round_trips_page_by_page(tmp_path, table_data, monkeypatch):
    import embviz.sources.vectordb as vectordb

    vectors, meta = table_data
    collection = _chroma(tmp_path / "chroma").create_collection("docs", embedding_function=None)
    collection.add(ids=[f"id{i:03d}" for i in range(N)], embeddings=vectors,
                   documents=meta["doc"].tolist(),
                   metadatas=[{"topic": t, "year": int(y)}
                              for t, y in zip(meta["topic"], meta["year"])])
    monkeypatch.setattr(vectordb, "_CHROMA_PAGE", 25)  # three pages
    data = read_chroma(tmp_path / "chroma", "docs", label_column="topic")
    np.testing.assert_array_equal(data.vectors, vectors)
    assert data.meta["text"].tolist() == meta["doc"].tolist()
    assert data.meta["id"].tolist() == [f"id{i:03d}" for i in range(N)]
    assert data.meta["label"].tolist() == meta["topic"].tolist()
    assert data.meta["year"].tolist() == meta["year"].tolist()


def test_chroma_collection_without_embeddings_or_unknown(tmp_path):
    _chroma(tmp_path / "chroma").create_collection("empty", embedding_function=None)
    with pytest.raises(ValueError, match="'empty' is empty: it holds no embeddings"):
        read_chroma(tmp_path / "chroma", "empty")
    with pytest.raises(ValueError, match=r"collection='docs' is not a collection .*\['empty'\]"):
        read_chroma(tmp_path / "chroma", "docs")


@pytest.mark.parametrize("module, call", [
    ("lancedb", lambda p: read_lancedb(p, "t")),
    ("chromadb", lambda p: read_chroma(p, "c")),
    ("datasets", lambda p: read_hf_dataset(p)),
])
def test_a_missing_extra_names_what_to_install(tmp_path, monkeypatch, module, call):
    monkeypatch.setitem(sys.modules, module, None)  # import fails as if not installed
    extra = {"lancedb": "vectordb", "chromadb": "vectordb", "datasets": "hf"}[module]
    with pytest.raises(ImportError, match=rf"pip install 'embviz\[{extra}\]'"):
        call(tmp_path)


# ------------------------------------------------------------------------ bad sources
def _write(tmp_path, columns: dict) -> str:
    path = tmp_path / "bad.parquet"
    pq.write_table(pa.table(columns), path)
    return path


TEXTS = ["a", "b", "c"]
BAD = {
    "missing column": ({"text": TEXTS, "emb": [[1.0], [2.0], [3.0]]},
                       {"vector_column": "vector"}, ValueError,
                       r"vector_column='vector' is not a column of bad.parquet; its columns "
                       r"are \['text', 'emb'\]"),
    "no vector column": ({"text": TEXTS, "x": [1.0, 2.0, 3.0]}, {}, ValueError,
                         r"has no vector column: expected a column holding a list"),
    "ragged": ({"text": TEXTS, "emb": [[1.0, 2.0], [1.0, 2.0], [1.0]]}, {}, ValueError,
               r"'emb' is ragged: row 0 has 2 values but 1 row\(s\) differ, first row 2 "
               r"with 1; expected vectors of one length d"),
    "non-numeric values": ({"text": TEXTS, "emb": [["x"], ["y"], ["z"]]},
                           {"vector_column": "emb"}, TypeError,
                           r"vector_column='emb' of bad.parquet must hold a list or "
                           r"fixed-size list of numbers .* got list<element: string>"),
    "non-numeric column": ({"text": TEXTS, "emb": ["1,2", "3,4", "5,6"]},
                           {"vector_column": "emb"}, TypeError, r"got string"),
    "NaN rows": ({"text": TEXTS, "emb": [[1.0, 2.0], [np.nan, 1.0], [1.0, np.inf]]}, {},
                 ValueError, r"'emb': vectors contains NaN or infinite values in 2 row\(s\), "
                             r"first at rows \[1, 2\]"),
    "null rows": ({"text": TEXTS, "emb": [[1.0, 2.0], None, [1.0, 2.0]]}, {}, ValueError,
                  r"1 row\(s\) of 'emb' hold no vector \(null\), first at rows \[1\]"),
    "missing text column": ({"body": TEXTS, "emb": [[1.0], [2.0], [3.0]]}, {}, ValueError,
                            r"text_column='text' is not a column of bad.parquet"),
    "empty table": ({"text": pa.array([], pa.string()),
                     "emb": pa.array([], pa.list_(pa.float32()))}, {}, ValueError,
                    r"bad.parquet has no rows: expected at least one vector"),
}


@pytest.mark.parametrize("case", BAD)
def test_bad_sources_say_what_was_expected(tmp_path, case):
    columns, kwargs, error, message = BAD[case]
    with pytest.raises(error, match=message):
        read_vector_file(_write(tmp_path, columns), **kwargs)


def test_mixed_dimensions_across_record_batches(tmp_path):
    path = tmp_path / "mixed.arrow"  # two writers' batches: d=2, then d=3
    schema = pa.schema([("text", pa.string()), ("emb", pa.list_(pa.float32()))])
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, schema) as writer:
        writer.write_table(pa.table({"text": ["a", "b"], "emb": [[1.0, 2.0], [3.0, 4.0]]},
                                    schema))
        writer.write_table(pa.table({"text": ["c"], "emb": [[1.0, 2.0, 3.0]]}, schema))
    with pytest.raises(ValueError, match=r"'emb' mixes dimensions: vectors of d=2 before row "
                                         r"2 and of d=3 from row 2"):
        read_vector_file(path)


def test_npy_and_its_metadata_must_align(tmp_path):
    np.save(tmp_path / "v.npy", np.ones((4, 3), np.float32))
    with pytest.raises(ValueError, match="v.npy: 4 vectors but 3 metadata rows"):
        open_npy(tmp_path / "v.npy", pd.DataFrame({"text": TEXTS}))
    np.save(tmp_path / "o.npy", np.array([{"a": 1}] * 3, dtype=object), allow_pickle=True)
    with pytest.raises(ValueError, match="o.npy is not a plain numeric .npy array"):
        open_npy(tmp_path / "o.npy", pd.DataFrame({"text": TEXTS}))


# ------------------------------------------------------------------------ one string
def test_read_source_dispatches_every_kind(tmp_path, table_data):
    import lancedb

    vectors, meta = table_data
    pq.write_table(_arrow_table(vectors, meta), tmp_path / "v.parquet")
    np.save(tmp_path / "v.npy", vectors)
    lancedb.connect(str(tmp_path / "lance")).create_table(
        "docs", data=meta.assign(vector=list(vectors)))
    collection = _chroma(tmp_path / "chroma").create_collection("docs", embedding_function=None)
    collection.add(ids=[str(i) for i in range(N)], embeddings=vectors,
                   documents=meta["doc"].tolist())
    read_vector_file(tmp_path / "v.parquet", text_column="doc").save(tmp_path / "saved")
    for source, options in [(tmp_path / "v.parquet", {"text_column": "doc"}),
                            (tmp_path / "v.npy", {"meta": meta, "text_column": "doc"}),
                            (f"lancedb:{tmp_path / 'lance'}", {"table": "docs",
                                                               "text_column": "doc"}),
                            (f"chroma:{tmp_path / 'chroma'}", {"collection": "docs"}),
                            (tmp_path / "saved", {})]:
        data = read_source(source, **options)
        np.testing.assert_array_equal(data.vectors, vectors)
        assert data.meta["text"].tolist() == meta["doc"].tolist()
    with pytest.raises(ValueError, match=r"table= \(--table on the command line\) is required"):
        read_source(f"lancedb:{tmp_path / 'lance'}")
