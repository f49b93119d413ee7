"""Check once at the door, kernels within (issue 28, item 1; see ``embviz/_validation.py``).

Counts, while a composite result runs, the scans of its input (``check_embeddings``), the
checks of a graph (``_check_graph``, behind ``check_knn_graph``) and the unit-row
normalisations (``unit_rows``), by wrapping each function in every ``embviz`` module that
imported it. Before the split, ``geometry_report`` of 1,500 x 32 scanned its input 6 times
and checked its graph 8 times (16 and 78 with ``ci=True, n_resamples=10``), and a region
card scanned 41 times.
"""

from __future__ import annotations

import sys
import warnings
from collections import Counter

import numpy as np
import pytest

import embviz._blocks as blocks
import embviz._validation as validation
import embviz.neighbors as neighbors
from embviz.landscape import region_card
from embviz.metrics import geometry_report
from embviz.neighbors import knn_graph

COUNTED = {"scans": (validation, "check_embeddings"),
           "graph_checks": (neighbors, "_check_graph"),
           "unit_rows": (blocks, "unit_rows")}


@pytest.fixture
def calls(monkeypatch) -> Counter:
    """A Counter of the calls of each function in :data:`COUNTED`, by its key."""
    import embviz.drift.kernel_tests  # noqa: F401  (lazily imported modules: wrap them too)
    import embviz.landscape.card  # noqa: F401
    import embviz.metrics.report  # noqa: F401

    counter: Counter = Counter()
    for key, (module, name) in COUNTED.items():
        original = getattr(module, name)

        def counted(*args, _key=key, _original=original, **kwargs):
            counter[_key] += 1
            return _original(*args, **kwargs)

        for loaded in list(sys.modules.values()):
            if (getattr(loaded, "__name__", "").startswith("embviz")
                    and getattr(loaded, name, None) is original):
                monkeypatch.setattr(loaded, name, counted)
    return counter


@pytest.fixture(scope="module")
def X() -> np.ndarray:
    rng = np.random.default_rng(0)
    return (rng.normal(size=(600, 12)) @ rng.normal(size=(12, 24))).astype(np.float32)


def _quietly(function, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return function(*args, **kwargs)


@pytest.mark.parametrize("ci", [False, True])
def test_report_scans_its_input_once(calls, X, ci):
    _quietly(geometry_report, X, ci=ci, n_resamples=10, progress=False)
    assert calls["scans"] == 1
    assert calls["graph_checks"] == 0  # the report built its graph from checked rows
    # the unit rows of the report, its graph search's, and average cosine's float64 rows of
    # the sample and of each half (raw rows: nothing normalised twice by local ID)
    assert calls["unit_rows"] == 3 + (10 if ci else 0)


@pytest.mark.parametrize("ci", [False, True])
def test_report_checks_a_given_graph_once(calls, X, ci):
    graph = knn_graph(X, k=200, progress=False)
    calls.clear()
    _quietly(geometry_report, X, ci=ci, n_resamples=10, graph=graph, progress=False)
    assert calls["scans"] == 1
    assert calls["graph_checks"] == 1


@pytest.mark.parametrize("given", [False, True])
def test_region_card_scans_at_most_twice(calls, X, given):
    graph = knn_graph(X, k=15, progress=False) if given else None
    calls.clear()
    _quietly(region_card, X, np.arange(250), graph=graph, n_permutations=20, progress=False)
    assert calls["scans"] <= 2
    assert calls["graph_checks"] == (1 if given else 0)


def test_the_door_still_names_the_argument(X):
    with pytest.raises(ValueError, match="data contains NaN"):
        bad = X.copy()
        bad[3, 2] = np.nan
        geometry_report(bad, progress=False)
    with pytest.raises(ValueError, match="metric"):
        geometry_report(X, graph=knn_graph(X, k=130, metric="euclidean", progress=False),
                        progress=False)
