"""The free-embedding experiment of Weller et al. (2025): how many documents fit in d dimensions?

Weller, Boratko, Naim and Lee (2025), "On the Theoretical Limitations of Embedding-Based
Retrieval" (arXiv:2508.21038), section 4: for ``n`` documents and ``k = 2`` relevant documents
per query (the argument ``n_relevant``), every one of the ``C(n, k)`` subsets of ``k`` documents
is the relevant set of one query. Query and document
vectors in ``d`` dimensions are optimised *directly* (free parameters, no encoder: the best case
any embedding model could reach), with Adam on the full-dataset InfoNCE loss (every document is
a negative for every query), unit-normalised after each step, until every query ranks its
``k`` documents above all others or the loss stops improving. Increasing ``n`` until the
optimisation fails gives the *critical n* of dimension ``d``; the paper fits a cubic in ``d``
to it (:data:`PAPER_CUBIC`).

The defaults follow the authors' released code (``google-deepmind/limit``,
``code/free_embedding_experiment.py``): learning rate 0.01, temperature 0.1, loss averaged over
the (query, relevant document) pairs, early stopping after 1000 steps without a loss
improvement of 1e-5, at most 100,000 steps, and a galloping then binary search over ``n`` that
reports the largest ``n`` solved.
"""

from __future__ import annotations

import itertools
import math
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .._progress import progress_bar
from .._tables import measures_table
from .._validation import (
    check_memory,
    check_number,
    check_positive_int,
    check_random_state,
)

__all__ = ["PAPER_CUBIC", "CriticalN", "FreeEmbeddingFit", "critical_n", "critical_n_curve",
           "cyclic_polytope_embedding", "free_embedding_fit", "paper_critical_n",
           "polynomial_fit"]

#: Coefficients (constant first) of the paper's fit of critical n against d, k = 2:
#: y = -10.5322 + 4.0309 d + 0.0520 d² + 0.0037 d³, r² = 0.999 (Weller et al. 2025, Fig. 2).
PAPER_CUBIC = (-10.5322, 4.0309, 0.0520, 0.0037)


@dataclass
class FreeEmbeddingFit:
    """One optimisation of free query and document vectors (:func:`free_embedding_fit`).

    Attributes
    ----------
    n, d, n_relevant : int
        Documents, dimensions, relevant documents per query.
    solved : bool
        Every query ranked its ``n_relevant`` relevant documents strictly above all others at
        some step.
    accuracy : float
        Best share of (query, relevant document) pairs found in the query's top
        ``n_relevant`` (1.0 when solved; the paper's accuracy).
    steps : int
        Optimisation steps taken.
    loss : float
        Loss at the last step.
    seconds : float
        Wall time.
    stop : str
        ``"solved"``, ``"patience"`` (no loss improvement for ``patience`` steps) or
        ``"max_steps"``.
    query_vectors : ndarray of shape (C(n, n_relevant), d), float32
        Unit-norm query vectors at the end (at the step solved, when solved).
    doc_vectors : ndarray of shape (n, d), float32
        Unit-norm document vectors, likewise.
    """

    n: int
    d: int
    n_relevant: int
    solved: bool
    accuracy: float
    steps: int
    loss: float
    seconds: float
    stop: str
    query_vectors: np.ndarray = field(repr=False)
    doc_vectors: np.ndarray = field(repr=False)

    def table(self) -> pd.DataFrame:
        """The run as a long table (``metric, value, ci_low, ci_high, parameters``):
        ``solved`` (1 or 0), ``accuracy``, ``steps``, ``loss``, ``seconds``; ``parameters``
        are ``n, d, n_relevant`` and why it stopped."""
        return measures_table(({"metric": name, "value": getattr(self, name)}
                               for name in ("solved", "accuracy", "steps", "loss", "seconds")),
                              {"n": self.n, "d": self.d, "n_relevant": self.n_relevant,
                               "stop": self.stop})


@dataclass
class CriticalN:
    """Result of :func:`critical_n`: the largest number of documents solved in ``d`` dims.

    Attributes
    ----------
    d, n_relevant : int
        Dimensions; relevant documents per query.
    critical_n : int
        Largest ``n`` for which every ``n_relevant``-subset was retrieved exactly (the paper's
        critical n, as its code reports it); ``n_relevant`` (trivially solved) if even
        ``n = n_relevant + 1`` failed.
    first_failure : int or None
        Smallest ``n`` tried above ``critical_n`` that failed (``critical_n + 1`` once the
        search has converged); None if ``n_max`` was reached without a failure.
    trials : DataFrame
        One row per optimisation run: ``n, solved, accuracy, steps, stop, seconds``, in the
        order run.
    """

    d: int
    n_relevant: int
    critical_n: int
    first_failure: int | None
    trials: pd.DataFrame = field(repr=False)

    def table(self) -> pd.DataFrame:
        """The search as a long table (``metric, value, ci_low, ci_high, parameters``):
        ``critical_n``, ``first_failure`` (NaN when none failed), ``n_trials``;
        ``parameters`` are ``d, n_relevant``. The runs themselves are :attr:`trials`."""
        return measures_table([{"metric": "critical_n", "value": self.critical_n},
                               {"metric": "first_failure", "value": self.first_failure},
                               {"metric": "n_trials", "value": len(self.trials)}],
                              {"d": self.d, "n_relevant": self.n_relevant})


def paper_critical_n(d) -> np.ndarray:
    """The paper's cubic fit of critical n at dimension ``d`` (k = 2).

    Parameters
    ----------
    d : float or array-like
        Embedding dimensions.

    Returns
    -------
    ndarray of float64, shaped like ``d``

    Examples
    --------
    >>> round(float(paper_critical_n(10)), 1)
    38.7
    """
    return np.polynomial.polynomial.polyval(np.asarray(d, np.float64), PAPER_CUBIC)


def polynomial_fit(d, n, degree: int = 3) -> dict:
    """Least-squares polynomial of critical n in d (the paper fits ``degree = 3``).

    Parameters
    ----------
    d, n : array-like of shape (m,)
        Dimensions and their critical n (several seeds per d may repeat d).
    degree : int, default 3

    Returns
    -------
    dict
        ``coefficients`` (ndarray, constant first, as :data:`PAPER_CUBIC`) and ``r2`` (the
        coefficient of determination of the fit on these points).

    Examples
    --------
    >>> fit = polynomial_fit([4, 6, 8, 10, 12], paper_critical_n([4, 6, 8, 10, 12]))
    >>> np.allclose(fit["coefficients"], PAPER_CUBIC), round(fit["r2"], 6)
    (True, 1.0)
    """
    d, n = np.asarray(d, np.float64), np.asarray(n, np.float64)
    degree = check_positive_int(degree, "degree")
    if d.ndim != 1 or d.shape != n.shape:
        raise ValueError(f"d and n must be 1-D of the same length, got shapes {d.shape} "
                         f"and {n.shape}")
    if len(np.unique(d)) <= degree:
        raise ValueError(f"a degree-{degree} polynomial needs more than {degree} distinct "
                         f"values of d, got {len(np.unique(d))}")
    coefficients = np.polynomial.polynomial.polyfit(d, n, degree)
    residual = n - np.polynomial.polynomial.polyval(d, coefficients)
    total = np.sum((n - n.mean()) ** 2)
    return {"coefficients": coefficients,
            "r2": float(1 - np.sum(residual ** 2) / total) if total > 0 else float("nan")}


def cyclic_polytope_embedding(n: int, n_relevant: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Exact query and document vectors in ``d = 2k`` dims retrieving every k-subset of n.

    Here ``k = n_relevant``, the relevant documents per query.

    A construction, not an optimisation: document ``i`` sits at ``t_i = 2πi / n`` on the
    trigonometric moment curve ``γ(t) = (cos t, sin t, ..., cos kt, sin kt) / √k`` (unit
    norm), whose convex hull is a neighbourly cyclic polytope. For a subset ``S`` the
    trigonometric polynomial ``p(t) = Π_{s ∈ S} (1 - cos(t - t_s))`` has degree k, is
    non-negative and vanishes exactly at the ``t_s``; written as ``p(t) = c₀ - ⟨q, γ(t)⟩``,
    the query ``q`` scores the documents of ``S`` at the maximum ``c₀`` and every other
    document strictly lower. So in exact arithmetic *every* ``n`` is solvable in ``2k``
    dimensions: the critical n of the free-embedding experiment measures what the optimiser
    finds, not what the geometry allows. The margins shrink like ``(2π / n)^(2k)``, so in
    float64 the construction stays exact only up to a few hundred documents for k = 2.

    Parameters
    ----------
    n : int >= n_relevant + 1
        Number of documents.
    n_relevant : int, default 2
        Relevant documents per query (``k`` above).

    Returns
    -------
    query_vectors : ndarray of shape (C(n, k), 2k), float64
        Unit norm, in ``itertools.combinations(range(n), k)`` order.
    doc_vectors : ndarray of shape (n, 2k), float64
        Unit norm.

    References
    ----------
    Gale (1963), "Neighborly and cyclic polytopes"; Ziegler (1995), "Lectures on Polytopes",
    section 0.7. Compare Weller et al. (2025), arXiv:2508.21038, section 4.

    Examples
    --------
    >>> queries, docs = cyclic_polytope_embedding(30)
    >>> top = np.argsort(-(queries @ docs.T), axis=1)[:, :2]
    >>> queries.shape, all(set(t) == set(p) for t, p in
    ...                    zip(top, itertools.combinations(range(30), 2)))
    ((435, 4), True)
    """
    k = check_positive_int(n_relevant, "n_relevant")
    n = check_positive_int(n, "n", minimum=k + 1)
    n_queries = math.comb(n, k)
    check_memory(8 * n_queries * (2 * k + 1) + 8 * n * 2 * k,
                 f"cyclic_polytope_embedding with n={n}, n_relevant={k}",
                 "use a smaller n or n_relevant")
    harmonics = np.arange(1, k + 1)

    def curve(t):  # (len(t), 2k): cos t, sin t, cos 2t, sin 2t, ...
        angles = np.multiply.outer(np.asarray(t, np.float64), harmonics)
        return np.stack([np.cos(angles), np.sin(angles)], axis=-1).reshape(len(t), 2 * k)

    positions = 2 * np.pi * np.arange(n) / n
    nodes = 2 * np.pi * np.arange(2 * k + 1) / (2 * k + 1)  # exact interpolation of degree k
    design = np.hstack([np.ones((len(nodes), 1)), curve(nodes)])
    subsets = np.array(list(itertools.combinations(range(n), k)))
    values = np.prod(1 - np.cos(nodes[None, :, None] - positions[subsets][:, None, :]), axis=2)
    coefficients = np.linalg.solve(design, values.T).T  # (C(n, k), 1 + 2k): c0, then -q
    queries = -coefficients[:, 1:]
    return (queries / np.linalg.norm(queries, axis=1, keepdims=True),
            curve(positions) / np.sqrt(k))


def _check_fit_args(n, d, k, learning_rate, temperature, patience, max_steps):
    d = check_positive_int(d, "d")
    k = check_positive_int(k, "n_relevant")
    n = check_positive_int(n, "n", minimum=k + 1)
    check_number(learning_rate, "learning_rate", 0, np.inf, low_open=True)
    check_number(temperature, "temperature", 0, np.inf, low_open=True)
    check_positive_int(patience, "patience")
    check_positive_int(max_steps, "max_steps")
    n_queries = math.comb(n, k)
    # logits, softmax, their gradients and Adam's state: ~6 float32 (queries x docs) arrays
    check_memory(6 * 4 * n_queries * n + 16 * 4 * n_queries * d,
                 f"free_embedding_fit with n={n}, n_relevant={k} ({n_queries:,} queries)",
                 "use a smaller n or n_relevant")
    return n, d, k, n_queries


def _seed(random_state: int | None, n: int) -> int | None:
    """A seed per (random_state, n), so that the runs of a search are independent."""
    if random_state is None:
        return None
    return int(np.random.SeedSequence([random_state, n]).generate_state(1)[0])


def free_embedding_fit(n: int, d: int, n_relevant: int = 2, learning_rate: float = 0.01,
                       temperature: float = 0.1, patience: int = 1000,
                       max_steps: int = 100_000, device: str = "auto",
                       random_state: int | None = 0, progress: bool = True
                       ) -> FreeEmbeddingFit:
    """Optimise free query and document vectors so that every k-subset is some query's top k.

    With ``k = n_relevant``, the queries are all ``C(n, k)`` subsets of ``k`` of the ``n``
    documents; query ``i``'s
    relevant set is its subset. Query vectors ``Q`` (C(n, k), d) and document vectors ``D``
    (n, d) start as unit-norm Gaussian draws and are trained with Adam on the full-dataset
    InfoNCE loss of Weller et al. (2025): with logits ``Q Dᵀ / temperature`` over *all*
    documents, the mean over (query, relevant document) pairs of ``-log softmax``. After every
    step all vectors are projected back to the unit sphere. The run stops when every query ranks
    its ``k`` documents strictly above all others (solved), when the loss has not improved by
    1e-5 for ``patience`` steps, or after ``max_steps``.

    Parameters
    ----------
    n : int >= n_relevant + 1
        Number of documents.
    d : int >= 1
        Embedding dimension.
    n_relevant : int, default 2
        Relevant documents per query.
    learning_rate : float, default 0.01
        Adam's step size (the paper's code).
    temperature : float, default 0.1
        Softmax temperature of the InfoNCE loss (the paper's code).
    patience : int, default 1000
        Steps without a loss improvement of 1e-5 before giving up (the paper's early stopping).
    max_steps : int, default 100,000
        Hard cap on steps (the paper's code's ``num_iterations``).
    device : {"auto", "cpu", "cuda", "mps"}, default "auto"
        CUDA, then MPS, then CPU (:func:`embviz.embed.device.resolve_device`). float32 on all.
    random_state : int or None, default 0
        Seeds the initial vectors (drawn on the CPU, so the start is the same on every device).
    progress : bool, default True
        A progress bar over the optimisation steps (up to ``max_steps``; it stops early when
        the run is solved or out of patience).

    Returns
    -------
    FreeEmbeddingFit

    References
    ----------
    Weller, Boratko, Naim & Lee (2025), "On the Theoretical Limitations of Embedding-Based
    Retrieval", arXiv:2508.21038, section 4 ("Empirical connection: best case optimization").

    Examples
    --------
    >>> fit = free_embedding_fit(5, d=4, random_state=0, progress=False)
    >>> fit.solved, fit.query_vectors.shape, fit.doc_vectors.shape
    (True, (10, 4), (5, 4))
    """
    n, d, k, n_queries = _check_fit_args(n, d, n_relevant, learning_rate, temperature,
                                         patience, max_steps)
    random_state = check_random_state(random_state)
    import torch

    from ..embed.device import resolve_device

    device = resolve_device(device)
    generator = torch.Generator()
    if random_state is None:
        generator.seed()
    else:
        generator.manual_seed(random_state)
    subsets = torch.tensor(list(itertools.combinations(range(n), k)), device=device)
    start = time.perf_counter()
    queries = torch.randn(n_queries, d, generator=generator)
    docs = torch.randn(n, d, generator=generator)
    queries, docs = (torch.nn.functional.normalize(x, dim=1).to(device)
                     for x in (queries, docs))
    with torch.no_grad():
        accuracy, steps, loss, stop = _optimise(queries, docs, subsets, learning_rate,
                                                temperature, patience, max_steps, progress)
    return FreeEmbeddingFit(n=n, d=d, n_relevant=k, solved=stop == "solved", accuracy=accuracy,
                            steps=steps, loss=loss, seconds=time.perf_counter() - start,
                            stop=stop, query_vectors=queries.cpu().numpy(),
                            doc_vectors=docs.cpu().numpy())


def _top_k_accuracy(logits, subsets) -> float:
    """Share of (query, relevant document) pairs in the query's top k."""
    top = logits.topk(subsets.shape[1], dim=1).indices
    return float((top[:, :, None] == subsets[:, None, :]).any(-1).float().mean())


def _all_separated(logits, subsets) -> bool:
    """Every query scores each relevant document strictly above every other document."""
    relevant = logits.gather(1, subsets).min(dim=1).values
    others = logits.scatter(1, subsets, float("-inf")).max(dim=1).values
    return bool((relevant > others).all())


def _loss_and_gradients(queries, docs, subsets, temperature):
    """The InfoNCE loss and its gradients with respect to the query and document vectors.

    With logits ``L = Q Dᵀ / t`` (m, n), ``P = softmax(L)`` by row and the loss
    ``-(1 / mk) Σ_i Σ_{r ∈ R_i} log P_ir``, the gradient with respect to the logits is
    ``G = (P - T / k) / m`` (``T`` the 0/1 relevance matrix), so ``∂/∂Q = G D / t`` and
    ``∂/∂D = Gᵀ Q / t``: written out, this is about a third faster on a CPU than autograd
    through ``log_softmax`` and ``gather`` (``tests/test_free_embedding.py`` checks it against
    autograd).
    """
    import torch

    m, k = subsets.shape
    logits = (queries @ docs.T).div_(temperature)
    log_norm = torch.logsumexp(logits, dim=1, keepdim=True)
    loss = float(log_norm.mean() - logits.gather(1, subsets).mean())
    grad = logits.sub_(log_norm).exp_()
    grad.scatter_add_(1, subsets, torch.full(subsets.shape, -1.0 / k, device=grad.device))
    grad.div_(m * temperature)
    return loss, grad @ docs, grad.T @ queries


def _optimise(queries, docs, subsets, learning_rate, temperature, patience, max_steps,
              progress: bool = False, check_every: int = 10):
    """Adam on the unit sphere until solved, out of patience or out of steps."""
    with progress_bar(total=max_steps, desc="free embedding", unit="step",
                      disable=not progress) as bar:
        return _optimise_steps(queries, docs, subsets, learning_rate, temperature, patience,
                               max_steps, check_every, bar)


def _optimise_steps(queries, docs, subsets, learning_rate, temperature, patience, max_steps,
                    check_every, bar):
    import torch

    queries.grad, docs.grad = torch.zeros_like(queries), torch.zeros_like(docs)
    optimiser = torch.optim.Adam([queries, docs], lr=learning_rate)
    best_loss, since, best_accuracy, loss, stop = math.inf, 0, 0.0, math.nan, "max_steps"
    step = 0
    for step in range(max_steps + 1):
        if step % check_every == 0 or step == max_steps:
            scores = queries @ docs.T
            if _all_separated(scores, subsets):
                return 1.0, step, loss, "solved"
            if step % 50 == 0 or step == max_steps:
                best_accuracy = max(best_accuracy, _top_k_accuracy(scores, subsets))
        if step == max_steps or since >= patience:
            break
        loss, queries.grad, docs.grad = _loss_and_gradients(queries, docs, subsets,
                                                            temperature)
        optimiser.step()
        queries.copy_(torch.nn.functional.normalize(queries, dim=1))
        docs.copy_(torch.nn.functional.normalize(docs, dim=1))
        bar.update(1)
        if loss < best_loss - 1e-5:
            best_loss, since = loss, 0
        else:
            since += 1
    if since >= patience:
        stop = "patience"
        scores = queries @ docs.T
        if _all_separated(scores, subsets):
            return 1.0, step, loss, "solved"
        best_accuracy = max(best_accuracy, _top_k_accuracy(scores, subsets))
    return best_accuracy, step, loss, stop


def critical_n(d: int, n_relevant: int = 2, n_start: int | None = None, n_max: int = 2000,
               learning_rate: float = 0.01, temperature: float = 0.1, patience: int = 1000,
               max_steps: int = 100_000, device: str = "auto", random_state: int | None = 0,
               progress: bool = True) -> CriticalN:
    """Largest number of documents whose every k-subset free embeddings in d dims can retrieve.

    ``k = n_relevant``, the relevant documents per query.

    The search of the paper's code: starting at ``n_start``, gallop (``n + 1, n + 3, n + 7,
    ...`` while solved, or downwards while not) to bracket the boundary, then bisect it. Each
    ``n`` is one :func:`free_embedding_fit` with its own seed (derived from ``random_state`` and
    ``n``). Bisection assumes that success is monotone in ``n``; near the boundary a single
    run is a coin flip, so repeat with other ``random_state`` values to see the spread.

    Parameters
    ----------
    d : int >= 1
        Embedding dimension.
    n_relevant : int, default 2
        Relevant documents per query.
    n_start : int, optional
        First ``n`` tried; default ``max(n_relevant + 1, round(paper_critical_n(d)))`` for
        ``n_relevant = 2`` (a guess that only saves runs: the search moves to wherever the
        boundary is), and ``n_relevant + 1`` otherwise.
    n_max : int, default 2000
        The search never tries more documents than this.
    learning_rate, temperature, patience, max_steps, device
        As in :func:`free_embedding_fit`.
    random_state : int or None, default 0
    progress : bool, default True
        A progress bar over the optimisation runs.

    Returns
    -------
    CriticalN
        ``critical_n``, ``first_failure`` and a table of every run (``trials``).

    References
    ----------
    Weller et al. (2025), arXiv:2508.21038, section 4 and Figure 2; the search of
    ``google-deepmind/limit`` ``code/free_embedding_experiment.py``.

    Examples
    --------
    >>> result = critical_n(3, n_start=4, progress=False)
    >>> result.critical_n >= 3, result.first_failure == result.critical_n + 1
    (True, True)
    """
    d = check_positive_int(d, "d")
    k = check_positive_int(n_relevant, "n_relevant")
    n_max = check_positive_int(n_max, "n_max", minimum=k + 1)
    if n_start is None:
        guess = round(float(paper_critical_n(d))) if k == 2 else k + 1
        n_start = min(max(k + 1, guess), n_max)
    n_start = check_positive_int(n_start, "n_start", minimum=k + 1)
    if n_start > n_max:
        raise ValueError(f"n_start must be at most n_max={n_max}, got {n_start}")
    _check_fit_args(k + 1, d, k, learning_rate, temperature, patience, max_steps)
    random_state = check_random_state(random_state)
    rows: list[dict] = []
    bar = progress_bar(desc=f"critical_n (d={d}, n_relevant={k})", unit="run",
                       disable=not progress)

    def solved(n: int) -> bool:
        fit = free_embedding_fit(n, d, k, learning_rate, temperature, patience, max_steps,
                                 device, _seed(random_state, n), progress=False)
        rows.append({"n": n, "solved": fit.solved, "accuracy": fit.accuracy,
                     "steps": fit.steps, "stop": fit.stop, "seconds": fit.seconds})
        bar.update(1)
        bar.set_postfix_str(f"n={n} {'solved' if fit.solved else 'failed'}")
        return fit.solved

    try:
        low, high = _bracket(solved, n_start, k + 1, n_max)
        while low is not None and high is not None and high - low > 1:
            middle = (low + high) // 2
            low, high = (middle, high) if solved(middle) else (low, middle)
    finally:
        bar.close()
    return CriticalN(d=d, n_relevant=k, critical_n=k if low is None else low, first_failure=high,
                     trials=pd.DataFrame(rows, columns=["n", "solved", "accuracy", "steps",
                                                        "stop", "seconds"]))


def critical_n_curve(dims, random_states=(0,), n_relevant: int = 2, progress: bool = True,
                     **kwargs) -> pd.DataFrame:
    """:func:`critical_n` for every dimension and seed, with the paper's cubic beside it.

    For each ``d``, the first seed's search starts at the paper's cubic (the default of
    :func:`critical_n`); later seeds start at the first seed's critical n, which saves runs.

    Parameters
    ----------
    dims : sequence of int
        Embedding dimensions.
    random_states : sequence of int, default (0,)
        One search per seed and dimension.
    n_relevant : int, default 2
        Relevant documents per query.
    progress : bool, default True
        One progress bar over the (d, seed) searches.
    **kwargs
        ``n_max``, ``learning_rate``, ``temperature``, ``patience``, ``max_steps``, ``device``
        of :func:`critical_n`.

    Returns
    -------
    DataFrame
        One row per (d, seed): ``d``, ``random_state``, ``critical_n``, ``first_failure``,
        ``paper`` (the paper's cubic at d, for ``n_relevant = 2``; NaN otherwise), ``runs``
        (optimisations in the search) and ``seconds``.

    Examples
    --------
    >>> table = critical_n_curve([2, 3], patience=200, max_steps=2000, progress=False)
    >>> table[["d", "random_state"]].values.tolist()
    [[2, 0], [3, 0]]
    """
    dims = [check_positive_int(d, "dims") for d in np.atleast_1d(dims)]
    seeds = [check_random_state(s, "random_states") for s in np.atleast_1d(random_states)]
    if not dims or not seeds:
        raise ValueError("dims and random_states must not be empty")
    rows = []
    with progress_bar(total=len(dims) * len(seeds), desc="critical n", unit="search",
                      disable=not progress) as bar:
        for d in dims:
            start = None
            for seed in seeds:
                begun = time.perf_counter()
                result = critical_n(d, n_relevant, n_start=start, random_state=seed,
                                    progress=False, **kwargs)
                start = start or max(result.critical_n, n_relevant + 1)
                rows.append({"d": d, "random_state": seed, "critical_n": result.critical_n,
                             "first_failure": result.first_failure,
                             "paper": (float(paper_critical_n(d)) if n_relevant == 2
                                       else np.nan),
                             "runs": len(result.trials),
                             "seconds": time.perf_counter() - begun})
                bar.update(1)
    return pd.DataFrame(rows)


def _bracket(solved, n_start: int, n_min: int, n_max: int):
    """(largest n known solved or None, smallest n known failed or None) by galloping."""
    if solved(n_start):
        low, step = n_start, 1
        while low < n_max:
            n = min(low + step, n_max)
            if not solved(n):
                return low, n
            low, step = n, step * 2
        return low, None
    high, step = n_start, 1
    while high > n_min:
        n = max(high - step, n_min)
        if solved(n):
            return n, high
        high, step = n, step * 2
    return None, high
