"""Encodings chosen by the data, display names and formats, and warnings collected per job."""

from __future__ import annotations

import threading
import warnings

import numpy as np
import pandas as pd
import pytest

from embviz._tables import (
    COLUMN_NAMES,
    column_title,
    display_table,
    format_p_value,
    readable_parameters,
)
from embviz.viz import DataMap
from embviz.viz.encoding import NO_VALUE_COLOR, ZERO_COLOR, choose_encoding, hex_rgb


def test_each_kind_of_values_gets_its_encoding(rng):
    assert choose_encoding(rng.choice(["a", "b", "c"], 100)).kind == "category"
    assert choose_encoding(rng.integers(0, 5, 100)).kind == "category"  # few numbers
    assert choose_encoding(rng.normal(size=500)).kind == "diverging"  # both signs
    assert choose_encoding(rng.normal(5, 1, 500)).kind == "linear"
    counts = np.minimum(rng.zipf(2.0, 2000), 500).astype(float)  # heavy tail
    assert choose_encoding(counts).kind == "log"
    sparse = np.where(rng.random(1000) < 0.01, rng.random(1000) + 0.5, 0.0)
    encoding = choose_encoding(sparse)
    assert encoding.kind == "sparse" and encoding.zeros == (sparse == 0).sum()
    # named ends make any values diverging, symmetric about 0
    named = choose_encoding(rng.normal(0.3, 0.1, 500), ends=("more B-like", "more A-like"))
    assert named.kind == "diverging" and named.low == -named.high
    positions, labels = named.ticks()
    assert positions[1] == 0 and labels[0].endswith("more B-like")
    assert labels[-1].endswith("more A-like")


def test_missing_values_are_counted_and_log_ticks_are_in_data_units(rng):
    values = np.r_[np.full(10, np.nan), np.minimum(rng.zipf(2.0, 990), 300).astype(float)]
    encoding = choose_encoding(values, "k-occurrence (k=10)")
    assert encoding.missing == 10 and "10 points have no value" in encoding.describe()
    positions, labels = encoding.ticks()
    np.testing.assert_allclose(positions, np.log10(1 + np.array(labels, float)))
    assert labels == ["0", "1", "10", "100", "300"]  # decades (1-2-5 is too many), the top


def _one_pixel_map(values, **kwargs) -> DataMap:
    coords = np.zeros((len(values), 2)) + [[0.5, 0.5]]
    coords[0] = [9.5, 9.5]  # a second pixel, so the range is not degenerate
    datamap = DataMap(coords, [f"t{i}" for i in range(len(values))], values=values,
                      width=10, height=10, **kwargs)
    return datamap


def test_points_without_a_value_are_grey_not_coloured():
    values = np.r_[1.0, np.full(50, np.nan), np.linspace(0, 5, 20)]
    coords = np.r_[np.tile([[1.0, 1.0]], (51, 1)), np.column_stack([np.linspace(3, 9, 20)] * 2)]
    coords[0] = [9.0, 1.0]
    datamap = DataMap(coords, ["t"] * len(coords), values=values, width=10, height=10)
    agg = datamap.aggregate()
    image = datamap.shade(agg)
    y, x = np.unravel_index(np.argmax(agg["count"].to_numpy()), agg["count"].shape)
    assert tuple(image[y, x, :3]) == hex_rgb(NO_VALUE_COLOR)  # the 50 NaN points' pixel


def test_sparse_active_points_are_drawn_over_the_zeros():
    values = np.zeros(200)
    values[5] = 3.0  # one active point among 199 zeros in the same pixel
    values[6:] = np.r_[np.zeros(150), np.linspace(1, 4, 44)]
    datamap = _one_pixel_map(values)
    assert datamap.encoding.kind == "sparse"
    image = datamap.shade(datamap.aggregate())
    agg = datamap.aggregate()
    y, x = np.unravel_index(np.argmax(agg["count"].to_numpy()), agg["count"].shape)
    assert tuple(image[y, x, :3]) != hex_rgb(ZERO_COLOR) and image[y, x, 3] == 255
    fields = datamap.hover_data(agg)
    assert tuple(fields) == datamap.hover_fields == ("text", "value", "colour shows",
                                                     "points here")
    assert fields["colour shows"][y, x] > 0  # the active value, not a zero


def test_display_names_formats_and_group_names():
    assert format_p_value(0.0) == "< 1e-6" and format_p_value(3e-9) == "< 1e-6"
    assert format_p_value(2.5e-4) == "2.5e-04" and format_p_value(0.0196) == "0.0196"
    assert format_p_value(float("nan")) == "—"
    assert column_title("n_a", ("KJV", "WEB")) == "n (KJV)"
    assert column_title("k_occurrence") == "k-occurrence"
    assert column_title("neighbor_text") == "neighbour text"
    assert readable_parameters("k=10, metric=cosine, ci_method=a, b; c") == \
        "k = 10; metric: cosine; ci method: a, b; c"
    table = pd.DataFrame({"metric": ["mmd"], "p_value": [0.0], "n_a": [3], "sample": ["a"],
                          "value": [0.123456789]})
    shown, titles = display_table(table, ("KJV", "WEB"))
    assert shown.iloc[0].tolist() == ["MMD two-sample test", "< 1e-6", 3, "KJV", 0.1235]
    assert titles == {"metric": "measure", "p_value": "p-value", "n_a": "n (KJV)",
                      "sample": "group", "value": "value"}
    assert table["p_value"].iloc[0] == 0.0  # the table itself keeps full precision


@pytest.mark.parametrize("column", ["row", "id", "text", "label", "rank", "neighbor",
                                    "neighbor_id", "neighbor_text", "neighbor_label",
                                    "cosine", "statistic", "p_value", "q_value", "significant",
                                    "witness", "relative_error_reduction", "knn_accuracy",
                                    "share_selected", "enrichment", "over_represented",
                                    "effect_size", "is_reference", "jaccard"])
def test_every_column_the_app_shows_has_a_display_name(column):
    assert column in COLUMN_NAMES and "_" not in column_title(column)


def test_warnings_are_collected_per_thread():
    pytest.importorskip("panel")
    from embviz.app.notes import collected, warning_pane

    results = {}

    def job(name, count):
        with collected() as messages:
            for _ in range(count):
                warnings.warn(f"{name} dropped duplicates", UserWarning, stacklevel=1)
            results[name] = list(messages)

    threads = [threading.Thread(target=job, args=(name, n)) for name, n in (("a", 2), ("b", 1))]
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert results == {"a": ["a dropped duplicates"] * 2, "b": ["b dropped duplicates"]}
    pane = warning_pane(results["a"], "Drawing the map")
    assert "(×2)" in pane.object and "1 warning from Drawing the map" in pane.object
