"""Depth-based choice of in-context examples and few-shot classification with smollm2."""

import numpy as np
import pytest

from embviz.experiments import few_shot_classify, select_examples

X = np.array([[1, 0], [1, .1], [1, -.1], [0, 1], [.1, 1], [-.2, 1]])
LABELS = list("aaabbb")


def test_select_examples_known_answers():
    # deepest of each class is the one between the other two; best-ranked come last
    assert select_examples(X, LABELS, n_shots=1).tolist() == [0, 3]
    assert select_examples(X, LABELS, n_shots=2).tolist()[2:] == [0, 3]
    # nearest to a query leaning towards +x within each class
    assert select_examples(X, LABELS, n_shots=1, method="nearest", query=[.3, 1]).tolist() == [1, 4]
    picks = select_examples(X, LABELS, n_shots=2, method="random", random_state=0)
    assert sorted(np.asarray(LABELS)[picks].tolist()) == ["a", "a", "b", "b"]
    assert len(set(picks.tolist())) == 4
    with pytest.raises(ValueError, match="query"):
        select_examples(X, LABELS, n_shots=1, method="nearest")
    with pytest.raises(ValueError, match="candidates"):
        select_examples(X, LABELS, n_shots=4)


def test_few_shot_classify_runs_smollm2_on_an_easy_task():
    import pandas as pd

    pool = pd.DataFrame({"text": ["a dog barks", "a cat meows", "a small horse",
                                  "an apple pie", "bread and butter", "a bowl of soup"],
                         "label": ["animal"] * 3 + ["food"] * 3})
    queries = pd.DataFrame({"text": ["a big lion", "cheese and crackers"],
                            "label": ["animal", "food"]})
    rng = np.random.default_rng(0)
    out = few_shot_classify(pool, rng.normal(size=(6, 8)), queries, rng.normal(size=(2, 8)),
                            {"animal": "animal", "food": "food"}, n_shots=2, device="cpu",
                            progress=False)
    assert len(out) == 6 and set(out["method"]) == {"depth", "random", "nearest"}
    assert out["prediction"].isin(["animal", "food"]).all()
    assert out["correct"].mean() >= 0.5  # an easy task even for a 135M model


def test_compare_selections_known_answer():
    import pandas as pd
    from scipy import stats

    from embviz.experiments import compare_selections

    n = 20
    correct = {"depth": [True] * n, "random": [True, False] * (n // 2),
               "nearest": [True] * (n - 1) + [False]}
    results = pd.DataFrame([{"method": m, "query": q, "correct": c}
                            for m, cs in correct.items() for q, c in enumerate(cs)])
    accuracy, pairs = compare_selections(results, n_resamples=500)
    assert accuracy.set_index("method")["accuracy"].to_dict() == {
        "depth": 1.0, "random": 0.5, "nearest": 0.95}
    assert (accuracy["ci_low"] <= accuracy["accuracy"]).all()
    row = pairs.set_index(["a", "b"]).loc[("depth", "random")]
    assert row["difference"] == 0.5 and (row["only_a"], row["only_b"]) == (10, 0)
    assert row["p_value"] == pytest.approx(stats.binomtest(0, 10, 0.5).pvalue)
    assert row["ci_low"] > 0 and row["ci_high"] <= 0.75
    assert (pairs["p_holm"] >= pairs["p_value"]).all()
