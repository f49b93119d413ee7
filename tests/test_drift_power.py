"""power_curve: known answers (no shift -> false-positive rate near alpha; a large shift ->
power 1), monotone in the mixture share, Wilson intervals against a hand computation, and clear
errors for impossible requests."""

import numpy as np
import pytest

from embviz.drift import power_curve
from embviz.stats import wilson_interval


@pytest.fixture(scope="module")
def clouds():
    rng = np.random.default_rng(0)
    return rng.normal(size=(400, 8)), rng.normal(size=(200, 8)) + 0.6


def test_wilson_interval_matches_hand_computation():
    # 8 of 20 at 95 %: centre (0.4 + 1.96²/40)/(1 + 1.96²/20), half-width from Wilson (1927)
    interval = wilson_interval(8, 20)
    z = 1.959963984540054
    centre = (0.4 + z**2 / 40) / (1 + z**2 / 20)
    half = z * np.sqrt(0.4 * 0.6 / 20 + z**2 / 1600) / (1 + z**2 / 20)
    assert interval.ci_low == pytest.approx(centre - half)
    assert interval.ci_high == pytest.approx(centre + half)
    assert wilson_interval(0, 10).ci_low == 0.0
    assert wilson_interval(10, 10).ci_high == pytest.approx(1.0)


def test_power_rises_with_share_and_size(clouds):
    a, b = clouds
    t = power_curve(a, b, sizes=[20, 80], shares=[0.0, 0.5, 1.0], n_resamples=20,
                    tests=["mmd", "depth"], n_permutations=100, random_state=0)
    assert len(t) == 2 * 3 * 2
    assert {"method", "n", "share", "n_resamples", "power", "ci_low", "ci_high",
            "mean_effect"} <= set(t.columns)
    assert ((t["ci_low"] <= t["power"]) & (t["power"] <= t["ci_high"])).all()
    null = t[t["share"] == 0.0]
    assert (null["power"] <= 0.2).all()  # alpha = 0.05; 20 resamples: >= 4 rejections is p < 0.02
    full = t[(t["share"] == 1.0) & (t["n"] == 80) & (t["method"] == "mmd")]
    assert (full["power"] == 1.0).all()
    for _, part in t[t["method"] == "mmd"].groupby("n"):  # measured: 0.05/0.45/1.0, 0.15/1/1
        assert part.sort_values("share")["power"].is_monotonic_increasing
    # measured here: depth (cosine-based) is much weaker on a mean shift of Gaussian clouds,
    # 0.35 and 0.45 at share 1; it still beats its own null rate at n = 80
    depth = t[(t["method"] == "depth") & (t["n"] == 80)].set_index("share")["power"]
    assert depth[1.0] > depth[0.0]


def test_power_curve_is_reproducible(clouds):
    a, b = clouds
    kw = {"sizes": [15], "shares": [0.5], "n_resamples": 5, "tests": ["mmd"], "n_permutations": 50}
    assert power_curve(a, b, random_state=3, **kw).equals(power_curve(a, b, random_state=3,
                                                                      **kw))


def test_power_curve_rejects_bad_requests(clouds):
    a, b = clouds
    with pytest.raises(ValueError, match="2 \\* max\\(sizes\\)"):
        power_curve(a, b, sizes=[300])
    with pytest.raises(ValueError, match="shares"):
        power_curve(a, b, sizes=[10], shares=[1.5])
    with pytest.raises(ValueError, match="tests"):
        power_curve(a, b, sizes=[10], tests=["nope"])
    with pytest.raises(ValueError, match="sizes"):
        power_curve(a, b, sizes=[3])
    with pytest.raises(ValueError, match="dimension"):
        power_curve(a, b[:, :4], sizes=[10])
