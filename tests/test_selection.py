"""embviz.selection: exact selections, set operations, and the over-representation test checked
against scipy's one-sided Fisher exact test."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import false_discovery_control, fisher_exact

from embviz.selection import Selection, composition


def test_selections_combine_as_sets():
    a, b = Selection([5, 1, 3, 3], n=10, how="box"), Selection([3, 4, 5], n=10, how="lasso")
    assert a.rows.tolist() == [1, 3, 5]  # sorted, unique
    assert a.combine(b, "replace") is b
    assert a.combine(b, "add").rows.tolist() == [1, 3, 4, 5]
    assert a.combine(b, "intersect").rows.tolist() == [3, 5]
    assert a.combine(b, "subtract").rows.tolist() == [1]
    assert a.combine(b, "intersect").how == "box, intersect lasso"
    assert a.mask().sum() == 3 and a.mask()[[1, 3, 5]].all()


def test_selection_errors_name_the_argument():
    with pytest.raises(ValueError, match=r"rows must lie in \[0, 10\)"):
        Selection([10], n=10)
    with pytest.raises(ValueError, match="mode"):
        Selection([1], n=10).combine(Selection([2], n=10), "xor")
    with pytest.raises(ValueError, match="10 and 11 points"):
        Selection([1], n=10).combine(Selection([2], n=11))


def test_box_selection_table_has_every_selected_row_with_its_ids():
    rng = np.random.default_rng(0)
    coords = rng.normal(size=(5000, 2))
    meta = pd.DataFrame({"id": [f"doc-{i:05d}" for i in range(5000)],
                         "text": [f"t{i}" for i in range(5000)], "label": ["x"] * 5000})
    selection = Selection.from_box(coords, (-1, -1, 1, 1))
    inside = (np.abs(coords) <= 1).all(axis=1)
    assert len(selection) == inside.sum() > 500  # no cap
    table = selection.rows_table(meta)
    assert table.index.name == "row" and table.index.tolist() == np.flatnonzero(inside).tolist()
    assert table["id"].tolist() == [f"doc-{i:05d}" for i in np.flatnonzero(inside)]
    with pytest.raises(ValueError, match="meta has 3 rows"):
        selection.rows_table(meta.head(3))


def test_composition_p_values_match_fishers_exact_test():
    rng = np.random.default_rng(3)
    values = rng.choice(["a", "b", "c", "d"], size=400, p=[0.4, 0.3, 0.2, 0.1]).astype(object)
    values[:30] = None
    rows = np.flatnonzero((values == "c") | (rng.random(400) < 0.2))
    table = composition(values, rows).set_index("value")
    text = pd.Series(values, dtype="string").fillna("(missing)")
    selected = np.zeros(400, bool)
    selected[rows] = True
    for value, row in table.iterrows():
        has = (text == value).to_numpy()
        counts = [[(has & selected).sum(), (~has & selected).sum()],
                  [(has & ~selected).sum(), (~has & ~selected).sum()]]
        expected = fisher_exact(counts, alternative="greater").pvalue
        assert row["p_value"] == pytest.approx(expected, rel=1e-9, abs=1e-300)
        assert row["n_selected"] == counts[0][0] and row["n_corpus"] == has.sum()
    np.testing.assert_allclose(table["q_value"], false_discovery_control(table["p_value"]))
    assert table.loc["c", "over_represented"] and not table.loc["a", "over_represented"]
    assert "(missing)" in table.index


def test_composition_of_everything_is_the_corpus():
    values = ["a"] * 30 + ["b"] * 70
    table = composition(values, range(100))
    np.testing.assert_allclose(table["share_selected"], table["share_corpus"])
    np.testing.assert_allclose(table["enrichment"], 1.0)
    assert not table["over_represented"].any()
