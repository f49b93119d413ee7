"""The k-NN classification protocol of Nielsen & Hansen (2024): a held-out test split, k tuned
by 5-fold cross-validation on the training split, distance-weighted votes (or, as an option,
plain ones: see :func:`weighted_knn_predict` on mutual proximity).

Everything works on one k-NN graph over all rows (built once per hubness-reduction method),
whose candidate lists are filtered per query: a test row may only vote with training rows, a
training row in fold f only with training rows of the other folds. Labels never enter the
graph, but the unsupervised reduction (centering mean, f-norm ranks, mutual-proximity moments)
sees every row's vector, test rows included — a transductive choice the authors did not make
(they fit the reduction on the training split).

References
----------
Nielsen & Hansen (2024), "Hubness Reduction Improves Sentence-BERT Semantic Spaces", NLDL,
PMLR 233 (section 4: Euclidean distance-weighted k-NN, k chosen by 5-fold CV).
"""

from __future__ import annotations

import numpy as np

from .._validation import check_choice, check_number, check_positive_int

__all__ = ["TEST_FOLD", "WEIGHTS", "cv_tuned_correct", "heldout_folds", "weighted_knn_predict"]

#: The fold number of test rows in :func:`heldout_folds`.
TEST_FOLD = -1
#: Vote weights of :func:`weighted_knn_predict`, as scikit-learn's ``weights``.
WEIGHTS = ("distance", "uniform")
_TINY = 1e-12


def heldout_folds(codes, test_size: float = 0.2, n_folds: int = 5,
                  random_state: int | None = 0) -> np.ndarray:
    """A stratified test split and stratified folds of the training rows.

    Parameters
    ----------
    codes : int array of shape (n,), class codes 0..C−1
    test_size : float in (0, 1), default 0.2, share of each class held out
    n_folds : int >= 2, default 5
    random_state : int or None, default 0

    Returns
    -------
    ndarray of shape (n,), int64
        :data:`TEST_FOLD` (−1) for test rows, else the training fold 0..n_folds−1.
    """
    codes = np.asarray(codes)
    test_size = check_number(test_size, "test_size", 0, 1, low_open=True, high_open=True)
    n_folds = check_positive_int(n_folds, "n_folds", minimum=2)
    rng = np.random.default_rng(random_state)
    fold = np.empty(len(codes), np.int64)
    offset = 0
    for c in np.unique(codes):
        rows = rng.permutation(np.flatnonzero(codes == c))
        n_test = int(round(test_size * len(rows)))
        fold[rows[:n_test]] = TEST_FOLD
        train = rows[n_test:]  # dealt round-robin, continuing across classes
        fold[train] = (offset + np.arange(len(train))) % n_folds
        offset += len(train)
    return fold


def weighted_knn_predict(indices, distances, codes, fold, k: int,
                         weights: str = "distance") -> np.ndarray:
    """Distance-weighted (or plain) k-NN vote of every row among the rows it may see.

    Row i may use neighbour j iff ``fold[j] != TEST_FOLD`` and ``fold[j] != fold[i]``: test
    rows vote with all training rows, a training row with the other training folds. Of each
    row's candidates (nearest first) the first ``k`` usable ones vote with weight 1/d (as
    scikit-learn's ``weights="distance"``; d floored at 1e-12) or 1 (``"uniform"``). Fewer
    than k usable candidates: those there are vote; none: class of code 0.

    1/d votes suit distances that keep their scale near 0. Mutual proximity does not: it is a
    probability complement, tiny for a point's closest neighbours (often below 1e-5, now and
    then exactly 0) and spread over orders of magnitude, so under 1/d the nearest neighbour
    alone usually outweighs all the others and the vote becomes a 1-NN vote, whatever k.
    ``weights="uniform"`` avoids that.

    Parameters
    ----------
    indices : int array of shape (n, c), candidates nearest first (a KNNGraph's ``indices``)
    distances : float array of shape (n, c), their distances (primary or secondary)
    codes : int array of shape (n,), class codes 0..C−1
    fold : int array of shape (n,), from :func:`heldout_folds`
    k : int
    weights : {"distance", "uniform"}, default "distance"

    Returns
    -------
    ndarray of shape (n,), int64, the predicted codes (ties: the smaller code)
    """
    k = check_positive_int(k, "k")
    check_choice(weights, "weights", WEIGHTS)
    indices, codes, fold = np.asarray(indices), np.asarray(codes), np.asarray(fold)
    usable = (fold[indices] != TEST_FOLD) & (fold[indices] != fold[:, None])
    use = usable & (np.cumsum(usable, axis=1) <= k)
    vote = (1 / np.maximum(np.asarray(distances, np.float64), _TINY) if weights == "distance"
            else np.ones(indices.shape))
    votes = np.zeros((len(indices), int(codes.max()) + 1))
    rows = np.broadcast_to(np.arange(len(indices))[:, None], indices.shape)
    np.add.at(votes, (rows[use], codes[indices][use]), vote[use])
    return votes.argmax(1)


def cv_tuned_correct(indices, distances, codes, fold, ks,
                     weights: str = "distance") -> tuple[np.ndarray, int, np.ndarray]:
    """Choose k by cross-validated accuracy on the training rows, then classify the test rows.

    Parameters
    ----------
    indices, distances, codes, fold, weights
        As in :func:`weighted_knn_predict`.
    ks : sequence of int, the candidate k (the smallest of equally good ones is chosen)

    Returns
    -------
    correct : bool ndarray of shape (n_test,), test rows in row order
    k : int, the chosen k
    cv_accuracy : ndarray of shape (len(ks),), accuracy over all training rows per k
    """
    codes, fold = np.asarray(codes), np.asarray(fold)
    train, test = fold != TEST_FOLD, fold == TEST_FOLD
    ks = [check_positive_int(k, "k") for k in ks]
    cv = np.array([(weighted_knn_predict(indices, distances, codes, fold, k, weights)[train]
                    == codes[train]).mean() for k in ks])
    best = ks[int(np.argmax(cv))]
    predicted = weighted_knn_predict(indices, distances, codes, fold, best, weights)
    return predicted[test] == codes[test], best, cv
