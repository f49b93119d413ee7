"""Hubness reduction, and how much it helps: k-NN classification before and after.

Scikit-learn style estimators (parameters in ``__init__``, fitted attributes end in ``_``):

- vector-space transforms, ``fit(X)``/``transform(X) -> ndarray``: :class:`Centering`,
  :class:`FNorm`, :class:`Whitening`; the k-NN graph is then built on the new vectors;
- secondary distances, ``fit(graph)``/``transform(graph) -> KNNGraph``: :class:`LocalScaling`,
  :class:`MutualProximity`. They re-rank each point's candidates (its ``graph.k`` nearest
  neighbours by the primary distance; k_max = 50–100) by the secondary distance, so a point
  outside x's candidates never becomes x's neighbour. scikit-hubness makes the same
  approximation with approximate neighbours (Feldbauer et al. 2018); the top k are exact
  whenever the true secondary neighbours lie among the candidates.

:func:`reduce_hubness` chains them; :func:`hubness_reduction_table` compares methods by
hubness and k-NN classification with McNemar's test, as Nielsen & Hansen (2024) do.
"""

from __future__ import annotations

import dataclasses
import inspect

import numpy as np
import pandas as pd
from scipy import special

from .._blocks import unit_rows
from .._validation import (
    check_choice,
    check_embeddings,
    check_number,
    check_positive_int,
    check_replicates,
)
from ..neighbors import METRICS, KNNGraph, check_knn_graph, knn_graph
from ..stats.multiplicity import _benjamini_hochberg
from ..stats.proportions import mcnemar_test
from .hubness import (  # noqa: F401 (also importable here)
    _label_codes,
    _predict_codes,
    hubness_skewness,
    knn_classification_error,
    knn_predictions,
    robin_hood,
)
from .knn_protocol import WEIGHTS, cv_tuned_correct, heldout_folds

__all__ = ["Centering", "FNorm", "LocalScaling", "MutualProximity", "NotFittedError",
           "Whitening", "hubness_reduction_table", "reduce_hubness"]

VECTOR_STEPS = ("centering", "fnorm", "whitening")
SECONDARY_STEPS = ("local_scaling", "mutual_proximity")
#: The methods compared by default (Nielsen & Hansen 2024 compare the same families).
METHODS = ("none", "centering", "fnorm", "whitening", "local_scaling", "mutual_proximity",
           "centering+mutual_proximity", "fnorm+local_scaling")
_BLOCK_FLOATS = 1 << 22  # 32 MB of float64 per block


class NotFittedError(ValueError, AttributeError):
    """``transform`` before ``fit`` (as scikit-learn's ``NotFittedError``)."""


class _Estimator:
    def get_params(self) -> dict:
        """The ``__init__`` parameters and their current values."""
        parameters = inspect.signature(type(self).__init__).parameters.values()
        return {p.name: getattr(self, p.name) for p in parameters
                if p.name != "self" and p.kind == p.POSITIONAL_OR_KEYWORD}

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({params})"

    def _check_fitted(self) -> None:
        if not any(key.endswith("_") and not key.startswith("_") for key in vars(self)):
            raise NotFittedError(f"this {type(self).__name__} is not fitted yet; call fit() "
                                 f"before transform()")

    def fit_transform(self, data, *args, **kwargs):
        """``fit(data, ...)`` then ``transform(data)``."""
        return self.fit(data, *args, **kwargs).transform(data)


# ---------------------------------------------------------------- vector-space transforms

class _VectorTransform(_Estimator):
    def _check_input(self, X) -> np.ndarray:
        self._check_fitted()
        X = check_embeddings(X)
        if X.shape[1] != self.n_features_in_:
            raise ValueError(f"X has {X.shape[1]} columns but {type(self).__name__} was "
                             f"fitted on {self.n_features_in_}")
        return X


class Centering(_VectorTransform):
    """Subtract the mean vector fitted on the data.

    With the cosine metric the k-NN graph then compares centred, L2-normalised vectors.

    Attributes
    ----------
    mean_ : ndarray of shape (d,), float64
    n_features_in_ : int

    References
    ----------
    Suzuki, Hara, Shimbo, Saerens & Fukumizu (2013), "Centering similarity measures to reduce
    hubs", EMNLP; Nielsen & Hansen (2024) (centring, then L2 normalisation).
    """

    def fit(self, X) -> Centering:
        """Fit the mean of ``X`` (array of shape (n, d))."""
        X = check_embeddings(X)
        self.mean_, self.n_features_in_ = X.mean(axis=0, dtype=np.float64), X.shape[1]
        return self

    def transform(self, X) -> np.ndarray:
        """``X − mean_``, shape (n, d), float32 unless ``X`` is float64."""
        X = self._check_input(X)
        return (X - self.mean_).astype(X.dtype)


class FNorm(_VectorTransform):
    """f-norm: force every dimension to a standard normal by rank, then L2-normalise rows.

    Per dimension j, a value v gets the mid-rank position p = (#{fitted < v} +
    #{fitted ≤ v}) / (2n) among the n fitted values (ties share their average rank), clipped
    to [1/(2n), 1 − 1/(2n)], and is replaced by Φ⁻¹(p); each row is then divided by its
    Euclidean norm. On the fitted data itself a value of rank r becomes Φ⁻¹((r − ½)/n).

    Nielsen & Hansen (2024) replace the sorted values of each dimension by a sorted random
    N(0, 1) sample (their code, ``force_dist='normal_all'``); normal quantiles are the
    deterministic version of that map (no ``random_state`` needed).

    Attributes
    ----------
    sorted_ : ndarray of shape (n, d), the fitted values sorted per dimension
    n_features_in_ : int

    References
    ----------
    Nielsen & Hansen (2024), "Hubness Reduction Improves Sentence-BERT Semantic Spaces",
    Proceedings of the 5th Northern Lights Deep Learning Conference (NLDL), PMLR 233.
    """

    def fit(self, X) -> FNorm:
        """Fit the per-dimension order of ``X`` (array of shape (n, d), n >= 2)."""
        X = check_embeddings(X, min_rows=2)
        self.sorted_, self.n_features_in_ = np.sort(X, axis=0), X.shape[1]
        return self

    def transform(self, X) -> np.ndarray:
        """Rank-Gaussianised, unit-norm rows, shape (n, d), float32 unless X is float64."""
        X = self._check_input(X)
        n = len(self.sorted_)
        positions = np.empty(X.shape, np.float64)
        for j in range(X.shape[1]):
            column = self.sorted_[:, j]
            positions[:, j] = (np.searchsorted(column, X[:, j], "left")
                               + np.searchsorted(column, X[:, j], "right"))
        Z = special.ndtri(np.clip(positions / (2 * n), 0.5 / n, 1 - 0.5 / n))
        norms = np.linalg.norm(Z, axis=1, keepdims=True)
        return (Z / np.where(norms == 0, 1.0, norms)).astype(X.dtype)


class Whitening(_VectorTransform):
    """Whitening: centre and decorrelate to unit variance (optionally fewer dimensions).

    With the covariance C = U Λ Uᵀ of the fitted data and its ``m = n_components`` largest
    eigenvalues, ``pca`` maps x to (x − μ) U_m (Λ_m + ε)^{-1/2} (shape m, as Su et al. 2021
    and WhiteningBERT); ``zca`` rotates back, (x − μ) U_m (Λ_m + ε)^{-1/2} U_mᵀ (shape d).
    ε = ``eps`` · λ_max regularises near-zero eigenvalues (scale-free).

    Parameters
    ----------
    method : {"pca", "zca"}, default "pca"
    n_components : int, optional
        Components kept (default all d).
    eps : float, default 1e-6
        Added to every eigenvalue, as a share of the largest eigenvalue.

    Attributes
    ----------
    mean_ : ndarray of shape (d,)
    components_ : ndarray of shape (m, d), covariance eigenvectors, largest first
    explained_variance_ : ndarray of shape (m,)
    whitening_matrix_ : ndarray of shape (d, m) for "pca", (d, d) for "zca"
    n_features_in_ : int

    References
    ----------
    Su, Cao, Liu & Ou (2021), "Whitening Sentence Representations for Better Semantics and
    Faster Retrieval", arXiv:2103.15316; Huang, Tang, Zhong, Zhang, Sun & Wei (2021),
    "WhiteningBERT: An Easy Unsupervised Sentence Embedding Approach", Findings of EMNLP.
    """

    def __init__(self, method: str = "pca", n_components: int | None = None,
                 eps: float = 1e-6):
        self.method = method
        self.n_components = n_components
        self.eps = eps

    def _check_params(self, d: int) -> int:
        check_choice(self.method, "method", ("pca", "zca"))
        check_number(self.eps, "eps", 0, np.inf, high_open=True)
        if self.n_components is None:
            return d
        m = check_positive_int(self.n_components, "n_components")
        if m > d:
            raise ValueError(f"n_components={m} exceeds the dimension d={d}")
        return m

    def fit(self, X) -> Whitening:
        """Fit mean and covariance of ``X`` (array of shape (n, d), n >= 2)."""
        X = check_embeddings(X, min_rows=2).astype(np.float64)
        m = self._check_params(X.shape[1])
        self.mean_ = X.mean(axis=0)
        centred = X - self.mean_
        eigval, eigvec = np.linalg.eigh(centred.T @ centred / (len(X) - 1))
        eigval, eigvec = np.clip(eigval[::-1], 0, None), eigvec[:, ::-1]
        if eigval[0] == 0:
            raise ValueError("X has zero variance: all rows are identical")
        scale = 1 / np.sqrt(eigval[:m] + self.eps * eigval[0])
        self.components_, self.explained_variance_ = eigvec[:, :m].T, eigval[:m]
        W = eigvec[:, :m] * scale
        self.whitening_matrix_ = W @ self.components_ if self.method == "zca" else W
        self.n_features_in_ = X.shape[1]
        return self

    def transform(self, X) -> np.ndarray:
        """Whitened rows, shape (n, m) or (n, d); float32 unless ``X`` is float64."""
        X = self._check_input(X)
        return ((X - self.mean_) @ self.whitening_matrix_).astype(X.dtype)


# ------------------------------------------------------------------ secondary distances

def _relabel(graph: KNNGraph, step: str, params: dict) -> KNNGraph:
    return dataclasses.replace(graph, method=f"{graph.method}+{step}",
                               params={**graph.params, **params})


def _rerank(graph: KNNGraph, secondary: np.ndarray, step: str, params: dict) -> KNNGraph:
    """Each row's candidates ordered by ``secondary`` (float64; ties by row number)."""
    order = np.lexsort((graph.indices, secondary), axis=-1)
    indices = np.take_along_axis(graph.indices, order, 1)
    distances = np.take_along_axis(secondary, order, 1).astype(np.float32)
    return _relabel(KNNGraph(indices, distances, graph.metric, graph.method, graph.params),
                    step, params)


class _SecondaryDistance(_Estimator):
    def _checked_graph(self, graph, k: int = 1) -> KNNGraph:
        """``graph`` checked by the package's one graph check (its own metric: a secondary
        distance re-ranks whatever primary distance the graph holds)."""
        metric = getattr(graph, "metric", "cosine")
        return check_knn_graph(graph, k, metric, type(self).__name__)

    def _check_same_points(self, graph) -> KNNGraph:
        self._check_fitted()
        graph = self._checked_graph(graph)
        if graph.n != self.n_samples_fit_:
            raise ValueError(f"graph has {graph.n} rows but {type(self).__name__} was fitted on "
                             f"a graph of {self.n_samples_fit_} rows (the points it re-ranks)")
        return graph


class LocalScaling(_SecondaryDistance):
    """Local scaling: d'(x, y) = 1 − exp(−d(x, y)² / (σ_x σ_y)).

    σ_x is the primary distance from x to its k-th nearest neighbour (self excluded), read
    from the graph given to :meth:`fit`. :meth:`transform` computes d' for each point's
    candidates and re-ranks them (module notes). As scikit-hubness ≥ 0.30's ``LocalScaling``
    (0.21 read the (k+1)-th neighbour when self was not in the candidate list).

    Parameters
    ----------
    k : int, default 5
        Neighbourhood size of the scale: σ_x is the distance to x's k-th nearest neighbour.

    Attributes
    ----------
    scale_ : ndarray of shape (n,), float64 (σ_x)
    n_samples_fit_ : int

    References
    ----------
    Schnitzer, Flexer, Schedl & Widmer (2012), "Local and global scaling reduce hubs in
    space", JMLR 13, 2871–2902, eq. (3) (after Zelnik-Manor & Perona 2005).
    """

    def __init__(self, k: int = 5):
        self.k = k

    def fit(self, graph: KNNGraph) -> LocalScaling:
        """Read σ_x from ``graph`` (a KNNGraph with ``graph.k >= k``)."""
        k = check_positive_int(self.k, "k")
        graph = self._checked_graph(graph, k)
        self.scale_, self.n_samples_fit_ = graph.distances[:, k - 1].astype(np.float64), graph.n
        return self

    def transform(self, graph: KNNGraph) -> KNNGraph:
        """A new KNNGraph: the candidates of ``graph`` re-ranked by d' (float32 distances)."""
        graph = self._check_same_points(graph)
        d = graph.distances.astype(np.float64)
        scale = self.scale_[:, None] * self.scale_[graph.indices]
        ratio = np.divide(d**2, scale, out=np.where(d > 0, np.inf, 0.0), where=scale > 0)
        return _rerank(graph, -np.expm1(-ratio), f"local_scaling(k={self.k})",
                       {"local_scaling_k": self.k})


def _metric_space(X: np.ndarray, metric: str) -> np.ndarray:
    """float64 rows; unit rows for cosine (the graph was built from them: no zero rows)."""
    return unit_rows(X) if metric == "cosine" else X.astype(np.float64)


def _distances_to(A: np.ndarray, B: np.ndarray, metric: str) -> np.ndarray:
    gram = A @ B.T
    if metric == "cosine":
        return 1 - gram
    sq = (A * A).sum(1)[:, None] + (B * B).sum(1)[None, :] - 2 * gram
    return np.sqrt(np.clip(sq, 0, None))


def _distance_moments(X: np.ndarray, sample: np.ndarray,
                      metric: str) -> tuple[np.ndarray, np.ndarray]:
    """Mean and std (ddof=0) of each row's distances to the sample rows, self excluded."""
    position = np.full(len(X), -1)
    position[sample] = np.arange(len(sample))
    S = X[sample]
    block = max(1, _BLOCK_FLOATS // len(sample))
    mean, std = np.empty(len(X)), np.empty(len(X))
    for start in range(0, len(X), block):
        rows = np.arange(start, min(start + block, len(X)))
        keep = np.ones((len(rows), len(sample)), bool)
        own = position[rows] >= 0
        keep[own, position[rows][own]] = False
        D = _distances_to(X[rows], S, metric)
        count = keep.sum(1)
        mean[rows] = (D * keep).sum(1) / count
        std[rows] = np.sqrt((((D - mean[rows, None]) ** 2) * keep).sum(1) / count)
    return mean, std


def _normal_cdf(d: np.ndarray, mean: np.ndarray, std: np.ndarray) -> np.ndarray:
    """P(D <= d) for D ~ N(mean, std²); a step function where std = 0."""
    step = np.where(d > mean, np.inf, np.where(d < mean, -np.inf, 0.0))
    z = np.divide(d - mean, std, out=step, where=std > 0)
    return special.ndtr(z)


class MutualProximity(_SecondaryDistance):
    """Mutual proximity (Gaussian): MP(x, y) = 1 − SF_x(d)·SF_y(d), d = d(x, y).

    SF_x is the survival function of a Gaussian N(μ_x, σ_x²) fitted to x's distances.
    Computed as F_x + F_y − F_x·F_y with F = 1 − SF (no cancellation for near neighbours,
    whose F is tiny) and ranked in float64 before the float32 cast.

    μ_x, σ_x come, with ``fit(graph, X)`` (preferred; :func:`reduce_hubness` does this), from
    x's distances to a uniform random sample of ``n_samples`` rows of X (``random_state``;
    all rows when n <= n_samples: Schnitzer et al.'s full-distance estimate), x excluded;
    with ``fit(graph)``, from x's distances to its ``graph.k`` candidates only, as
    scikit-hubness does with approximate neighbours (a local estimate, biased low). MP is
    then computed for each point's candidates only, which are re-ranked (module notes).

    Parameters
    ----------
    method : {"gaussian"}, default "gaussian"
    n_samples : int, default 1000
        Sample size for the moments when ``X`` is given.
    random_state : int or None, default 0
        Seed of the sample.

    Attributes
    ----------
    mean_, std_ : ndarray of shape (n,), float64
        μ_x and σ_x (ddof=0).
    sample_ : ndarray of int64 or None (candidate moments)
    moments_from_ : {"sample", "candidates"}
    n_samples_fit_ : int

    References
    ----------
    Schnitzer, Flexer, Schedl & Widmer (2012), "Local and global scaling reduce hubs in
    space", JMLR 13, 2871–2902, section 3.2 (Gaussian MP, independence assumed).
    """

    def __init__(self, method: str = "gaussian", n_samples: int = 1000,
                 random_state: int | None = 0):
        self.method = method
        self.n_samples = n_samples
        self.random_state = random_state

    def fit(self, graph: KNNGraph, X=None) -> MutualProximity:
        """Fit μ_x, σ_x; ``X`` (shape (n, d)) are the vectors ``graph`` was built from."""
        check_choice(self.method, "method", ("gaussian",))
        graph = self._checked_graph(graph, 1 if X is not None else 2)
        if X is None:
            d = graph.distances.astype(np.float64)
            self.mean_, self.std_ = d.mean(1), d.std(1)
            self.sample_, self.moments_from_ = None, "candidates"
        else:
            self._fit_sample(graph, check_embeddings(X, min_rows=2))
        self.n_samples_fit_ = graph.n
        return self

    def _fit_sample(self, graph: KNNGraph, X: np.ndarray) -> None:
        check_knn_graph(graph, 1, graph.metric, "MutualProximity", X=X)
        size = check_positive_int(self.n_samples, "n_samples", minimum=2)
        rng = np.random.default_rng(self.random_state)
        sample = (np.arange(len(X)) if size >= len(X)
                  else np.sort(rng.choice(len(X), size, replace=False)))
        X = _metric_space(X, graph.metric)
        self.mean_, self.std_ = _distance_moments(X, sample, graph.metric)
        self.sample_, self.moments_from_ = sample, "sample"

    def transform(self, graph: KNNGraph) -> KNNGraph:
        """A new KNNGraph: the candidates of ``graph`` re-ranked by MP (float32 distances)."""
        graph = self._check_same_points(graph)
        d = graph.distances.astype(np.float64)
        F_x = _normal_cdf(d, self.mean_[:, None], self.std_[:, None])
        F_y = _normal_cdf(d, self.mean_[graph.indices], self.std_[graph.indices])
        return _rerank(graph, F_x + F_y - F_x * F_y, f"mutual_proximity({self.method})",
                       {"mp_moments": self.moments_from_})


# ------------------------------------------------------------------------ pipelines

def _parse_method(method) -> tuple[str | None, str | None]:
    """``"centering+mutual_proximity"`` -> ("centering", "mutual_proximity")."""
    if not isinstance(method, str):
        raise TypeError(f"method must be a string such as 'mutual_proximity', got "
                        f"{type(method).__name__}")
    if method == "none":
        return None, None
    vector, plus, secondary = method.partition("+")
    if not plus and vector in SECONDARY_STEPS:
        return None, vector
    if vector in VECTOR_STEPS and (secondary in SECONDARY_STEPS if plus else True):
        return vector, secondary or None
    raise ValueError(f"method must be 'none', one of {list(VECTOR_STEPS + SECONDARY_STEPS)}, "
                     f"or 'vector+secondary' such as 'centering+mutual_proximity'; got "
                     f"{method!r}")


def _secondary(step: str, graph: KNNGraph, X: np.ndarray, random_state) -> KNNGraph:
    if step == "local_scaling":
        return LocalScaling().fit_transform(graph)
    return MutualProximity(random_state=random_state).fit(graph, X).transform(graph)


def _n_candidates(n_candidates, k: int, n: int) -> int:
    n_candidates = check_positive_int(n_candidates, "n_candidates")
    if n_candidates < k:
        raise ValueError(f"n_candidates={n_candidates} must be >= k={k}")
    return min(n_candidates, n - 1)


def _base_graph(X: np.ndarray, vector: str | None, k: int,
                metric: str) -> tuple[np.ndarray, KNNGraph]:
    if vector is None:
        return X, knn_graph(X, k, metric=metric, progress=False)
    Xt = {"centering": Centering, "fnorm": FNorm, "whitening": Whitening}[vector]().fit_transform(X)
    return Xt, _relabel(knn_graph(Xt, k, metric=metric, progress=False), vector, {})


def reduce_hubness(X, method: str, k: int = 10, n_candidates: int = 100,
                   metric: str = "cosine", random_state: int | None = 0) -> KNNGraph:
    """The k-NN graph of ``X`` after a hubness reduction.

    Vector transform first (if any), then a k-NN graph with ``n_candidates`` neighbours
    per row, then the secondary distance (if any) re-ranks those candidates.

    Parameters
    ----------
    X : EmbeddingSet or array of shape (n, d)
    method : str
        ``"none"``, ``"centering"``, ``"fnorm"``, ``"whitening"``, ``"local_scaling"`` (k=5),
        ``"mutual_proximity"`` (Gaussian, moments from a 1000-row sample), or a vector
        transform and a secondary distance joined by ``+``: ``"centering+mutual_proximity"``.
    k : int, default 10
        Neighbourhood size of the result: nearest neighbours per row of the returned graph.
    n_candidates : int, default 100
        Candidates per row for the secondary distances (capped at n − 1; must be >= k).
    metric : {"cosine", "euclidean"}, the primary distance (after the vector transform)
    random_state : int or None, default 0, seed of mutual proximity's sample

    Returns
    -------
    KNNGraph
        ``k`` neighbours per row. ``distances`` are the secondary distances for local
        scaling / mutual proximity (``metric`` names the primary distance they came from);
        ``method`` records the steps, e.g. ``"exact+centering+mutual_proximity(gaussian)"``.

    Examples
    --------
    >>> X = np.random.default_rng(0).normal(size=(300, 50))
    >>> reduce_hubness(X, "mutual_proximity", k=5).method
    'exact+mutual_proximity(gaussian)'
    """
    X = check_embeddings(X, min_rows=2)
    k = check_positive_int(k, "k")
    check_choice(metric, "metric", METRICS)
    vector, secondary = _parse_method(method)
    size = _n_candidates(n_candidates, k, len(X)) if secondary else k
    Xt, graph = _base_graph(X, vector, size, metric)
    if secondary:
        graph = _secondary(secondary, graph, Xt, random_state)
    return graph.at_k(k)


def _relative_error_reduction(base_error: float, error: float) -> float:
    """(acc − acc_base)/(1 − acc_base) = (err_base − err)/err_base."""
    if base_error == 0:
        return 0.0 if error == 0 else -np.inf
    return (base_error - error) / base_error


def _graph_sizes(parsed, k: int, n_candidates, n: int) -> dict:
    """Neighbours per vector step: candidates when a method with that step needs them."""
    sizes: dict = {}
    for vector, secondary in parsed:
        size = _n_candidates(n_candidates, k, n) if secondary else k
        sizes[vector] = max(size, sizes.get(vector, 0))
    return sizes


def _rer_interval(base: np.ndarray, correct: np.ndarray,
                  draws: np.ndarray) -> tuple[float, float]:
    """95 % percentile bootstrap interval of (err_base − err)/err_base over paired draws."""
    base_errors = (~base[draws]).sum(1).astype(np.float64)
    errors = (~correct[draws]).sum(1)
    ratio = np.divide(base_errors - errors, base_errors, out=np.zeros_like(base_errors),
                      where=base_errors > 0)
    low, high = np.quantile(ratio, [0.025, 0.975])
    return float(low), float(high)


#: Candidate k of the ``protocol="cv"`` classifier (ascending).
CV_KS = (1, 3, 5, 7, 10, 15, 20, 30, 40, 50)


def hubness_reduction_table(X, labels, methods=METHODS, k: int = 10,
                            metric: str = "cosine", n_candidates: int = 100,
                            alpha: float = 0.05, random_state: int | None = 0,
                            progress: bool = True, protocol: str = "loo",
                            cv_ks=CV_KS, test_size: float = 0.2,
                            n_resamples: int = 1000,
                            weights: str = "distance") -> pd.DataFrame:
    """Hubness and k-NN classification of each reduction method.

    Parameters
    ----------
    X : array of shape (n, d) or EmbeddingSet
    labels : array-like of shape (n,)
    methods : sequence of str, default :data:`METHODS`
        As in :func:`reduce_hubness`; ``"none"``, the baseline, is put first when missing.
    k : int, default 10
        Neighbourhood size of the hubness measures and of the classifier's vote with
        ``protocol="loo"`` (``"cv"`` chooses the classifier's among ``cv_ks``).
    metric, n_candidates
        As in :func:`reduce_hubness`.
    alpha : float in (0, 1), default 0.05
        False-discovery rate of the ``significant`` column.
    random_state : int or None, default 0
        As in :func:`reduce_hubness`.
    progress : bool, default True, a tqdm bar over the methods
    protocol : {"loo", "cv"}, default "loo"
        ``"loo"``: leave-one-out majority vote of the ``k`` nearest neighbours over all rows.
        ``"cv"``: the authors' protocol (:mod:`embviz.metrics.knn_protocol`): a stratified
        test split of ``test_size``, k chosen among ``cv_ks`` by 5-fold cross-validation on
        the training rows, distance-weighted votes (weight 1/d of the method's distance —
        pass ``metric="euclidean"`` for their Euclidean k-NN); error and McNemar test on the
        test rows only. The reduction itself sees all rows (no labels): transductive.
    cv_ks : sequence of int, default :data:`CV_KS`, each <= ``n_candidates``
    test_size : float in (0, 1), default 0.2
    n_resamples : int, default 1000
        Bootstrap resamples of the interval of ``relative_error_reduction``.
    weights : {"distance", "uniform"}, default "distance"
        Votes of the ``"cv"`` protocol: 1/d (the authors' choice) or plain. Mutual-proximity
        distances of close pairs are tiny and span orders of magnitude, which turns 1/d votes
        into nearest-neighbour votes (:func:`embviz.metrics.knn_protocol.weighted_knn_predict`).

    Returns
    -------
    pandas.DataFrame, one row per method
        ``method``, ``k_skewness``, ``robin_hood`` (both at ``k``, over all rows),
        ``knn_error``, ``knn_accuracy``,
        ``relative_error_reduction`` = (acc − acc_none)/(1 − acc_none) (0 when neither makes
        errors, −inf when only the method does), ``p_value``: exact two-sided McNemar
        test of the per-point correctness against "none"
        (:func:`embviz.stats.mcnemar_test`; 1 when there are no discordant points),
        ``q_value``: Benjamini–Hochberg over the methods of
        this call (the baseline row excluded; NaN there), and ``significant``:
        ``q_value < alpha`` (False for the baseline); ``only_none_correct`` and
        ``only_method_correct``, the discordant counts of the McNemar test;
        ``ci_low``, ``ci_high``: 95 % percentile bootstrap interval of
        ``relative_error_reduction`` over the evaluated points (paired: the same resampled
        points for the baseline and the method; conditional on the k-NN graph, which is not
        rebuilt). With ``protocol="cv"`` also ``k_chosen``
        and ``n_test``.

    References
    ----------
    Nielsen & Hansen (2024), "Hubness Reduction Improves Sentence-BERT Semantic Spaces",
    NLDL, PMLR 233 (hubness and k-NN error before and after reduction); Benjamini & Hochberg
    (1995), JRSS B 57.
    """
    from .._progress import progress_bar

    X = check_embeddings(X, min_rows=2)
    codes, _ = _label_codes(labels, len(X), against="X")
    k = check_positive_int(k, "k")
    check_choice(metric, "metric", METRICS)
    alpha = check_number(alpha, "alpha", 0, 1, low_open=True, high_open=True)
    check_choice(protocol, "protocol", ("loo", "cv"))
    check_choice(weights, "weights", WEIGHTS)
    n_resamples = check_replicates(n_resamples, "n_resamples", minimum=10)
    methods = list(dict.fromkeys(["none", *([methods] if isinstance(methods, str) else methods)]))
    parsed = [_parse_method(method) for method in methods]
    if protocol == "cv":  # every method needs candidates to filter by fold
        cv_ks = sorted({check_positive_int(v, "cv_ks") for v in cv_ks})
        fold = heldout_folds(codes, test_size, 5, random_state)
        size = _n_candidates(n_candidates, max(k, cv_ks[-1]), len(X))
        sizes = {vector: size for vector, _ in parsed}
    else:
        sizes = _graph_sizes(parsed, k, n_candidates, len(X))
    shared, rows, base = {}, [], None
    draws = None
    for method, (vector, secondary) in zip(progress_bar(methods, desc="hubness reduction",
                                                disable=not progress), parsed):
        if vector not in shared:  # one transform and graph per vector step
            shared[vector] = _base_graph(X, vector, sizes[vector], metric)
        Xt, graph = shared[vector]
        if secondary:
            graph = _secondary(secondary, graph, Xt, random_state)
        extra = {}
        if protocol == "cv":
            correct, chosen, _ = cv_tuned_correct(graph.indices, graph.distances, codes, fold,
                                                  cv_ks, weights)
            extra = {"k_chosen": chosen, "n_test": len(correct)}
        else:
            correct = _predict_codes(graph, codes, k) == codes
        base = correct if base is None else base
        if draws is None:
            rng = np.random.default_rng(random_state)
            draws = rng.integers(len(base), size=(n_resamples, len(base)))
        low, high = _rer_interval(base, correct, draws)
        test = mcnemar_test(base, correct)
        extra.update(only_none_correct=test.only_a, only_method_correct=test.only_b,
                     ci_low=low, ci_high=high)
        rows.append({"method": method, "k_skewness": hubness_skewness(graph, k, metric),
                     "robin_hood": robin_hood(graph, k, metric),
                     "knn_error": float(1 - correct.mean()),
                     "knn_accuracy": float(correct.mean()),
                     "relative_error_reduction": _relative_error_reduction(
                         1 - base.mean(), 1 - correct.mean()),
                     **extra, "p_value": test.p_value})
    table = pd.DataFrame(rows)
    tested = (table["method"] != "none").to_numpy()
    table["q_value"] = np.nan
    table.loc[tested, "q_value"] = _benjamini_hochberg(table["p_value"].to_numpy()[tested])
    table["significant"] = table["q_value"] < alpha  # NaN (the baseline) < alpha is False
    return table
