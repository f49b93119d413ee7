"""Half-samples: subsets of ⌊n/2⌋ distinct rows, the unit of every half-sampling interval
(:mod:`embviz.metrics.resampling` builds the complementary splits and intervals of the
geometry report on them; :mod:`embviz.drift._intervals` those of the two-sample tests).
"""

from __future__ import annotations

import numpy as np

from .._validation import check_positive_int

__all__ = ["half_samples"]


def half_samples(n: int, n_resamples: int, random_state=0) -> np.ndarray:
    """``n_resamples`` subsets of ⌊n/2⌋ distinct rows of n, each sorted.

    No row enters a subset twice, so no point becomes its own neighbour at distance 0 and no
    direction is counted twice, which is what spectral and neighbour-based measures need.

    Parameters
    ----------
    n : int >= 2
    n_resamples : int >= 0
        Half-samples drawn.
    random_state : int, None or numpy.random.Generator, default 0
        A generator is drawn from (and advanced) as it is: a caller that draws more than
        one set of half-samples passes its one stream.

    Returns
    -------
    ndarray of shape (n_resamples, n // 2), int64
        Row numbers, increasing within each subset (no row twice).

    References
    ----------
    McCarthy (1969), "Pseudo-replication: half samples", Review of the International
    Statistical Institute 37(3); Politis, Romano & Wolf (1999), "Subsampling", Springer.

    Examples
    --------
    >>> half_samples(6, 2, random_state=0).shape
    (2, 3)
    """
    n = check_positive_int(n, "n", minimum=2)  # half-sampling needs at least 2 rows
    n_resamples = check_positive_int(n_resamples, "n_resamples", minimum=0)
    m = n // 2
    keys = np.random.default_rng(random_state).random((n_resamples, n))
    return np.sort(np.argpartition(keys, m - 1, axis=1)[:, :m], axis=1).astype(np.int64)
