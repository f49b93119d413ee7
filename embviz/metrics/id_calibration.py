"""Calibrated TwoNN: intrinsic dimension with a finite-sample correction, and its interval.

Every nearest-neighbour estimator reads a dimension lower than the truth once the sample is
small for the dimension: with n points on a d-dimensional manifold the second neighbour lies at
a distance where the neighbourhood is no longer a small ball (n^(1/d) is small), so a
70-dimensional cube of 2,500 points reads 40 by TwoNN. The bias depends on n and d, and little
on the data: the correction measures it on data of known dimension.

The estimator (the calibration idea of Camastra & Vinciarelli 2002 and of DANCo, Ceruti et al.
2014, applied to TwoNN):

1. d̂ = TwoNN's maximum-likelihood estimate on the data, with the largest ``discard_fraction``
   of the ratios μ = r₂/r₁ censored (:func:`~embviz.metrics.twonn` ``estimator="mle"``);
2. f(m) = the mean of the same estimate on 8 to 64 samples of n points drawn uniformly from the unit
   m-ball (DANCo's reference), at integer m, with fixed seeds, cached on disk;
3. the calibrated dimension is the m where f(m) = d̂, interpolated linearly between the
   integers that bracket it (f is increasing). Only the m near d̂ are simulated.

Interval (a Neyman construction on the simulations). Under the TwoNN model log μ ~
Exponential(d′), independently, and the raw estimate's relative standard deviation is 1/√K
(K uncensored ratios; the exact χ²(2K) law of the total time on test). Neighbouring points
share neighbours, so the ratios are not independent: the references measure the real spread,
φ/√K with φ = the mean of sd·√K/f(m) over the four integers m around the estimate (about
1.1). The interval is
every m whose f(m) the raw estimate lies within z·φ/√K of in relative terms,
raw/(1 + zφ/√K) <= f(m) <= raw/(1 − zφ/√K), each end read through f⁻¹ like the estimate.
Coverage is tested on data where the calibration's model holds (uniform balls,
``tests/test_id_calibration.py``). The interval states the sampling uncertainty of the
estimate, not the model error on other shapes; the mean error on scikit-dimension's 24
benchmark manifolds is in ``bench/id_accuracy.py``.

More than ``max_rows`` rows are split at random into disjoint subsets of at most ``max_rows``;
their ratios are pooled and calibrated at the subsets' size, which keeps the simulations to
n ≤ ``max_rows``. At most :data:`MAX_SUBSETS` subsets are used (80,000 rows by default: the
estimate's relative spread is then below 0.5%, and a million rows cost 8 searches, not 100).
"""

from __future__ import annotations

import json
import math
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from .._validation import (
    check_choice,
    check_embeddings,
    check_number,
    check_positive_int,
    check_random_state,
)
from ..neighbors import METRICS, _knn_graph

__all__ = ["CalibratedDimension", "calibrated_twonn"]

REFERENCE = "uniform unit ball"
MAX_DIMENSION = 512  # the largest m simulated
MAX_ROWS = 10_000  # larger inputs are measured as disjoint subsets of at most this size
MAX_SUBSETS = 8
_SEED = 2014  # the reference samples' own seed: the calibration does not depend on the data
_FORMAT = 1
_REFERENCE_ROWS = 160_000  # references per m: about this many rows in all (8 to 64 samples)
_memory: dict[tuple, dict[int, tuple[float, float]]] = {}


@dataclass(frozen=True)
class CalibratedDimension:
    """The calibrated TwoNN estimate and the raw one it comes from.

    Attributes
    ----------
    dimension, ci_low, ci_high : float
        The calibrated intrinsic dimension and its interval.
    raw, raw_ci_low, raw_ci_high : float
        TwoNN's censored maximum-likelihood estimate (what the calibration corrects) and its
        interval (relative spread φ/√K, see the module notes).
    n : int
        Rows measured (all, or the subsets' rows above ``max_rows`` × :data:`MAX_SUBSETS`).
    rows_per_subset : int
        Size at which the calibration was read (n, or the subsets' size above ``max_rows``).
    n_subsets : int
    confidence : float
    metric : str
    discard_fraction : float
    """

    dimension: float
    ci_low: float
    ci_high: float
    raw: float
    raw_ci_low: float
    raw_ci_high: float
    n: int
    rows_per_subset: int
    n_subsets: int
    confidence: float
    metric: str
    discard_fraction: float

    @property
    def parameters(self) -> str:
        subsets = f", {self.n_subsets} subsets" if self.n_subsets > 1 else ""
        return (f"calibrated on the {REFERENCE} at n={self.rows_per_subset:,}{subsets}, "
                f"discard={self.discard_fraction:g}, metric={self.metric}, "
                f"ci=simulated spread at n, through the calibration")

    def table(self) -> pd.DataFrame:
        """Long form: ``metric, value, ci_low, ci_high, parameters`` (calibrated, then raw)."""
        raw_text = (f"discard={self.discard_fraction:g} (censored), metric={self.metric}, "
                    f"ci=simulated spread at n")
        return pd.DataFrame(
            [("twonn_calibrated", self.dimension, self.ci_low, self.ci_high, self.parameters),
             ("twonn_mle", self.raw, self.raw_ci_low, self.raw_ci_high, raw_text)],
            columns=["metric", "value", "ci_low", "ci_high", "parameters"])


def calibrated_twonn(data, metric: str = "cosine", discard_fraction: float = 0.1,
                     confidence: float = 0.95, max_rows: int = MAX_ROWS,
                     random_state: int | None = 0, progress: bool = True
                     ) -> CalibratedDimension:
    """Intrinsic dimension by TwoNN with a finite-sample correction (see the module notes).

    Parameters
    ----------
    data : EmbeddingSet or array of shape (n, d), n >= 3
        The vectors (numpy or torch).
    metric : {"cosine", "euclidean"}, default "cosine"
        Cosine uses chord distances between the normalised rows.
    discard_fraction : float in [0, 0.5], default 0.1
        Share of the largest ratios censored (robust to outlying ratios, still unbiased under
        the model).
    confidence : float in (0, 1), default 0.95
    max_rows : int >= 100, default 10,000
        Larger inputs are measured as disjoint random subsets of at most this size (at most
        :data:`MAX_SUBSETS` of them).
    random_state : int or None, default 0
        Seeds the split into subsets (the calibration's own samples have a fixed seed).
    progress : bool, default True
        A progress bar over the calibration's simulations (cached after the first time).

    Returns
    -------
    CalibratedDimension

    Warns
    -----
    UserWarning
        When duplicate rows are left out, and when an end reaches the largest dimension
        simulated (min(d, 512)).

    References
    ----------
    Facco, d'Errico, Rodriguez & Laio (2017), Scientific Reports 7, 12140 (TwoNN).
    Camastra & Vinciarelli (2002), "Estimating the intrinsic dimension of data with a fractal-
    based method", IEEE TPAMI 24(10) (calibration on data of known dimension).
    Ceruti, Bassis, Rozza, Lombardi, Casiraghi & Campadelli (2014), "DANCo: an intrinsic
    dimensionality estimator exploiting angle and norm concentration", Pattern Recognition 47
    (calibration on uniform samples of the ball at the same n).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.uniform(size=(1000, 12)) @ np.linalg.qr(rng.normal(size=(30, 12)))[0].T
    >>> result = calibrated_twonn(X, metric="euclidean", progress=False)
    >>> result.raw < result.dimension, round(result.dimension)
    (True, 12)
    """
    check_choice(metric, "metric", METRICS)
    fraction = check_number(discard_fraction, "discard_fraction", 0, 0.5)
    confidence = check_number(confidence, "confidence", 0, 1, low_open=True, high_open=True)
    max_rows = check_positive_int(max_rows, "max_rows", minimum=100)
    random_state = check_random_state(random_state)
    X = check_embeddings(data, name="data", min_rows=3)
    return _calibrated_twonn(X, metric, fraction, confidence, max_rows, random_state, progress)


def _calibrated_twonn(X: np.ndarray, metric: str, fraction: float = 0.1,
                      confidence: float = 0.95, max_rows: int = MAX_ROWS,
                      random_state: int | None = 0, progress: bool = False
                      ) -> CalibratedDimension:
    """:func:`calibrated_twonn` of checked rows ``X`` and checked parameters (the kernel)."""
    subsets = _subsets(len(X), max_rows, random_state)
    measured = sum(len(rows) for rows in subsets)
    pooled = [_log_ratios_and_scale(X[rows], metric)[0] for rows in subsets]
    used = sum(len(r) for r in pooled)
    if used < measured:
        warnings.warn(f"calibrated_twonn: left out {measured - used} of {measured} rows whose "
                      f"nearest neighbour is at distance 0 (exact duplicates)", UserWarning,
                      stacklevel=3)
    return calibrate(pooled, measured, X.shape[1], metric, fraction, confidence, progress)


def calibrated_on_graph(X: np.ndarray, graph, metric: str, progress: bool = False
                        ) -> CalibratedDimension:
    """:func:`calibrated_twonn` (defaults) of checked rows ``X`` from their k-NN graph: its
    first two neighbours when n <= :data:`MAX_ROWS`, else disjoint subsets of ``X`` as usual.
    The kernel for composite results (the report, the explorer), which hold both."""
    from .intrinsic_dim import _graph_distances

    if len(X) > MAX_ROWS:
        return _calibrated_twonn(X, metric, progress=progress)
    r = _graph_distances(graph.at_k(2))
    distinct = r[:, 0] > 0
    return calibrate([np.log(r[distinct, 1] / r[distinct, 0])], len(X), X.shape[1], metric,
                     0.1, 0.95, progress)


def _subsets(n: int, max_rows: int, random_state) -> list[np.ndarray]:
    """All rows, or up to :data:`MAX_SUBSETS` disjoint random subsets of n/⌈n/max_rows⌉ rows."""
    if n <= max_rows:
        return [np.arange(n)]
    order = np.random.default_rng(random_state).permutation(n)
    return np.array_split(order, math.ceil(n / max_rows))[:MAX_SUBSETS]


def _log_ratios_and_scale(X: np.ndarray, metric: str) -> tuple[np.ndarray, float]:
    """log(r₂/r₁) of every row with r₁ > 0 (exact duplicates left out), and the mean r₂, for
    checked rows ``X``."""
    from .intrinsic_dim import _graph_distances

    r = _graph_distances(_knn_graph(X, k=2, metric=metric, warn_ties=False))
    distinct = r[:, 0] > 0
    return np.log(r[distinct, 1] / r[distinct, 0]), float(r[:, 1].mean())


def _censored(log_mu: np.ndarray, fraction: float) -> tuple[int, float]:
    """(K, T): ratios kept uncensored and the total time on test of a Type-II censored
    exponential sample (the largest ⌊N·fraction⌋ ratios held at the K-th)."""
    log_mu = np.sort(log_mu)
    K = int(len(log_mu) * (1 - fraction))
    return K, float(log_mu[:K].sum() + (len(log_mu) - K) * log_mu[K - 1])


def calibrate(log_ratios: list[np.ndarray], n: int, ambient: int, metric: str,
              fraction: float, confidence: float, progress: bool) -> CalibratedDimension:
    """The calibrated estimate from the finite log-ratios of one or more disjoint subsets of
    ``n`` rows in all (kernel: inputs are checked by the caller)."""
    parts = [_censored(r, fraction) for r in log_ratios if len(r) >= 3]
    K, T = sum(p[0] for p in parts), sum(p[1] for p in parts)
    if K < 2 or T <= 0:
        raise ValueError(f"calibrated_twonn: undefined for these {n} rows (fewer than 2 "
                         f"distinct ratios r2/r1)")
    raw = (K - 1) / T
    size = n // len(log_ratios)
    curve = _Calibration(size, fraction, min(ambient, MAX_DIMENSION), progress)
    dimension = curve.invert(raw)
    spread = stats.norm.ppf(0.5 + confidence / 2) * curve.phi(raw) / np.sqrt(K)
    raw_low, raw_high = raw / (1 + spread), (raw / (1 - spread) if spread < 1 else np.inf)
    values = [dimension, curve.invert(raw_low), curve.invert(raw_high)]
    curve.close()
    if curve.at_bound:
        warnings.warn(f"calibrated_twonn: the estimate or its interval reached the largest "
                      f"dimension simulated ({curve.max_dimension}); read it as a lower "
                      f"bound", UserWarning, stacklevel=4)
    return CalibratedDimension(values[0], values[1], values[2], raw, float(raw_low),
                               float(raw_high), n, size, len(log_ratios), confidence, metric,
                               fraction)


class _Calibration:
    """f(m) for one (n, discard fraction): simulated on demand, kept in memory and on disk."""

    def __init__(self, n: int, fraction: float, max_dimension: int, progress: bool):
        from .._progress import progress_bar

        self.n, self.fraction, self.max_dimension = n, fraction, max_dimension
        self.values = _load(n, fraction)
        self.at_bound, self._new = False, False
        self._bar = progress_bar(desc="calibrating TwoNN", unit="dimension",
                                 disable=not progress, leave=False)

    def __call__(self, m: int) -> float:
        if m <= 0:
            return 0.0
        if m not in self.values:
            self.values[m] = _simulate(self.n, m, self.fraction)
            self._new = True
            self._bar.update()
        return self.values[m][0]

    def phi(self, target: float) -> float:
        """The references' standard deviation relative to the model's d/√K: the mean over the
        four integers around ``target`` (the same ones whatever else is cached)."""
        K = int(self.n * (1 - self.fraction))
        low = max(1, math.floor(self.invert(target)) - 1)  # beyond the ambient bound is fine
        ratios = []
        for m in range(low, low + 4):
            self(m)
            mean, sd = self.values[m]
            ratios.append(sd * np.sqrt(K) / mean)
        return float(np.mean(ratios))

    def invert(self, target: float) -> float:
        """m with f(m) = ``target``, interpolated between the bracketing integers."""
        f = self
        if not np.isfinite(target):
            self.at_bound = True
            return float(self.max_dimension)
        low = min(max(round(target), 1), self.max_dimension)
        if f(low) >= target:  # walk down to the first m below the target
            high = low
            while low > 0 and f(low) >= target:
                high, low = low, low - 1
        else:  # jump up by the relative shortfall, then bisect
            high = low
            while f(high) < target:
                if high == self.max_dimension:
                    self.at_bound = True
                    return float(high)
                low = high
                high = min(self.max_dimension, high + max(1, math.ceil(
                    1.2 * high * (target / f(high) - 1))))
            while high - low > 1:
                middle = (low + high) // 2
                low, high = (middle, high) if f(middle) < target else (low, middle)
        return float(low + (target - f(low)) / (f(high) - f(low)))

    def close(self) -> None:
        self._bar.close()
        if self._new:
            _save(self.n, self.fraction, self.values)


def _references(n: int) -> int:
    return int(np.clip(math.ceil(_REFERENCE_ROWS / n), 8, 64))


def _uniform_ball(n: int, m: int, rng: np.random.Generator) -> np.ndarray:
    """n points uniform in the unit m-ball, float32 (n, m)."""
    directions = rng.standard_normal((n, m))
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    return (directions * rng.uniform(size=(n, 1)) ** (1 / m)).astype(np.float32)


def _simulate(n: int, m: int, fraction: float) -> tuple[float, float]:
    """Mean and standard deviation of the censored TwoNN MLE over :func:`_references`
    uniform m-ball samples of n points."""
    estimates = []
    for replicate in range(_references(n)):
        rng = np.random.default_rng([_SEED, n, m, replicate])
        K, T = _censored(_log_ratios_and_scale(_uniform_ball(n, m, rng), "euclidean")[0],
                         fraction)
        estimates.append((K - 1) / T)
    return float(np.mean(estimates)), float(np.std(estimates, ddof=1))


def _path(n: int, fraction: float):
    from .._config import cache_dir

    return cache_dir() / "id_calibration" / f"twonn_ball_n{n}_discard{fraction:g}.json"


def _key(n: int, fraction: float) -> dict:
    return {"format": _FORMAT, "n": n, "discard_fraction": fraction, "seed": _SEED,
            "references": _references(n), "reference": REFERENCE}


def _load(n: int, fraction: float) -> dict[int, tuple[float, float]]:
    """The cached curve, or an empty one when the file is missing, foreign or malformed."""
    memory = _memory.setdefault((n, fraction), {})
    if memory:
        return memory
    try:
        record = json.loads(_path(n, fraction).read_text())
        if record.get("key") != _key(n, fraction):
            return memory
        values = {int(m): (float(mean), float(sd)) for m, (mean, sd) in record["values"].items()}
        if all(m >= 1 and 0 < mean < np.inf and 0 < sd < np.inf
               for m, (mean, sd) in values.items()):
            memory.update(values)
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        pass  # recomputed, then rewritten
    return memory


def _save(n: int, fraction: float, values: dict[int, tuple[float, float]]) -> None:
    from .._files import write_atomic

    path = _path(n, fraction)
    record = {"key": _key(n, fraction),
              "values": {str(m): list(v) for m, v in sorted(values.items())}}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, lambda tmp: tmp.write_text(json.dumps(record)))
    except OSError as error:  # a read-only cache only costs the next call its simulations
        warnings.warn(f"calibrated_twonn: could not cache the calibration at {path} "
                      f"({error})", UserWarning, stacklevel=4)
