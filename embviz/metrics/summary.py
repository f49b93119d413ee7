"""A short geometry summary of an embedding set, as a tidy table."""

from __future__ import annotations

import pandas as pd

from .._validation import check_embeddings
from .isotropy import average_cosine, effective_rank, isoscore, top_pc_variance_share

__all__ = ["isotropy_summary"]


def isotropy_summary(X) -> pd.DataFrame:
    """Isotropy measures of ``X`` in one tidy table.

    Parameters
    ----------
    X : array of shape (n, d) or EmbeddingSet

    Returns
    -------
    pandas.DataFrame
        Columns ``metric``, ``value``, ``parameters``; one row per measure.
    """
    X = check_embeddings(getattr(X, "vectors", X), min_rows=2)
    rows = [("n", len(X), ""), ("d", X.shape[1], ""),
            ("isoscore", isoscore(X), ""), ("average_cosine", average_cosine(X), ""),
            ("effective_rank", effective_rank(X), "center=True"),
            ("top_pc_variance_share", top_pc_variance_share(X, 1), "k=1"),
            ("top_pc_variance_share", top_pc_variance_share(X, min(10, X.shape[1])),
             f"k={min(10, X.shape[1])}")]
    return pd.DataFrame(rows, columns=["metric", "value", "parameters"])
