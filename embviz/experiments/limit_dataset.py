"""A small LIMIT-style retrieval set, a BM25 baseline and recall@k (Weller et al. 2025).

LIMIT (Weller, Boratko, Naim & Lee 2025, "On the Theoretical Limitations of Embedding-Based
Retrieval", arXiv:2508.21038, section 5) turns the free-embedding experiment into text:
documents say what a person likes ("Jon Durben likes Quokkas and Apples."), queries ask
"Who likes Quokkas?", and each query has exactly two relevant people. In the *dense* qrel
pattern that makes LIMIT hard, the queries run through every pair of a small set of people
(46 people give C(46, 2) = 1035 ≥ 1000 queries), each pair with its own attribute; the other
documents are distractors. The authors' generator (``google-deepmind/limit``,
``code/generate_limit_dataset.ipynb``) is followed here, with offline ingredients: names from
built-in lists and attributes from the WordNet headwords of animals, plants and foods bundled
with embviz (``data/wordnet.parquet``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .._blocks import unit_rows
from .._progress import progress_bar
from .._validation import (
    check_embeddings,
    check_positive_int,
    check_random_state,
    check_replicates,
    check_texts,
)

__all__ = ["LimitDataset", "bm25_scores", "limit_dataset", "recall_at_k", "recall_table",
           "retrieval_recall"]

_FIRST_NAMES = (
    "Ada", "Alan", "Alma", "Amos", "Anya", "Arlo", "Bea", "Bruno", "Cara", "Cleo", "Dara",
    "Dev", "Edie", "Elio", "Esme", "Ezra", "Faye", "Felix", "Gus", "Hana", "Hugo", "Ines",
    "Ira", "Ivy", "Jada", "Joel", "Juno", "Kai", "Kira", "Lena", "Leon", "Lior", "Lulu", "Mae",
    "Milo", "Mira", "Nell", "Nico", "Noor", "Oren", "Otis", "Pia", "Quinn", "Rafa", "Remy",
    "Rhea", "Rosa", "Sami", "Saul", "Tess", "Theo", "Uma", "Vera", "Wes", "Wren", "Xavi",
    "Yara", "Yuri", "Zane", "Zoe")
_SURNAMES = (
    "Abbott", "Bishop", "Bramley", "Carver", "Castell", "Dalby", "Durben", "Ellery", "Farrow",
    "Fenwick", "Garland", "Hadley", "Hollis", "Ingram", "Jarvis", "Keller", "Kinsey", "Lacey",
    "Landry", "Marsh", "Merrick", "Norwood", "Oakley", "Orwell", "Pascoe", "Pryor", "Quill",
    "Radley", "Renwick", "Sayer", "Selby", "Tandy", "Thorne", "Upton", "Vance", "Voss",
    "Wadley", "Whitlock", "Yates", "Yardley", "Zeller", "Ashby", "Blythe", "Corrigan",
    "Delaney", "Eastman", "Fairley", "Gentry", "Harlow", "Ives", "Jessup", "Kimball", "Lowry",
    "Mercer", "Nash", "Osgood", "Prescott", "Ramsey", "Sutter", "Tolliver")
#: WordNet lexicographer files whose headwords become things to like.
_ATTRIBUTE_LABELS = ("noun.animal", "noun.plant", "noun.food")


@dataclass
class LimitDataset:
    """A LIMIT-style dataset from :func:`limit_dataset`.

    Attributes
    ----------
    documents : DataFrame
        One row per person: ``id``, ``text`` ("<name> likes A, B and C."), ``name``,
        ``attributes`` (tuple of str), ``core`` (True for the people the queries are about).
    queries : DataFrame
        One row per query: ``id``, ``text`` ("Who likes A?"), ``attribute``.
    qrels : DataFrame
        One row per (query, relevant document): ``query`` and ``doc``, row positions in
        ``queries`` and ``documents``.
    parameters : dict
        The arguments that built it.
    """

    documents: pd.DataFrame
    queries: pd.DataFrame
    qrels: pd.DataFrame
    parameters: dict = field(default_factory=dict)


def _plural(phrase: str) -> str:
    """Naive English plural of the last word, title-cased ("red fox" -> "Red Foxes")."""
    head, _, last = phrase.rpartition(" ")
    if last.endswith(("s", "x", "z", "ch", "sh")):
        last += "es"
    elif last.endswith("y") and last[-2:-1] not in tuple("aeiou"):
        last = last[:-1] + "ies"
    else:
        last += "s"
    return f"{head} {last}".strip().title()


def _attribute_pool() -> list[str]:
    """Distinct plain headwords (one or two lowercase words) of animals, plants and foods."""
    from ..datasets import load_dataset

    wordnet = load_dataset("wordnet")
    heads = wordnet.loc[wordnet["label"].isin(_ATTRIBUTE_LABELS), "headwords"]
    heads = heads.str.split(", ").str[0]
    plain = heads[heads.str.fullmatch(r"[a-z]{3,14}( [a-z]{3,12})?")
                  & ~heads.str.contains(r"\b(?:genus|family|order|class|phylum|division)\b")]
    return sorted({_plural(h) for h in plain})


def _sentence(name: str, attributes: list[str]) -> str:
    liked = attributes[0] if len(attributes) == 1 else \
        f"{', '.join(attributes[:-1])} and {attributes[-1]}"
    return f"{name} likes {liked}."


def limit_dataset(n_people: int = 46, n_queries: int = 1000, n_distractors: int = 0,
                  attributes_per_person: int | None = None,
                  random_state: int | None = 0) -> LimitDataset:
    """Build a LIMIT-style dataset with the dense qrel pattern of Weller et al. (2025).

    The first ``n_queries`` pairs (in lexicographic order, as the authors' generator takes them)
    of ``n_people`` *core* people are the relevant sets of the queries; each query gets its own
    attribute, liked by exactly its two people and by nobody else. Every person, core or
    distractor, then gets further attributes (never a query's) up to
    ``attributes_per_person``, and the document lists them in random order:
    "Ada Durben likes Quokkas, Red Foxes and Bagels." The query is "Who likes Quokkas?".

    Parameters
    ----------
    n_people : int >= 3, default 46
        Core people (the paper's LIMIT: 46, whose 1035 pairs cover its 1000 queries).
    n_queries : int >= 1, default 1000
        Queries, at most ``C(n_people, 2)``; the pairs used are the first ``n_queries`` in
        lexicographic order, as in the authors' generator.
    n_distractors : int >= 0, default 0
        Further people who are relevant to no query (the paper's LIMIT: 49,954; its
        "LIMIT-small": 0).
    attributes_per_person : int, optional
        Attributes every document lists. Default: the largest number of query attributes any
        core person has, so that distractors look like core people (no length cue). Core
        people with more query attributes than this keep all of theirs.
    random_state : int or None, default 0
        Seeds names, attributes and their order.

    Returns
    -------
    LimitDataset
        ``documents`` (core people first), ``queries`` and ``qrels`` (two rows per query).

    References
    ----------
    Weller et al. (2025), arXiv:2508.21038, section 5.1 and Figure 3; the generator
    ``generate_limit_dataset.ipynb`` of ``google-deepmind/limit`` ("dense" qrels).

    Examples
    --------
    >>> data = limit_dataset(n_people=6, n_queries=15, n_distractors=4, random_state=0)
    >>> len(data.documents), len(data.queries), len(data.qrels)
    (10, 15, 30)
    >>> data.queries["text"].str.startswith("Who likes ").all()
    True
    """
    n_people = check_positive_int(n_people, "n_people", minimum=3)
    n_queries = check_positive_int(n_queries, "n_queries")
    if n_queries > math.comb(n_people, 2):
        raise ValueError(f"n_queries must be at most C(n_people, 2) = "
                         f"{math.comb(n_people, 2)} for n_people={n_people}, got {n_queries}")
    n_distractors = check_positive_int(n_distractors, "n_distractors", minimum=0)
    random_state = check_random_state(random_state)
    pairs = [(i, j) for i in range(n_people) for j in range(i + 1, n_people)][:n_queries]
    per_person = np.bincount(np.ravel(pairs), minlength=n_people)
    if attributes_per_person is None:
        attributes_per_person = int(per_person.max())
    attributes_per_person = check_positive_int(attributes_per_person, "attributes_per_person")
    n_total = n_people + n_distractors
    if n_total > len(_FIRST_NAMES) * len(_SURNAMES):
        raise ValueError(f"n_people + n_distractors must be at most "
                         f"{len(_FIRST_NAMES) * len(_SURNAMES)} (distinct names), got {n_total}")

    rng = np.random.default_rng(random_state)
    pool = np.array(_attribute_pool(), dtype=object)
    if len(pool) < n_queries + attributes_per_person:
        raise ValueError(f"n_queries={n_queries} needs more than the {len(pool)} attributes "
                         f"available; use fewer queries or attributes_per_person")
    pool = pool[rng.permutation(len(pool))]
    query_attributes, spare = list(pool[:n_queries]), pool[n_queries:]
    liked: list[list[str]] = [[] for _ in range(n_total)]
    for attribute, (i, j) in zip(query_attributes, pairs):
        liked[i].append(attribute)
        liked[j].append(attribute)
    for person in liked:
        missing = attributes_per_person - len(person)
        if missing > 0:
            person.extend(rng.choice(spare, missing, replace=False))
        rng.shuffle(person)

    names = [f"{_FIRST_NAMES[f]} {_SURNAMES[s]}" for f, s in
             (divmod(int(c), len(_SURNAMES)) for c in
              rng.choice(len(_FIRST_NAMES) * len(_SURNAMES), n_total, replace=False))]
    documents = pd.DataFrame({
        "id": [f"person_{i}" for i in range(n_total)],
        "text": [_sentence(name, person) for name, person in zip(names, liked)],
        "name": names, "attributes": [tuple(person) for person in liked],
        "core": np.arange(n_total) < n_people})
    queries = pd.DataFrame({"id": [f"query_{q}" for q in range(n_queries)],
                            "text": [f"Who likes {a}?" for a in query_attributes],
                            "attribute": query_attributes})
    qrels = pd.DataFrame({"query": np.repeat(np.arange(n_queries), 2),
                          "doc": np.ravel(pairs).astype(np.int64)})
    return LimitDataset(documents, queries, qrels, {
        "n_people": n_people, "n_queries": n_queries, "n_distractors": n_distractors,
        "attributes_per_person": attributes_per_person, "random_state": random_state})


def bm25_scores(queries, documents, k1: float = 1.2, b: float = 0.75) -> np.ndarray:
    """Okapi BM25 scores of every document for every query (a lexical baseline).

    Words are lowercase runs of letters and digits (scikit-learn's ``CountVectorizer`` with
    ``token_pattern=r"(?u)\\b\\w+\\b"``); ``idf = log(1 + (N - df + 0.5) / (df + 0.5))`` (the
    non-negative form of Lucene and rank_bm25's ``BM25Okapi``).

    Parameters
    ----------
    queries : sequence of str, length m
    documents : sequence of str, length n
    k1 : float, default 1.2
        Term-frequency saturation.
    b : float in [0, 1], default 0.75
        Length normalisation.

    Returns
    -------
    ndarray of shape (m, n), float64

    References
    ----------
    Robertson, Walker, Jones, Hancock-Beaulieu & Gatford (1995), "Okapi at TREC-3".

    Examples
    --------
    >>> s = bm25_scores(["who likes cats"], ["Ann likes cats.", "Bo likes dogs."])
    >>> bool(s[0, 0] > s[0, 1])
    True
    """
    from sklearn.feature_extraction.text import CountVectorizer

    from .._validation import check_number

    queries = check_texts(list(queries), "queries")
    documents = check_texts(list(documents), "documents")
    k1 = check_number(k1, "k1", 0, np.inf)
    b = check_number(b, "b", 0, 1)
    vectorizer = CountVectorizer(token_pattern=r"(?u)\b\w+\b")
    counts = vectorizer.fit_transform(documents).tocsc().astype(np.float64)
    lengths = np.asarray(counts.sum(axis=1)).ravel()
    df = np.diff(counts.indptr)
    idf = np.log1p((len(documents) - df + 0.5) / (df + 0.5))
    weights = counts.tocoo()
    norm = k1 * (1 - b + b * lengths / lengths.mean())
    weights.data = idf[weights.col] * weights.data * (k1 + 1) / (weights.data + norm[weights.row])
    query_terms = (vectorizer.transform(queries) > 0).astype(np.float64)
    return np.asarray((query_terms @ weights.tocsr().T).todense())


def _relevant_lists(qrels, n_queries: int, n_docs: int) -> list[np.ndarray]:
    """Relevant document positions per query from a qrels table or a list of lists."""
    if isinstance(qrels, pd.DataFrame):
        if not {"query", "doc"} <= set(qrels.columns):
            raise ValueError("qrels as a DataFrame needs integer columns 'query' and 'doc' "
                             f"(row positions), got columns {list(qrels.columns)}")
        groups = qrels.groupby("query")["doc"].apply(lambda s: s.to_numpy(np.int64))
        lists = [groups.get(q, np.empty(0, np.int64)) for q in range(n_queries)]
        if qrels["query"].min() < 0 or qrels["query"].max() >= n_queries:
            raise ValueError(f"qrels['query'] must hold row positions in [0, {n_queries})")
    else:
        lists = [np.asarray(r, np.int64).ravel() for r in qrels]
        if len(lists) != n_queries:
            raise ValueError(f"qrels must have one list of relevant documents per query "
                             f"({n_queries}), got {len(lists)}")
    if any(len(r) == 0 for r in lists):
        empty = [q for q, r in enumerate(lists) if len(r) == 0][:5]
        raise ValueError(f"every query needs at least one relevant document in qrels; "
                         f"queries {empty} have none")
    if any(r.min() < 0 or r.max() >= n_docs for r in lists):
        raise ValueError(f"qrels must hold document row positions in [0, {n_docs})")
    return lists


def recall_at_k(scores, qrels, n_retrieved: int) -> np.ndarray:
    """Per-query recall@k of a score matrix: share of relevant documents in the top k.

    ``k`` is the cut-off ``n_retrieved``; the name of the measure is the paper's.

    Parameters
    ----------
    scores : array of shape (m, n)
        Score of document j for query i (higher is better). Ties are broken by document
        order (a stable sort), as in ``numpy.argsort(-scores, kind="stable")``.
    qrels : DataFrame with columns ``query``, ``doc`` (row positions), or list of m lists
    n_retrieved : int >= 1
        Cut-off: documents retrieved per query (at most n; larger values are clipped to n).

    Returns
    -------
    ndarray of shape (m,), float64
        The paper's recall@k is its mean.

    Examples
    --------
    >>> scores = np.array([[0.9, 0.1, 0.8], [0.2, 0.7, 0.3]])
    >>> recall_at_k(scores, [[0, 1], [2]], n_retrieved=2).tolist()
    [0.5, 1.0]
    """
    scores = check_embeddings(scores, "scores")
    k = check_positive_int(n_retrieved, "n_retrieved")
    lists = _relevant_lists(qrels, *scores.shape)
    top = np.argsort(-scores, axis=1, kind="stable")[:, :min(k, scores.shape[1])]
    relevant = np.zeros(scores.shape, bool)
    counts = np.array([len(np.unique(r)) for r in lists])
    relevant[np.repeat(np.arange(len(lists)), [len(r) for r in lists]), np.concatenate(lists)] = 1
    return relevant[np.arange(len(lists))[:, None], top].sum(axis=1) / counts


def retrieval_recall(query_vectors, doc_vectors, qrels, n_retrieved: int) -> np.ndarray:
    """Per-query recall@k of dense retrieval by cosine similarity.

    Parameters
    ----------
    query_vectors : EmbeddingSet, array or tensor of shape (m, d)
    doc_vectors : EmbeddingSet, array or tensor of shape (n, d)
    qrels : DataFrame with columns ``query``, ``doc`` (row positions), or list of m lists
    n_retrieved : int >= 1
        Cut-off: documents retrieved per query.

    Returns
    -------
    ndarray of shape (m,), float64
        Share of each query's relevant documents among its ``n_retrieved`` most
        cosine-similar documents.

    Examples
    --------
    >>> q = np.array([[1.0, 0.0], [0.0, 1.0]])
    >>> docs = np.array([[2.0, 0.1], [0.1, 3.0], [1.0, 1.0]])
    >>> retrieval_recall(q, docs, [[0], [1, 2]], n_retrieved=1).tolist()
    [1.0, 0.5]
    """
    query_vectors = check_embeddings(query_vectors, "query_vectors")
    doc_vectors = check_embeddings(doc_vectors, "doc_vectors")
    if query_vectors.shape[1] != doc_vectors.shape[1]:
        raise ValueError(f"query_vectors and doc_vectors must have the same dimension, got "
                         f"{query_vectors.shape[1]} and {doc_vectors.shape[1]}")
    scores = unit_rows(query_vectors, name="query_vectors") @ \
        unit_rows(doc_vectors, name="doc_vectors").T
    return recall_at_k(scores, qrels, n_retrieved)


def recall_table(scores: dict, qrels, n_retrieved=(2, 10, 100), n_resamples: int = 1000,
                 random_state: int | None = 0, progress: bool = True) -> pd.DataFrame:
    """Mean recall@k per retriever, with percentile-bootstrap intervals over queries.

    Parameters
    ----------
    scores : dict of str -> array of shape (m, n)
        Score matrices of the retrievers (e.g. cosine similarities, BM25), same queries and
        documents.
    qrels : DataFrame with columns ``query``, ``doc``, or list of m lists
    n_retrieved : int or sequence of int, default (2, 10, 100)
        Cut-offs (documents retrieved per query); those larger than the number of documents
        are skipped.
    n_resamples : int, default 1000
        Bootstrap resamples of the queries (a query's relevant documents stay together).
    random_state : int or None, default 0
    progress : bool, default True
        A progress bar over the (retriever, cut-off) bootstraps.

    Returns
    -------
    DataFrame
        ``metric`` ("recall@k"), ``value`` (mean over queries), ``ci_low``, ``ci_high`` (95%
        percentile bootstrap over queries), ``parameters``, then ``retriever``, ``n_retrieved``
        and ``n_queries``.

    Examples
    --------
    >>> table = recall_table({"a": np.eye(3)}, [[0], [1], [2]], n_retrieved=1,
    ...                      n_resamples=50, progress=False)
    >>> table[["metric", "value", "retriever"]].values.tolist()
    [['recall@1', 1.0, 'a']]
    """
    from ..stats import bootstrap_ci

    if not isinstance(scores, dict) or not scores:
        raise ValueError("scores must be a non-empty dict of retriever name -> (m, n) array")
    n_resamples = check_replicates(n_resamples, "n_resamples", minimum=10)
    ks = [check_positive_int(k, "n_retrieved") for k in np.atleast_1d(n_retrieved)]
    rows = []
    bar = progress_bar(total=len(scores) * len(ks), desc="recall table", unit="bootstrap",
                       disable=not progress)
    for name, matrix in scores.items():
        matrix = check_embeddings(matrix, f"scores[{name!r}]")
        for k in ks:
            bar.update(1)
            if k > matrix.shape[1]:
                continue
            recall = recall_at_k(matrix, qrels, k)
            mean = bootstrap_ci(lambda X: float(X.mean()), recall[:, None],
                                n_resamples=n_resamples, random_state=random_state,
                                progress=False)
            rows.append({"metric": f"recall@{k}", "value": mean.value, "ci_low": mean.ci_low,
                         "ci_high": mean.ci_high, "parameters": f"n_retrieved={k}, bootstrap over "
                         f"queries (n_resamples={n_resamples})", "retriever": name,
                         "n_retrieved": k,
                         "n_queries": len(recall)})
    bar.close()
    return pd.DataFrame(rows, columns=["metric", "value", "ci_low", "ci_high", "parameters",
                                       "retriever", "n_retrieved", "n_queries"])
