"""The one shape of result table and its display names."""

import numpy as np
import pandas as pd

from embviz._tables import (
    DISPLAY_NAMES,
    RESULT_COLUMNS,
    display_name,
    format_parameters,
    result_table,
    with_labels,
)


def test_result_table_puts_the_standard_columns_first():
    table = result_table([{"metric": "twonn", "value": 7.5, "parameters": {"k": 10}},
                          {"metric": "mmd", "value": 0.1, "ci_low": 0.05, "ci_high": 0.2,
                           "parameters": "kernel=rbf", "p_value": 0.01}])
    assert list(table.columns) == [*RESULT_COLUMNS, "p_value"]
    assert table["parameters"].tolist() == ["k=10", "kernel=rbf"]
    assert np.isnan(table.loc[0, "ci_low"]) and np.isnan(table.loc[0, "p_value"])
    assert list(result_table([]).columns) == RESULT_COLUMNS


def test_parameters_read_as_text():
    assert format_parameters({"k": 10, "metric": "cosine", "hub_size": 2.0,
                              "sizes": (1, 2)}) == "k=10, metric=cosine, hub_size=2, sizes=(1, 2)"
    assert format_parameters(None) == "" and format_parameters("x=1") == "x=1"


def test_every_report_metric_has_a_display_name():
    from embviz.metrics import geometry_report

    X = np.random.default_rng(0).normal(size=(60, 5))
    report = geometry_report(X, local_k=20, labels=np.arange(60) % 3, progress=False)
    assert set(report["metric"]) <= set(DISPLAY_NAMES)
    labelled = with_labels(report)
    assert list(labelled.columns[:2]) == ["metric", "label"]
    assert labelled.set_index("metric").loc["isoscore", "label"] == "IsoScore"
    assert display_name("some_new_measure") == "some new measure"
    pd.testing.assert_frame_equal(labelled.drop(columns="label"), report)
