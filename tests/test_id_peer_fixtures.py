"""The peers' own reference outputs: scikit-dimension 0.5's ``tests/reference/fixtures.json``.

Those fixtures hold what R's intrinsicDimension 1.2.0 and DADApy (git d729b88) computed on two
seeded data sets that scikit-dimension rebuilds in ``tests/reference/data.py`` (a 5-ball in
R^10 and a 4-sphere in R^5, 300 points each). Where embviz defines the same quantity it must
reproduce them: tolerance rtol 1e-6 (measured <= 5e-8; embviz's graph keeps float32 distances).
"""

import importlib.resources
import json
import sys

import numpy as np
import pytest

from embviz.metrics import gride, mle, twonn
from embviz.metrics.gride import gride_scales
from embviz.neighbors import knn_graph

skdim = pytest.importorskip("skdim")
REFERENCE = importlib.resources.files("skdim") / "tests" / "reference"
if not (REFERENCE / "fixtures.json").is_file():
    pytest.skip("this scikit-dimension has no reference fixtures (0.5 or later has them)",
                allow_module_level=True)
FIXTURES = json.loads((REFERENCE / "fixtures.json").read_text())
sys.path.insert(0, str(REFERENCE))
from data import id_datasets  # noqa: E402  (scikit-dimension's seeded data)

DATA = id_datasets()
E = "euclidean"
RTOL = 1e-6


@pytest.fixture(scope="module", params=sorted(DATA))
def case(request):
    X = DATA[request.param]
    return request.param, X, knn_graph(X, k=64, metric=E, progress=False)


def test_mle_matches_r_intrinsic_dimension(case):
    """maxLikGlobalDimEst: k = 20 and 5 (MacKay–Ghahramani pooling), the Levina–Bickel
    unbiased k − 2, and the mean of the local estimates."""
    name, _, graph = case
    ref = FIXTURES["intrinsicDimension"][name]
    assert mle(graph, k=20, metric=E) == pytest.approx(ref["mle_k20"], rel=RTOL)
    assert mle(graph, k=5, metric=E) == pytest.approx(ref["mle_k5"], rel=RTOL)
    assert mle(graph, k=20, metric=E, unbiased=True) == pytest.approx(ref["mle_k20_unbiased"],
                                                                       rel=RTOL)
    assert mle(graph, k=20, metric=E, average="mean") == pytest.approx(ref["mle_k20_mean"],
                                                                        rel=RTOL)


def test_twonn_matches_dadapy(case):
    name, _, graph = case
    ref = FIXTURES["dadapy"][name]
    assert twonn(graph, metric=E) == pytest.approx(ref["twonn_base_mu0.9"], rel=RTOL)
    assert twonn(graph, estimator="mle", discard_fraction=0, metric=E) == pytest.approx(
        ref["twonn_ml"], rel=RTOL)


def test_gride_matches_dadapy(case):
    """DADApy's return_id_scaling_gride(range_max=64): n1 = 1..32, estimates and errors."""
    name, X, graph = case
    ref = FIXTURES["dadapy"][name]
    curve = gride_scales(graph, range_max=64)
    assert curve["n1"].tolist() == [1, 2, 4, 8, 16, 32]
    np.testing.assert_allclose(curve["intrinsic_dimension"], ref["gride_range64_ids"], rtol=RTOL)
    np.testing.assert_allclose(curve["standard_error"], ref["gride_range64_errs"], rtol=RTOL)
    assert gride(X, n1=4, metric=E) == pytest.approx(ref["gride_range64_ids"][2], rel=RTOL)


def test_calibrated_twonn_starts_from_dadapys_twonn(case):
    """The calibrated estimator corrects the TwoNN MLE; uncensored, that raw estimate is
    DADApy's compute_id_2NN(algorithm="ml")."""
    from embviz.metrics import calibrated_twonn

    name, X, _ = case
    result = calibrated_twonn(X, metric=E, discard_fraction=0, progress=False)
    assert result.raw == pytest.approx(FIXTURES["dadapy"][name]["twonn_ml"], rel=RTOL)
