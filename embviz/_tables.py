"""The package's one shape of result table, and the display names its views share.

Every long result table (one row per measure) has the columns :data:`RESULT_COLUMNS`:
``metric`` (a stable machine name), ``value``, ``ci_low``, ``ci_high`` (NaN without an
interval) and ``parameters`` (``"k=10, metric=cosine"``: what the value depends on), followed
by any columns of its own (``p_value``, ``q_value``, ``n_a``, ...). Display names and units come
from :data:`DISPLAY_NAMES`, used by the app, the CLI and exported figures alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

RESULT_COLUMNS = ["metric", "value", "ci_low", "ci_high", "parameters"]

#: metric name -> human-readable label (with its unit where it has one).
DISPLAY_NAMES = {
    "n": "points (n)",
    "d": "dimensions (d)",
    "isoscore": "IsoScore",
    "partition_isotropy": "partition-function isotropy I(W)",
    "average_cosine": "average pairwise cosine",
    "effective_rank": "effective rank",
    "top_pc_variance_share": "variance share of the top PC",
    "twonn": "intrinsic dimension, TwoNN",
    "twonn_mle": "intrinsic dimension, TwoNN (ML)",
    "mle": "intrinsic dimension, Levina–Bickel MLE",
    "pca_dimension": "PCA dimension (90% variance)",
    "local_intrinsic_dimension_mean": "local intrinsic dimension, mean",
    "local_intrinsic_dimension_median": "local intrinsic dimension, median",
    "hubness_skewness": "hubness (k-skewness)",
    "k_skewness": "hubness (k-skewness)",
    "robin_hood": "Robin Hood index",
    "hub_occurrence": "hub occurrence",
    "antihub_occurrence": "anti-hub occurrence",
    "n_hubs": "hubs",
    "n_antihubs": "anti-hubs",
    "max_k_occurrence": "largest k-occurrence",
    "knn_error": "k-NN classification error",
    "linear_cka": "linear CKA",
    "debiased_cka": "debiased linear CKA",
    "knn_jaccard_mean": "k-NN overlap (mean Jaccard)",
    "procrustes_error": "Procrustes error",
    "recall_before": "recall@k, new queries in the old index",
    "recall_after": "recall@k, after the linear map",
    "relative_agreement_mean": "relative-representation agreement (mean)",
    "mmd": "MMD two-sample test",
    "energy": "energy-distance test",
    "depth": "TTE depth test",
    "classifier": "classifier two-sample test",
    "centroid": "centroid shift",
    "dimensions": "drifted dimensions",
}


def display_name(metric: str) -> str:
    """The human-readable label of ``metric`` (the name itself when none is recorded)."""
    return DISPLAY_NAMES.get(metric, metric.replace("_", " "))


def format_parameters(parameters: Mapping[str, Any] | str | None) -> str:
    """``{"k": 10, "metric": "cosine"}`` -> ``"k=10, metric=cosine"`` (strings pass through)."""
    if parameters is None:
        return ""
    if isinstance(parameters, str):
        return parameters
    return ", ".join(f"{key}={_format_value(value)}" for key, value in parameters.items())


def _format_value(value: Any) -> str:
    if isinstance(value, (float, np.floating)):
        return f"{value:g}"
    if isinstance(value, (list, tuple)):
        return "(" + ", ".join(_format_value(v) for v in value) + ")"
    return str(value)


def result_table(rows: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """A long result table: :data:`RESULT_COLUMNS` first, then each row's own columns.

    Parameters
    ----------
    rows : iterable of mappings
        Each with ``metric`` and ``value``; ``ci_low``/``ci_high`` default to NaN and
        ``parameters`` (a dict or a string) to ``""``.

    Returns
    -------
    pandas.DataFrame
    """
    records = []
    for row in rows:
        record = {"metric": row["metric"], "value": row["value"],
                  "ci_low": row.get("ci_low", np.nan), "ci_high": row.get("ci_high", np.nan),
                  "parameters": format_parameters(row.get("parameters"))}
        record.update({k: v for k, v in row.items() if k not in record})
        records.append(record)
    return pd.DataFrame(records, columns=None if records else RESULT_COLUMNS)


def with_labels(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with a ``label`` column (display names of ``metric``) after ``metric``."""
    labelled = table.copy()
    labelled.insert(1, "label", [display_name(m) for m in table["metric"]])
    return labelled
