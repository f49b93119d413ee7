"""Bundled corpora and reading users' own files.

Every loader returns a ``pandas.DataFrame`` with the columns ``id`` and ``text`` and, where the
corpus has them, ``label``, ``group`` and ``time``; extra columns are kept. The bundled corpora
are built from Debian / PyPI sources by ``data/build_data.py`` (see ``data/LICENSES.md``).
"""

from __future__ import annotations

import json
import re
import warnings
from dataclasses import dataclass
from io import StringIO
from pathlib import Path

import numpy as np
import pandas as pd

from ._config import data_dir
from ._validation import (
    check_choice,
    check_positive_int,
    check_random_state,
    invalid_text_positions,
)

__all__ = ["DEFAULT_CORPUS", "bible_verses", "list_datasets", "load_dataset", "lee_similarity",
           "read_corpus", "split_sentences"]


@dataclass(frozen=True)
class _Corpus:
    description: str
    licence: str


_CORPORA = {
    "wordnet": _Corpus("WordNet 3.0 glosses; label = one of 45 lexicographer files "
                       "(noun.animal, verb.motion, ...)", "WordNet licence"),
    "fortunes": _Corpus("Unix fortune cookies; label = one of 43 categories", "BSD-style"),
    "bible": _Corpus("KJV (1769) and WEB (2020) verses aligned by reference; group = edition, "
                     "time = year, label = book", "public domain"),
    "lee": _Corpus("Lee et al. (2005) 50 news documents with human similarity judgements "
                   "(see lee_similarity())", "LGPL-2.1 (gensim test data)"),
    "lee_background": _Corpus("300 background news documents of the Lee corpus",
                              "LGPL-2.1 (gensim test data)"),
}

#: The corpus and sample size the app and the main command start with.
DEFAULT_CORPUS = {"name": "wordnet", "n": 5000}


def _parquet(name: str) -> Path:
    path = data_dir() / f"{name}.parquet"
    if not path.exists():
        raise FileNotFoundError(f"bundled corpus file {path} is missing; rebuild it with "
                                f"`python data/build_data.py` or set EMBVIZ_DATA to its folder")
    return path


def list_datasets() -> pd.DataFrame:
    """The bundled corpora: name, rows, number of labels, description and licence."""
    rows = []
    for name, corpus in _CORPORA.items():
        df = pd.read_parquet(_parquet(name), columns=["id"] + (
            ["label"] if name in ("wordnet", "fortunes", "bible") else []))
        rows.append({"name": name, "rows": len(df),
                     "labels": df["label"].nunique() if "label" in df else 0,
                     "description": corpus.description, "licence": corpus.licence})
    return pd.DataFrame(rows)


def load_dataset(name: str = "wordnet", n: int | None = None,
                 random_state: int | None = 0) -> pd.DataFrame:
    """Load a bundled corpus, optionally a label-stratified sample of it.

    Parameters
    ----------
    name : {"wordnet", "fortunes", "bible", "lee", "lee_background", "default"}
        The corpus. ``"default"`` is the sample the app starts with (``DEFAULT_CORPUS``).
    n : int >= 1, optional
        Number of rows to sample (all rows when omitted or larger than the corpus). Sampling
        keeps each label's share. For ``"default"`` it replaces the default sample size.
    random_state : int >= 0 or None, default 0
        Seed of the sample (the package's one default: the same call gives the same sample).

    Returns
    -------
    pandas.DataFrame
        Columns ``id``, ``text`` and the corpus's metadata columns, in corpus order.

    Examples
    --------
    >>> df = load_dataset("wordnet", n=100, random_state=0)
    >>> len(df), df["label"].nunique() > 10
    (100, True)
    """
    check_choice(name, "name", [*_CORPORA, "default"])
    n = None if n is None else check_positive_int(n, "n")
    random_state = check_random_state(random_state)
    if name == "default":
        name, n = DEFAULT_CORPUS["name"], DEFAULT_CORPUS["n"] if n is None else n
    df = pd.read_parquet(_parquet(name))
    if n is None or n >= len(df):
        return df
    return _stratified_sample(df, n, random_state)


def bible_verses(n_verses: int, random_state: int | None = 0) -> pd.DataFrame:
    """Both editions (KJV 1769 and WEB 2020) of ``n_verses`` randomly chosen verses.

    Parameters
    ----------
    n_verses : int
        Verses drawn at random over the whole Bible (not in canonical order, so both
        testaments are represented).
    random_state : int, optional

    Returns
    -------
    pandas.DataFrame of 2 · n_verses rows
        The ``bible`` corpus's columns; each verse once per edition (``group``).

    Examples
    --------
    >>> df = bible_verses(5, random_state=0)
    >>> len(df), sorted(df["group"].unique())
    (10, ['KJV', 'WEB'])
    """
    n_verses = check_positive_int(n_verses, "n_verses")
    random_state = check_random_state(random_state)
    df = load_dataset("bible")
    verses = df["verse"].unique()
    if n_verses > len(verses):
        raise ValueError(f"n_verses={n_verses} exceeds the {len(verses)} aligned verses")
    chosen = np.random.default_rng(random_state).choice(verses, n_verses, replace=False)
    return df[df["verse"].isin(set(chosen))].reset_index(drop=True)


def _stratified_sample(df: pd.DataFrame, n: int, random_state: int | None) -> pd.DataFrame:
    """``n`` rows keeping each label's share (largest remainders), in original order."""
    rng = np.random.default_rng(random_state)
    if "label" not in df:
        return df.iloc[np.sort(rng.choice(len(df), n, replace=False))].reset_index(drop=True)
    counts = df["label"].value_counts(sort=False)
    quota = counts / len(df) * n
    take = np.floor(quota).astype(int)
    remainder = (quota - take).sort_values(ascending=False, kind="stable")
    take[remainder.index[: n - take.sum()]] += 1
    picked = [rng.choice(np.flatnonzero(df["label"].to_numpy() == label), k, replace=False)
              for label, k in take.items() if k > 0]
    return df.iloc[np.sort(np.concatenate(picked))].reset_index(drop=True)


def lee_similarity() -> np.ndarray:
    """Human similarity judgements between the 50 Lee documents, shape ``(50, 50)``.

    Values in [0, 1], symmetric with ones on the diagonal; row ``i`` belongs to
    ``load_dataset("lee")`` row ``i``. Lee, Pincombe & Welsh (2005), "An empirical evaluation of
    models of text document similarity", CogSci.
    """
    return pd.read_parquet(_parquet("lee_similarity")).to_numpy()


_SENTENCE_END = re.compile(r'(?<=[.!?])\s+(?=["\'(\[]?[A-Z0-9])')


def split_sentences(corpus: pd.DataFrame, min_words: int = 3) -> pd.DataFrame:
    """Split each text of a corpus into sentences (a rule, not a parser).

    A sentence ends at ``.``, ``!`` or ``?`` followed by white space and an upper-case letter
    or digit (optionally after an opening quote or bracket); abbreviations such as "Mr. Smith"
    are split too. Pieces of fewer than ``min_words`` words are dropped.

    Parameters
    ----------
    corpus : DataFrame with a ``text`` column, n rows
    min_words : int, default 3

    Returns
    -------
    DataFrame with columns ``text`` and ``document`` (the row position in ``corpus``), one
    row per sentence, in document order.

    Examples
    --------
    >>> corpus = pd.DataFrame({"text": ["One two three. Four five six! ok."]})
    >>> split_sentences(corpus)["text"].tolist()
    ['One two three.', 'Four five six! ok.']
    """
    rows = [(piece.strip(), i) for i, text in enumerate(corpus["text"])
            for piece in _SENTENCE_END.split(str(text))
            if len(piece.split()) >= min_words]
    return pd.DataFrame(rows, columns=["text", "document"])


# --------------------------------------------------------------------------- user files
_READERS = {".csv": "csv", ".tsv": "csv", ".parquet": "parquet", ".pq": "parquet",
            ".jsonl": "jsonl", ".ndjson": "jsonl"}


def read_corpus(path: str | Path, text_column: str = "text", label_column: str | None = None,
                group_column: str | None = None, time_column: str | None = None,
                id_column: str | None = None, invalid: str = "drop") -> pd.DataFrame:
    """Read a user's corpus from CSV, TSV, Parquet or JSON Lines into the embviz layout.

    Parameters
    ----------
    path : str or Path
        The file; its suffix picks the reader (``.csv .tsv .parquet .pq .jsonl .ndjson``).
    text_column : str
        Column holding the texts; it becomes ``text``.
    label_column, group_column, time_column, id_column : str, optional
        Columns that become ``label``, ``group``, ``time`` and ``id``. Without ``id_column``
        an existing ``id`` column is used, else the row numbers in the file. Other columns
        are kept as they are. One column may serve several roles (say the texts are also
        the labels): each role gets a copy.
    invalid : {"drop", "keep", "raise"}
        What to do with rows whose text is missing, not a string, or blank. They are always
        reported (a ``UserWarning`` naming how many and which rows).

    Returns
    -------
    pandas.DataFrame
        Columns ``id``, ``text`` (+ ``label``, ``group``, ``time``, the rest).

    Notes
    -----
    Texts and ids of CSV and TSV files are read as written: ``NA``, ``None``, ``null`` or
    ``nan`` is a text (pandas would read it as missing) and the id ``007`` stays the string
    ``"007"``; only an empty field is a missing text. Other columns get pandas' usual parsing
    (numbers, missing values). JSON Lines values keep their JSON types.
    """
    return _read_corpus(Path(path), str(path), text_column, label_column, group_column,
                        time_column, id_column, invalid)


def _read_corpus(path: Path, name: str, text_column: str = "text",
                 label_column: str | None = None, group_column: str | None = None,
                 time_column: str | None = None, id_column: str | None = None,
                 invalid: str = "drop") -> pd.DataFrame:
    """:func:`read_corpus`, naming the file ``name`` in messages (an upload's own name, not
    the temporary path it was saved under)."""
    df = _read_table(path, name, as_written=(text_column, id_column or "id"))
    return _corpus_from_frame(df, name, text_column, label_column, group_column, time_column,
                             id_column, invalid)


def _corpus_from_frame(df: pd.DataFrame, name: str, text_column: str = "text",
                      label_column: str | None = None, group_column: str | None = None,
                      time_column: str | None = None, id_column: str | None = None,
                      invalid: str = "drop") -> pd.DataFrame:
    """A table's columns in the embviz layout (see :func:`read_corpus`), ``name`` naming the
    table in messages. Used by :func:`read_corpus` and the vector sources
    (:mod:`embviz.sources`, with ``invalid="keep"`` so rows stay aligned with their vectors).
    """
    check_choice(invalid, "invalid", ["drop", "keep", "raise"])
    renames = {"text": text_column, "label": label_column, "group": group_column,
               "time": time_column, "id": id_column}
    for role, column in renames.items():
        if column is not None and column not in df.columns:
            raise ValueError(f"{role}_column={column!r} is not a column of {name}; "
                             f"its columns are {list(df.columns)}")
        if column is not None and column != role and role in df.columns:
            raise ValueError(f"{role}_column={column!r} would replace the existing column "
                             f"{role!r} of {name}; rename one of them first")
    if id_column is None and "id" not in df.columns:
        df.insert(0, "id", np.arange(len(df)).astype(str))
    df = _assign_roles(df, renames)
    bad = invalid_text_positions(df["text"].tolist())
    if bad:
        message = (f"{name}: {len(bad)} row(s) have an empty or non-string {text_column!r} "
                   f"(file rows {bad[:10]}{' ...' if len(bad) > 10 else ''})")
        if invalid == "raise":
            raise ValueError(message)
        warnings.warn(f"{message}; {'dropped' if invalid == 'drop' else 'kept'} them",
                      UserWarning, stacklevel=4)
        if invalid == "drop":
            df = df.drop(index=df.index[bad])
    return df.reset_index(drop=True)


def _assign_roles(df: pd.DataFrame, renames: dict[str, str | None]) -> pd.DataFrame:
    """Rename each column to its role; a column with several roles is copied for the others
    (and stays under its own name when that name is one of its roles)."""
    moves = {role: column for role, column in renames.items()
             if column is not None and column != role}
    kept = {column for role, column in renames.items() if column == role}
    rename: dict[str, str] = {}
    for role, column in moves.items():
        if column not in kept and column not in rename:
            rename[column] = role
    df = df.rename(columns=rename)
    for role, column in moves.items():
        if rename.get(column) != role:
            df[role] = df[rename.get(column, column)]
    return df


def _read_table(path: Path, name: str | None = None, as_written=()) -> pd.DataFrame:
    """The file as a DataFrame; ``name`` is how messages call it (default: the path), and
    the CSV / TSV columns in ``as_written`` are read as strings with only empty fields
    missing."""
    name = str(path) if name is None else name
    if not path.exists():
        raise FileNotFoundError(f"corpus file {name} does not exist")
    kind = _READERS.get(path.suffix.lower())
    if kind is None:
        raise ValueError(f"cannot read {name}: expected one of the suffixes {sorted(_READERS)}")
    if path.stat().st_size == 0:
        raise ValueError(f"corpus file {name} is empty")
    if kind == "parquet":
        try:
            df = pd.read_parquet(path)
        except (OSError, ValueError) as err:  # pyarrow's errors name the path
            raise ValueError(f"{name} is not a readable Parquet file: "
                             f"{str(err).replace(str(path), name)}") from None
    else:
        df = _read_text_table(path, name, kind, as_written)
    if df.empty:
        raise ValueError(f"corpus file {name} has no rows")
    return df


def _read_text_table(path: Path, name: str, kind: str, as_written=()) -> pd.DataFrame:
    raw = path.read_bytes()
    try:
        content = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise ValueError(f"{name} is not valid UTF-8 (byte {err.start}, line {line}); "
                         f"re-save it as UTF-8") from None
    if kind == "jsonl":
        return _parse_jsonl(content, name)
    sep = "\t" if path.suffix.lower() == ".tsv" else ","
    try:
        df = pd.read_csv(StringIO(content), sep=sep)
        verbatim = [c for c in dict.fromkeys(as_written) if c in df.columns]
        if verbatim:  # again, without pandas' NA strings ("NA", "None", "null", "nan", ...)
            as_text = pd.read_csv(StringIO(content), sep=sep, usecols=verbatim, dtype=str,
                                  keep_default_na=False, na_values=[""])
            for column in verbatim:
                df[column] = as_text[column]
        return df
    except pd.errors.EmptyDataError:
        raise ValueError(f"corpus file {name} has no columns") from None
    except pd.errors.ParserError as err:
        raise ValueError(f"{name} is not a well-formed {'TSV' if sep == chr(9) else 'CSV'} "
                         f"file: {err}") from None


def _parse_jsonl(content: str, name: str) -> pd.DataFrame:
    records = []
    for number, line in enumerate(content.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as err:
            raise ValueError(f"{name}, line {number}: not valid JSON ({err.msg})") from None
        if not isinstance(record, dict):
            raise ValueError(f"{name}, line {number}: expected a JSON object per line, "
                             f"got {type(record).__name__}")
        records.append(record)
    return pd.DataFrame.from_records(records)
