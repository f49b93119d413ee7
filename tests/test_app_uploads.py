"""What the explorer reads: size-limited uploads, no pickles, no paths outside its data folder."""

import io

import numpy as np
import pandas as pd
import pytest

from embviz.app.uploads import read_embeddings_upload, read_upload, server_files, upload_columns


def _csv(df: pd.DataFrame) -> bytes:
    return df.to_csv(index=False).encode()


def test_reads_every_corpus_format(tmp_path):
    df = pd.DataFrame({"body": ["one text", "another text"], "topic": ["a", "b"]})
    buffer = io.BytesIO()
    df.to_parquet(buffer)
    uploads = {"x.csv": _csv(df), "x.parquet": buffer.getvalue(),
               "x.jsonl": df.to_json(orient="records", lines=True).encode()}
    for name, content in uploads.items():
        assert upload_columns(name, content) == ["body", "topic"]
        table = read_upload(name, content, text_column="body", label_column="topic")
        assert table["text"].tolist() == ["one text", "another text"]
        assert table["label"].tolist() == ["a", "b"]


def test_size_limit(monkeypatch):
    monkeypatch.setenv("EMBVIZ_MAX_UPLOAD_MB", "0.001")  # 1,000 bytes
    with pytest.raises(ValueError, match="limited to 0.001 MB"):
        read_upload("big.csv", b"text\n" + b"x" * 2000)


def test_bad_uploads_name_the_problem():
    with pytest.raises(ValueError, match="expected a file ending in .csv"):
        read_upload("corpus.xlsx", b"whatever")
    with pytest.raises(ValueError, match="is empty"):
        read_upload("corpus.csv", b"")
    with pytest.raises(ValueError, match="no file was uploaded"):
        read_upload("", None)
    with pytest.raises(ValueError, match="column"):
        read_upload("c.csv", b"title\nhello\n")


def test_precomputed_embeddings_never_unpickle():
    meta = _csv(pd.DataFrame({"text": ["a b", "c d", "e f"]}))
    good = io.BytesIO()
    np.save(good, np.ones((3, 4), np.float32))
    data = read_embeddings_upload("v.npy", good.getvalue(), "m.csv", meta)
    assert data.vectors.shape == (3, 4) and data.meta["id"].tolist() == ["0", "1", "2"]
    pickled = io.BytesIO()
    np.save(pickled, np.array([{"evil": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(ValueError, match="not a plain .npy array"):
        read_embeddings_upload("v.npy", pickled.getvalue(), "m.csv", meta)
    with pytest.raises(ValueError, match="has 3 rows but 'm.csv' has 2"):
        read_embeddings_upload("v.npy", good.getvalue(), "m.csv", meta.rsplit(b"\n", 2)[0])


def test_server_files_stay_inside_the_folder(tmp_path, monkeypatch):
    inside = tmp_path / "data"
    inside.mkdir()
    (inside / "ok.csv").write_text("text\nhello\n")
    (inside / "notes.txt").write_text("not a corpus")
    outside = tmp_path / "secret.csv"
    outside.write_text("text\nsecret\n")
    (inside / "link.csv").symlink_to(outside)  # a link pointing out is not offered
    monkeypatch.setenv("EMBVIZ_APP_DATA", str(inside))
    assert list(server_files()) == ["ok.csv"]
    monkeypatch.delenv("EMBVIZ_APP_DATA")
    assert server_files() == {}


def test_messages_name_the_upload_not_the_server_path():
    """Messages used to show the server's temporary path (/tmp/embviz-upload-.../upload.csv)
    and numpy's "use allow_pickle" hint; they name the uploaded file instead."""
    import warnings

    def message(call):
        with pytest.raises(ValueError) as info:
            call()
        return str(info.value)

    for text in (message(lambda: read_upload("my corpus.csv", b"title\nhello\n")),
                 message(lambda: upload_columns("my.parquet", b"not parquet at all")),
                 message(lambda: read_upload("bad.jsonl", b'{"text": "ok"}\n[1, 2]\n')),
                 message(lambda: read_upload("l.tsv", "text\ncaf\xe9\n".encode("latin-1")))):
        assert "embviz-upload" not in text and "upload." not in text, text
        assert any(name in text for name in ("'my corpus.csv'", "'my.parquet'", "'bad.jsonl'",
                                             "'l.tsv'")), text
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        table = read_upload("my.csv", b'text\nfine\n""\nNA\n')
    assert table["text"].tolist() == ["fine", "NA"]
    assert [str(w.message).split(":")[0] for w in caught] == ["'my.csv'"]
    pickled = io.BytesIO()
    np.save(pickled, np.array([{"evil": 1}], dtype=object), allow_pickle=True)
    meta = _csv(pd.DataFrame({"text": ["a b"]}))
    for content in (pickled.getvalue(), b"\x80\x04K\x01."):  # an object array, a bare pickle
        text = message(lambda c=content: read_embeddings_upload("v.npy", c, "m.csv", meta))
        assert text == ("'v.npy' is not a plain .npy array: it holds Python objects (an object "
                        "array or a pickle); embviz loads plain numeric arrays only and never "
                        "unpickles")
    archive = io.BytesIO()
    np.savez(archive, x=np.ones((1, 3)))
    assert "an .npz archive" in message(
        lambda: read_embeddings_upload("v.npy", archive.getvalue(), "m.csv", meta))


def test_server_file_messages_name_the_file_not_the_folder(tmp_path, monkeypatch):
    """A broken file in $EMBVIZ_APP_DATA was named by its full server path in the alert."""
    import html

    from embviz.app.data_view import DataView
    from embviz.app.state import AppState

    folder = tmp_path / "secret-server-folder"
    folder.mkdir()
    (folder / "broken.parquet").write_bytes(b"not parquet at all")
    (folder / "notext.csv").write_text("title\nhello\n")
    monkeypatch.setenv("EMBVIZ_APP_DATA", str(folder))
    state = AppState()
    view = DataView(state)
    view._server.value = "broken.parquet"
    shown = html.unescape(state.runner.alert.object)
    assert state.runner.alert.visible and "'broken.parquet'" in shown, shown
    view._server.value = "notext.csv"
    view._text_col.value = "title"
    (folder / "notext.csv").write_bytes(b"title\ncaf\xe9\n")  # changed since it was listed
    with pytest.raises(ValueError) as info:  # what the runner shows when the job fails
        view._uploaded_table()
    assert "'notext.csv'" in str(info.value), info.value
    for text in (shown, str(info.value)):
        assert str(folder) not in text and "secret-server-folder" not in text, text


def test_pooling_menu_offers_every_pooling_and_embeds_with_it(tmp_path, monkeypatch):
    """The Data view's pooling menu names each of the package's poolings in words, and the
    choice reaches the encoder: "mean without the first token" gives other vectors than mean."""
    import numpy as np
    import pandas as pd

    from embviz.app.data_view import DataView, _embed_table
    from embviz.app.state import AppState
    from embviz.embed.pooling import POOLINGS

    monkeypatch.setenv("EMBVIZ_CACHE", str(tmp_path))
    view = DataView(AppState())
    names = view.param.pooling.names
    assert set(names.values()) == {"default", *POOLINGS}
    assert names["mean without the first token"] == "mean_skip_first"
    view.pooling = "mean_skip_first"
    model, pooling, layer, prompt = view._embedding_args()
    assert pooling == "mean_skip_first"
    table = pd.DataFrame({"text": ["a cat sat on the mat", "stocks fell sharply today",
                                   "the violin was out of tune"]})
    skip = _embed_table(table, model, pooling, layer, prompt).data
    mean = _embed_table(table, model, "mean", layer, prompt).data
    assert skip.provenance["pooling"] == "mean_skip_first"
    assert not np.allclose(skip.vectors, mean.vectors)
