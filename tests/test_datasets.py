"""Bundled corpora and reading users' files."""

import json

import numpy as np
import pandas as pd
import pytest

from embviz.datasets import (
    DEFAULT_CORPUS,
    lee_similarity,
    list_datasets,
    load_dataset,
    read_corpus,
)


# ----------------------------------------------------------------------------- bundled corpora
def test_wordnet_has_every_gloss_and_45_categories():
    df = load_dataset("wordnet")
    assert len(df) == 117_659  # synsets in WordNet 3.0 data.{noun,verb,adj,adv}
    assert df["label"].nunique() == 45
    assert df["id"].is_unique
    row = df.set_index("id").loc["n02084071"]  # dog.n.01
    assert row["label"] == "noun.animal" and "dog" in row["headwords"]


def test_fortunes_categories():
    df = load_dataset("fortunes")
    assert len(df) > 14_000 and df["label"].nunique() == 43
    assert not df["text"].str.contains(r"^%$", regex=True).any()


def test_bible_pairs_are_aligned_by_reference():
    df = load_dataset("bible")
    kjv = df[df["group"] == "KJV"].set_index("verse")["text"]
    web = df[df["group"] == "WEB"].set_index("verse")["text"]
    assert len(kjv) == len(web) > 31_000 and (kjv.index == web.index).all()
    assert set(df["time"]) == {1769, 2020}
    assert kjv["Gen.1.1"] == "In the beginning God created the heaven and the earth."
    assert web["Gen.1.1"].startswith("In the beginning, God created the heavens")
    assert kjv["John.11.35"] == "Jesus wept."
    assert not df["text"].str.contains("<|Glossary", regex=True).any()  # markup, back matter


def test_lee_similarity_matrix():
    docs, sim = load_dataset("lee"), lee_similarity()
    assert len(docs) == 50 and sim.shape == (50, 50)
    np.testing.assert_array_equal(sim, sim.T)
    np.testing.assert_array_equal(np.diag(sim), 1.0)
    assert 0 <= sim.min() and sim.max() <= 1


def test_list_datasets():
    table = list_datasets()
    assert set(table["name"]) == {"wordnet", "fortunes", "bible", "lee", "lee_background"}
    assert (table["rows"] > 0).all()


def test_stratified_sample_keeps_label_shares_and_is_deterministic():
    full = load_dataset("wordnet")
    a = load_dataset("wordnet", n=5000, random_state=3)
    b = load_dataset("wordnet", n=5000, random_state=3)
    pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_frame_equal(load_dataset("wordnet", n=300),
                                  load_dataset("wordnet", n=300, random_state=0))
    assert len(a) == 5000 and a["id"].is_unique
    expected = full["label"].value_counts(normalize=True) * 5000
    got = a["label"].value_counts().reindex(expected.index, fill_value=0)
    assert (got - expected).abs().max() <= 1  # largest-remainder rounding


def test_default_corpus_is_a_labelled_sample():
    df = load_dataset("default")
    assert len(df) == 5000 and df["label"].nunique() == 45
    assert DEFAULT_CORPUS == {"name": "wordnet", "n": 5000}
    # random_state=0 by default: the default sample is the seeded wordnet sample of 5000
    pd.testing.assert_frame_equal(df, load_dataset("wordnet", n=5000, random_state=0))


def test_unknown_dataset_lists_the_names():
    with pytest.raises(ValueError, match="name must be one of .*wordnet"):
        load_dataset("imdb")


@pytest.mark.parametrize("kwargs, error, match", [
    ({"n": 0}, ValueError, "n must be an integer >= 1, got 0"),
    ({"n": -5}, ValueError, "n must be an integer >= 1, got -5"),
    ({"n": "100"}, TypeError, "n must be an integer >= 1, got str"),
    ({"n": 2.5}, TypeError, "n must be an integer >= 1, got float"),
    ({"random_state": "x"}, TypeError, "random_state must be a non-negative integer or None, "
                                       "got str 'x'"),
    ({"random_state": -1}, ValueError, "random_state must be a non-negative integer or None"),
])
@pytest.mark.parametrize("name", ["default", "lee"])
def test_load_dataset_checks_n_and_random_state_at_the_entry(name, kwargs, error, match):
    """n=0 used to return the 5,000-row default sample; n="100" and random_state="x" failed
    deep inside pandas / numpy."""
    with pytest.raises(error, match=match):
        load_dataset(name, **kwargs)


# ----------------------------------------------------------------------------- user files
@pytest.fixture
def frame():
    return pd.DataFrame({"body": ["first text", "second text", "third"],
                         "topic": ["a", "b", "a"], "year": [2001, 2002, 2003]})


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".parquet", ".jsonl"])
def test_read_corpus_round_trip(tmp_path, frame, suffix):
    path = tmp_path / f"corpus{suffix}"
    if suffix == ".csv":
        frame.to_csv(path, index=False)
    elif suffix == ".tsv":
        frame.to_csv(path, index=False, sep="\t")
    elif suffix == ".parquet":
        frame.to_parquet(path)
    else:
        path.write_text("\n".join(json.dumps(r) for r in frame.to_dict("records")))
    df = read_corpus(path, text_column="body", label_column="topic", time_column="year")
    assert list(df.columns[:2]) == ["id", "text"]
    assert df["text"].tolist() == frame["body"].tolist()
    assert df["label"].tolist() == ["a", "b", "a"] and df["time"].tolist() == [2001, 2002, 2003]


def test_missing_column_lists_the_columns(tmp_path, frame):
    path = tmp_path / "c.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(ValueError, match=r"text_column='text' is not a column.*'body', 'topic'"):
        read_corpus(path)


def test_empty_file(tmp_path):
    (tmp_path / "e.csv").write_text("")
    with pytest.raises(ValueError, match="is empty"):
        read_corpus(tmp_path / "e.csv")
    (tmp_path / "h.csv").write_text("text\n")
    with pytest.raises(ValueError, match="has no rows"):
        read_corpus(tmp_path / "h.csv")


def test_non_utf8_file_names_line(tmp_path):
    (tmp_path / "l.csv").write_bytes("text\ncaf\xe9 au lait\n".encode("latin-1"))
    with pytest.raises(ValueError, match="not valid UTF-8.*line 2"):
        read_corpus(tmp_path / "l.csv")


def test_bad_jsonl_line(tmp_path):
    (tmp_path / "b.jsonl").write_text('{"text": "ok"}\n{"text": oops}\n')
    with pytest.raises(ValueError, match="line 2: not valid JSON"):
        read_corpus(tmp_path / "b.jsonl")


def test_unknown_suffix_and_missing_file(tmp_path):
    (tmp_path / "x.xlsx").write_text("x")
    with pytest.raises(ValueError, match="expected one of the suffixes"):
        read_corpus(tmp_path / "x.xlsx")
    with pytest.raises(FileNotFoundError):
        read_corpus(tmp_path / "nope.csv")


@pytest.mark.parametrize("invalid, expected_rows", [("drop", 2), ("keep", 4)])
def test_invalid_texts_are_reported_then_dropped_or_kept(tmp_path, invalid, expected_rows):
    path = tmp_path / "v.jsonl"
    path.write_text('{"text": "fine"}\n{"text": ""}\n{"text": null}\n{"text": "also fine"}\n')
    with pytest.warns(UserWarning, match=r"2 row\(s\) have an empty or non-string.*\[1, 2\]"):
        df = read_corpus(path, invalid=invalid)
    assert len(df) == expected_rows


def test_invalid_texts_raise_when_asked(tmp_path):
    path = tmp_path / "v.csv"
    path.write_text("text\nfine\n\"  \"\n")
    with pytest.raises(ValueError, match="1 row"):
        read_corpus(path, invalid="raise")


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".jsonl"])
def test_texts_and_ids_are_read_as_written(tmp_path, suffix):
    """"NA", "None", "null" and "nan" are texts, not missing values, and the id "007" stays
    "007" (pandas' NA parsing dropped those texts and made the ids integers); an empty text is
    still refused. Other columns keep pandas' parsing ("NA" in a number column is missing)."""
    rows = [("007", "NA", "1"), ("008", "None", "NA"), ("009", "", "3"), ("010", "null", "4"),
            ("011", "nan", "5"), ("012", "N/A", "6")]
    path = tmp_path / f"c{suffix}"
    if suffix == ".jsonl":
        path.write_text("\n".join(json.dumps({"id": i, "body": t, "year": int(y) if y != "NA"
                                               else None}) for i, t, y in rows))
    else:
        sep = "\t" if suffix == ".tsv" else ","
        path.write_text("\n".join(sep.join(r) for r in [("id", "body", "year"), *rows]))
    with pytest.warns(UserWarning, match=r"1 row\(s\) have an empty.*file rows \[2\]"):
        df = read_corpus(path, text_column="body", time_column="year")
    assert df["text"].tolist() == ["NA", "None", "null", "nan", "N/A"]
    assert df["id"].tolist() == ["007", "008", "010", "011", "012"]
    assert df["time"].isna().tolist() == [False, True, False, False, False]


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
def test_one_column_in_two_roles_is_copied(tmp_path, frame, suffix):
    """text_column == label_column raised KeyError: 'text'; each role now gets a copy."""
    path = tmp_path / f"c{suffix}"
    if suffix == ".csv":
        frame.to_csv(path, index=False)
    elif suffix == ".parquet":
        frame.to_parquet(path)
    else:
        path.write_text("\n".join(json.dumps(r) for r in frame.to_dict("records")))
    df = read_corpus(path, text_column="body", label_column="body", group_column="topic")
    assert df["text"].tolist() == df["label"].tolist() == frame["body"].tolist()
    assert df["group"].tolist() == frame["topic"].tolist() and "body" not in df
    renamed = frame.rename(columns={"body": "text"})
    renamed.to_csv(path.with_suffix(".csv"), index=False)
    df = read_corpus(path.with_suffix(".csv"), label_column="text")  # keeps "text" itself
    assert df["text"].tolist() == df["label"].tolist() == frame["body"].tolist()


def test_split_sentences_by_hand():
    import pandas as pd

    from embviz.datasets import split_sentences

    corpus = pd.DataFrame({"text": ["One two three. Four five six! ok.",
                                    'He said "Go now." Then we left at 5. 2001 was a year.']})
    out = split_sentences(corpus)
    assert out["text"].tolist() == ["One two three.", "Four five six! ok.",
                                    'He said "Go now." Then we left at 5.', "2001 was a year."]
    assert out["document"].tolist() == [0, 0, 1, 1]
