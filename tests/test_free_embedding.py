"""The free-embedding experiment and the LIMIT-style dataset of Weller et al. (2025).

Known answers: in d = 2 the top-2 set of a direction is two documents adjacent on the circle
(unit vectors), so at most n of the C(n, 2) pairs are retrievable and n = 4 is impossible while
n = 3 is solvable: the critical n of d = 2 is exactly 3. Small problems in more dimensions are
solved exactly. Runs on one torch thread, in well under a minute.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest

from embviz.experiments import (
    PAPER_CUBIC,
    bm25_scores,
    critical_n,
    cyclic_polytope_embedding,
    free_embedding_fit,
    limit_dataset,
    paper_critical_n,
    polynomial_fit,
    recall_at_k,
    recall_table,
    retrieval_recall,
)

FAST = {"patience": 300, "max_steps": 4000, "progress": False}


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    torch = pytest.importorskip("torch")
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _every_pair_is_top_2(queries: np.ndarray, docs: np.ndarray, n: int) -> bool:
    """Checked independently of the package: numpy argsort of the dot products."""
    top = np.argsort(-(queries @ docs.T), axis=1)[:, :2]
    return all(set(row) == set(pair)
               for row, pair in zip(top, itertools.combinations(range(n), 2)))


# ------------------------------------------------------------------ free embeddings

def test_a_small_problem_is_solved_exactly():
    fit = free_embedding_fit(6, d=8, random_state=0, **FAST)
    assert fit.solved and fit.stop == "solved" and fit.accuracy == 1.0
    assert fit.query_vectors.shape == (15, 8) and fit.doc_vectors.shape == (6, 8)
    np.testing.assert_allclose(np.linalg.norm(fit.doc_vectors, axis=1), 1, atol=1e-5)
    assert _every_pair_is_top_2(fit.query_vectors, fit.doc_vectors, 6)


def test_same_seed_same_vectors_other_seed_other_vectors():
    a = free_embedding_fit(5, d=4, random_state=3, **FAST)
    b = free_embedding_fit(5, d=4, random_state=3, **FAST)
    c = free_embedding_fit(5, d=4, random_state=4, **FAST)
    np.testing.assert_array_equal(a.doc_vectors, b.doc_vectors)
    assert a.steps == b.steps and not np.allclose(a.doc_vectors, c.doc_vectors)


def test_d2_three_documents_solvable_four_impossible():
    assert free_embedding_fit(3, d=2, **FAST).solved
    fit = free_embedding_fit(4, d=2, **FAST)
    assert not fit.solved and fit.stop in ("patience", "max_steps") and fit.accuracy < 1
    assert not _every_pair_is_top_2(fit.query_vectors, fit.doc_vectors, 4)


def test_far_above_the_paper_curve_fails():
    """d = 3: the paper's cubic gives 2.1 documents; 12 documents (66 pairs) cannot be done."""
    assert paper_critical_n(3) < 3
    fit = free_embedding_fit(12, d=3, patience=200, max_steps=2000, progress=False)
    assert not fit.solved and fit.accuracy < 0.95


def test_critical_n_bounded_at_d2_and_monotone_in_d():
    """d = 2 can never pass 3 documents; a single run may do worse (at n = 3 this seed's run
    stalls with two documents on one point, the optimiser's failure, not geometry's)."""
    quick = {"patience": 200, "max_steps": 2000, "progress": False}
    results = [critical_n(d, n_start=3, **quick) for d in (2, 3, 4)]
    values = [r.critical_n for r in results]
    assert values[0] <= 3 and not results[0].trials.query("n >= 4")["solved"].any()
    assert values == sorted(values) and values[2] >= 5, values
    for r in results:  # the search converged: the next n was tried and failed
        assert r.first_failure == r.critical_n + 1
        trials = r.trials.set_index("n")
        assert not trials.loc[[r.first_failure], "solved"].any()
        if r.critical_n > 2:
            assert trials.loc[[r.critical_n], "solved"].all()


@pytest.mark.parametrize("n, k", [(60, 2), (12, 3)])
def test_the_cyclic_polytope_retrieves_every_subset_in_2k_dims(n, k):
    """A construction beats the optimiser: 60 documents in d = 4, the paper's cubic says 6.7."""
    queries, docs = cyclic_polytope_embedding(n, n_relevant=k)
    assert queries.shape == (math.comb(n, k), 2 * k) and docs.shape == (n, 2 * k)
    np.testing.assert_allclose(np.linalg.norm(queries, axis=1), 1)
    scores = queries @ docs.T
    top = np.sort(np.argsort(-scores, axis=1)[:, :k], axis=1)
    np.testing.assert_array_equal(top, np.array(list(itertools.combinations(range(n), k))))
    kth, next_best = np.sort(scores, axis=1)[:, [-k, -k - 1]].T
    assert (kth - next_best > 1e-9).all()  # a strict margin, not a tie


def test_gradients_match_autograd():
    import torch

    from embviz.experiments.free_embedding import _loss_and_gradients

    gen = torch.Generator().manual_seed(0)
    subsets = torch.tensor(list(itertools.combinations(range(7), 3)))
    q = torch.nn.functional.normalize(torch.randn(len(subsets), 5, generator=gen), dim=1)
    d = torch.nn.functional.normalize(torch.randn(7, 5, generator=gen), dim=1)
    loss, grad_q, grad_d = _loss_and_gradients(q, d, subsets, 0.1)
    q_, d_ = q.clone().requires_grad_(), d.clone().requires_grad_()
    reference = -torch.log_softmax(q_ @ d_.T / 0.1, dim=1).gather(1, subsets).mean()
    reference.backward()
    assert loss == pytest.approx(float(reference.detach()), rel=1e-5)
    torch.testing.assert_close(grad_q, q_.grad, rtol=1e-4, atol=1e-6)
    torch.testing.assert_close(grad_d, d_.grad, rtol=1e-4, atol=1e-6)


def test_paper_cubic_and_polynomial_fit():
    assert paper_critical_n(10) == pytest.approx(-10.5322 + 40.309 + 5.2 + 3.7)
    dims = np.arange(4, 21, 2)
    fit = polynomial_fit(dims, paper_critical_n(dims))
    np.testing.assert_allclose(fit["coefficients"], PAPER_CUBIC, atol=1e-8)
    assert fit["r2"] == pytest.approx(1.0)
    line = polynomial_fit([1, 2, 3], [2, 4, 6], degree=1)
    np.testing.assert_allclose(line["coefficients"], [0, 2], atol=1e-12)


@pytest.mark.parametrize("call, match", [
    (lambda: free_embedding_fit(2, d=4), "n must be an integer >= 3"),
    (lambda: free_embedding_fit(5, d=0), "d must be an integer >= 1"),
    (lambda: free_embedding_fit(5, d=4, temperature=0.0), "temperature must be"),
    (lambda: free_embedding_fit(5, d=4, learning_rate=-1.0), "learning_rate must be"),
    (lambda: free_embedding_fit(5, d=4, device="tpu"), "device must be one of"),
    (lambda: critical_n(4, n_start=50, n_max=20), "n_start must be at most n_max=20"),
    (lambda: polynomial_fit([4, 6, 8], [1, 2, 3]), "more than 3 distinct values of d"),
    (lambda: polynomial_fit([4, 6], [1, 2, 3], degree=1), "same length"),
])
def test_bad_arguments_are_named(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# ------------------------------------------------------------------ LIMIT-style data

@pytest.fixture(scope="module")
def data():
    return limit_dataset(n_people=10, n_queries=40, n_distractors=15, random_state=0)


def test_limit_counts_and_dense_pattern(data):
    docs, queries, qrels = data.documents, data.queries, data.qrels
    assert (len(docs), len(queries), len(qrels)) == (25, 40, 80)
    assert docs["core"].sum() == 10 and not docs["core"].iloc[10:].any()
    assert qrels.groupby("query").size().eq(2).all()
    pairs = [tuple(sorted(g)) for _, g in qrels.groupby("query")["doc"]]
    assert pairs == list(itertools.combinations(range(10), 2))[:40]  # the first 40 pairs
    assert qrels["doc"].max() < 10  # distractors are relevant to nothing
    assert docs["name"].is_unique and queries["attribute"].is_unique
    assert docs["attributes"].map(len).eq(data.parameters["attributes_per_person"]).all()


def test_limit_every_query_attribute_is_liked_by_exactly_its_two_people(data):
    docs, queries, qrels = data.documents, data.queries, data.qrels
    for q, row in queries.iterrows():
        assert row["text"] == f"Who likes {row['attribute']}?"
        holders = {i for i, attrs in enumerate(docs["attributes"]) if row["attribute"] in attrs}
        assert holders == set(qrels.loc[qrels["query"] == q, "doc"])
        for i in holders:
            assert row["attribute"] in docs.loc[i, "text"]
            assert docs.loc[i, "text"].startswith(f"{docs.loc[i, 'name']} likes ")


def test_limit_is_deterministic(data):
    again = limit_dataset(n_people=10, n_queries=40, n_distractors=15, random_state=0)
    other = limit_dataset(n_people=10, n_queries=40, n_distractors=15, random_state=1)
    pd.testing.assert_frame_equal(data.documents, again.documents)
    pd.testing.assert_frame_equal(data.queries, again.queries)
    assert not data.queries["attribute"].equals(other.queries["attribute"])


@pytest.mark.parametrize("kwargs, match", [
    ({"n_people": 2}, "n_people must be an integer >= 3"),
    ({"n_people": 5, "n_queries": 11}, r"n_queries must be at most C\(n_people, 2\) = 10"),
    ({"n_people": 5, "n_queries": 5, "n_distractors": -1}, "n_distractors must be"),
    ({"n_people": 5, "n_queries": 5, "attributes_per_person": 0}, "attributes_per_person"),
])
def test_limit_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        limit_dataset(**kwargs)


# ------------------------------------------------------------------ recall and BM25

def test_recall_at_k_by_hand():
    scores = np.array([[0.9, 0.1, 0.8, 0.0],
                       [0.2, 0.7, 0.3, 0.6],
                       [0.5, 0.5, 0.5, 0.5]])   # a tie: document order decides
    qrels = pd.DataFrame({"query": [0, 0, 1, 1, 2, 2], "doc": [0, 1, 2, 3, 2, 3]})
    np.testing.assert_allclose(recall_at_k(scores, qrels, 2), [0.5, 0.5, 0.0])
    np.testing.assert_allclose(recall_at_k(scores, qrels, 3), [1.0, 1.0, 0.5])
    np.testing.assert_allclose(recall_at_k(scores, qrels, 10), [1.0, 1.0, 1.0])


def test_retrieval_recall_is_cosine_not_dot():
    queries = np.array([[1.0, 0.0]])
    docs = np.array([[10.0, 10.0], [1.0, 0.05], [0.0, 1.0]])  # the long vector wins on dot
    assert retrieval_recall(queries, docs, [[1]], n_retrieved=1).tolist() == [1.0]
    assert recall_at_k(queries @ docs.T, [[1]], n_retrieved=1).tolist() == [0.0]


def test_bm25_by_hand():
    docs = ["a b", "a a c", "c d e f"]
    scores = bm25_scores(["a", "c x"], docs, k1=1.2, b=0.75)
    lengths, avg = np.array([2, 3, 4]), 3.0

    def term(tf, df, length):
        idf = math.log(1 + (3 - df + 0.5) / (df + 0.5))
        return idf * tf * 2.2 / (tf + 1.2 * (0.25 + 0.75 * length / avg))

    expected = [[term(1, 2, 2), term(2, 2, 3), 0.0],
                [0.0, term(1, 2, 3), term(1, 2, 4)]]
    np.testing.assert_allclose(scores, expected, rtol=1e-12)
    assert lengths.mean() == avg


def test_recall_table_columns_and_interval(data):
    scores = bm25_scores(data.queries["text"], data.documents["text"])
    table = recall_table({"bm25": scores, "random": np.random.default_rng(0).random(
        scores.shape)}, data.qrels, n_retrieved=(2, 10, 100), n_resamples=200)
    assert list(table.columns[:5]) == ["metric", "value", "ci_low", "ci_high", "parameters"]
    assert set(table["metric"]) == {"recall@2", "recall@10"}  # 100 > 25 documents: skipped
    assert (table["ci_low"] <= table["value"]).all() and (table["value"] <= table["ci_high"]).all()
    bm25 = table.set_index(["retriever", "n_retrieved"])["value"]
    assert bm25["bm25", 2] > 0.9 and bm25["bm25", 2] > bm25["random", 2]


@pytest.mark.parametrize("call, match", [
    (lambda: recall_at_k(np.ones((2, 3)), [[0]], 1), "one list of relevant documents per query"),
    (lambda: recall_at_k(np.ones((2, 3)), [[0], [3]], 1), r"positions in \[0, 3\)"),
    (lambda: recall_at_k(np.ones((2, 3)), [[0], []], 1), "queries \\[1\\] have none"),
    (lambda: recall_at_k(np.ones((1, 3)), pd.DataFrame({"q": [0]}), 1), "columns 'query'"),
    (lambda: recall_at_k(np.ones((1, 3)), [[0]], 0), "n_retrieved must be an integer >= 1"),
    (lambda: retrieval_recall(np.ones((1, 2)), np.ones((3, 4)), [[0]], 1), "same dimension"),
    (lambda: recall_table({}, [[0]]), "non-empty dict"),
])
def test_recall_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()
