"""The package's one shape of result table, and the display names its views share.

Every long result table (one row per measure) has the columns :data:`RESULT_COLUMNS`:
``metric`` (a stable machine name), ``value``, ``ci_low``, ``ci_high`` (NaN without an
interval) and ``parameters`` (``"k=10, metric=cosine"``: what the value depends on), followed
by any columns of its own (``p_value``, ``q_value``, ``n_a``, ...). Display names and units come
from :data:`DISPLAY_NAMES`, used by the app, the CLI and exported figures alike.

Every result object speaks one protocol, :class:`ResultTable`: ``.table()`` returns exactly
:data:`RESULT_COLUMNS` (one row per measure, built by :func:`measures_table`), so the tables of
any two results concatenate; a per-row table a result holds (per point, per region, per
iteration) is an attribute of its own. ``.summary()``, where a result has one, is a one-line
``str`` for printing and logging: the numbers themselves are in ``.table()``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Protocol, runtime_checkable

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
    "twonn_calibrated": "intrinsic dimension, calibrated TwoNN",
    "gride": "intrinsic dimension, Gride",
    "mle": "intrinsic dimension, Levina–Bickel MLE",
    "pca_dimension": "PCA dimension (90% variance)",
    "local_intrinsic_dimension_mean": "local intrinsic dimension, mean",
    "local_intrinsic_dimension_median": "local intrinsic dimension, median",
    "hubness_skewness": "hubness (k-skewness)",
    "k_skewness": "hubness (k-skewness)",
    "robin_hood": "Robin Hood index",
    "gini_index": "Gini index of the k-occurrence",
    "atkinson_index": "Atkinson index of the k-occurrence",
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
    "top1_accuracy": "top-1 accuracy (true partner ranked first)",
    "mean_rank": "mean rank of the true partner",
    "mean_cosine": "mean cosine to the true partner",
    "mmd": "MMD two-sample test",
    "energy": "energy-distance test",
    "depth": "TTE depth test",
    "classifier": "classifier two-sample test",
    "centroid": "centroid shift",
    "dimensions": "drifted dimensions",
    # per-point measures (map colours)
    "k_occurrence": "k-occurrence",
    "local_id": "local intrinsic dimension",
    "tte_depth": "TTE depth",
    "norm": "L2 norm",
    # the landscape (embviz.landscape): map trust, region cards, duplicates, outliers
    "knn_recall": "kNN recall (map vs space)",
    "trustworthiness": "trustworthiness",
    "continuity": "continuity",
    "knn_distance": "distance to the k-th neighbour",
    "n_corpus_hubs": "hubs of the corpus in the region",
    "share": "share of the corpus",
    "n_groups": "near-duplicate groups",
    "n_exact_groups": "exact-duplicate groups",
    "points_in_groups": "points in duplicate groups",
    "n_removed": "points removed by de-duplication",
    "n_exact_removed": "exact copies removed",
    "excluded_by_intrinsic_dimension": "points intrinsic dimension leaves out (a copy at "
                                       "distance 0)",
    "lof": "local outlier factor",
    "n_regions": "regions",
    "largest_share": "share of the largest region",
    # the rows of result objects' .table() (embviz._tables.measures_table)
    "statistic": "test statistic",
    "p_value": "p-value",
    "n_a": "points (a)",
    "n_b": "points (b)",
    "explained_variance": "explained variance (held out)",
    "l0": "active features per row (L0)",
    "dead_fraction": "share of dead features",
    "d_in": "input dimensions",
    "d_sae": "SAE features",
}

#: column name -> header shown in the app, the CLI and exported tables' displays. ``{a}`` and
#: ``{b}`` are the two groups' own names (KJV, WEB), filled in by :func:`column_title`.
COLUMN_NAMES = {
    "metric": "measure", "value": "value", "ci_low": "CI low", "ci_high": "CI high",
    "parameters": "parameters", "statistic": "test statistic", "p_value": "p-value",
    "q_value": "q-value", "significant": "significant", "n_a": "n ({a})", "n_b": "n ({b})",
    "row": "row", "id": "id", "text": "text", "label": "label", "rank": "rank",
    "neighbor": "neighbour row", "neighbor_id": "neighbour id",
    "neighbor_text": "neighbour text", "neighbor_label": "neighbour label",
    "cosine": "cosine similarity", "sample": "group", "witness": "MMD witness",
    "method": "method", "k_skewness": "hubness (k-skewness)", "robin_hood": "Robin Hood index",
    "knn_error": "k-NN error", "knn_accuracy": "k-NN accuracy",
    "relative_error_reduction": "relative error reduction", "n_selected": "selected",
    "share_selected": "share of the selection", "n_corpus": "in the corpus",
    "share_corpus": "share of the corpus", "enrichment": "enrichment (×)",
    "over_represented": "over-represented", "window": "window start", "end": "window end",
    "n": "n", "n_reference": "n (reference)", "is_reference": "reference window",
    "effect_size": "effect size", "note": "note", "jaccard": "k-NN overlap (Jaccard)",
    "feature": "feature", "frequency": "share of texts active", "mean_activation":
    "mean activation", "best_label": "best-matching label", "f1": "F1", "freq_a":
    "share active ({a})", "freq_b": "share active ({b})", "diff": "difference ({a} − {b})",
    "examples_a": "examples ({a})", "examples_b": "examples ({b})", "top_words": "top words",
    "top_texts": "top texts", "group": "group", "time": "time",
    # tables of regions, duplicates, leakage and outliers (embviz.landscape)
    "region": "region", "level": "level", "resolution": "resolution", "parent": "parent region",
    "size": "points", "name": "name", "top_concepts": "top concepts", "x": "map x",
    "y": "map y", "exact_group": "exact-copy group",
    "nearest_distance": "distance to the nearest copy", "row_a": "row ({a})",
    "text_a": "text ({a})", "row_b": "row ({b})", "text_b": "text ({b})",
    "distance": "distance", "n_matches": "near duplicates in {a}",
    "knn_distance_outlier": "far (kNN distance)", "lof_outlier": "locally sparse (LOF)",
    "depth_outlier": "atypical (depth)", "n_flags": "outlier flags", "column": "column",
    **{name: label for name, label in DISPLAY_NAMES.items()
       if name not in ("n", "d", "n_a", "n_b")},  # as columns, n_a/n_b name the groups
}
_P_FLOOR = 1e-6  # below this a p-value prints as "< 1e-6"


def column_title(column: str, groups: tuple[str, str] = ("A", "B")) -> str:
    """The header of a result column, with the groups' own names for ``a``/``b``."""
    title = COLUMN_NAMES.get(column, column.replace("_", " "))
    return title.format(a=groups[0], b=groups[1]) if "{" in title else title


def format_p_value(p: float) -> str:
    """``"< 1e-6"`` below one in a million, scientific notation below 0.001, else 3
    significant digits; ``"—"`` for no value. A p-value never prints as ``0.0``."""
    if p is None or not np.isfinite(p):
        return "—"
    if p < _P_FLOOR:
        return "< 1e-6"
    return f"{p:.1e}" if p < 1e-3 else f"{p:.3g}"


def readable_parameters(parameters: str) -> str:
    """``"k=10, metric=cosine"`` -> ``"k = 10; metric: cosine"``: one clause per setting.

    A value may itself hold commas (a method's description), so a clause starts only where a
    ``name=`` follows a comma."""
    import re

    clauses = re.split(r", (?=[A-Za-z_][\w]*=)", parameters or "")
    out = []
    for clause in filter(None, clauses):
        name, found, value = clause.partition("=")
        if not found:
            out.append(clause)
        elif len(name) <= 2 or name.startswith("n_"):
            out.append(f"{name.replace('_', ' ')} = {value}")
        else:
            out.append(f"{name.replace('_', ' ')}: {value}")
    return "; ".join(out)


def display_table(table: pd.DataFrame, groups: tuple[str, str] = ("A", "B"),
                  digits: int = 4) -> tuple[pd.DataFrame, dict[str, str]]:
    """A result table as people read it, and its column headers.

    Measure names become display names, p- and q-values print as :func:`format_p_value`,
    parameters as :func:`readable_parameters`, group codes ``a``/``b`` as the groups' names,
    other numbers to ``digits`` significant digits. The table itself (what is exported as
    CSV or Parquet) keeps its machine names and full precision.

    Returns
    -------
    (pandas.DataFrame, dict)
        The display copy, and ``column -> header`` (:func:`column_title`).
    """
    shown = table.copy()
    for column in shown.columns:
        values = shown[column]
        if column == "metric":
            shown[column] = values.map(display_name)
        elif column in ("p_value", "q_value"):
            shown[column] = values.map(format_p_value)
        elif column == "parameters":
            shown[column] = values.map(readable_parameters)
        elif column == "sample":
            shown[column] = values.map({"a": groups[0], "b": groups[1]}).fillna(values)
        elif pd.api.types.is_float_dtype(values):
            shown[column] = values.map(lambda v: float(f"{v:.{digits}g}") if np.isfinite(v)
                                       else v)
    return shown, {column: column_title(column, groups) for column in shown.columns}


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


def measures_table(rows: Iterable[Mapping[str, Any]],
                   parameters: Mapping[str, Any] | str | None = None) -> pd.DataFrame:
    """The long table of a result object's ``.table()``: exactly :data:`RESULT_COLUMNS`.

    One row per measure; ``metric`` and ``parameters`` are text (pandas' default string
    dtype), ``value``, ``ci_low`` and ``ci_high`` ``float64`` (counts and flags too), so the
    tables of any two results share their dtypes and concatenate.

    Parameters
    ----------
    rows : iterable of mappings
        Each with ``metric`` and ``value``, optionally ``ci_low``/``ci_high`` (NaN without an
        interval) and ``parameters`` (a dict or a one-line string); no other keys.
    parameters : dict or str, optional
        The ``parameters`` of rows that give none.

    Returns
    -------
    pandas.DataFrame
        Columns ``metric, value, ci_low, ci_high, parameters``.

    Raises
    ------
    ValueError
        A row with a key outside :data:`RESULT_COLUMNS` (a measure of its own is a row, not a
        column).
    """
    shared = format_parameters(parameters)
    records = []
    for row in rows:
        extra = set(row) - set(RESULT_COLUMNS)
        if extra:
            raise ValueError(f"a result's table has exactly the columns {RESULT_COLUMNS}; "
                             f"make {sorted(extra)} rows of their own")
        text = format_parameters(row["parameters"]) if "parameters" in row else shared
        records.append((str(row["metric"]), _number(row["value"]),
                        _number(row.get("ci_low", np.nan)), _number(row.get("ci_high", np.nan)),
                        " ".join(text.split())))
    table = pd.DataFrame(records, columns=RESULT_COLUMNS)
    return table.astype({"metric": str, "value": np.float64, "ci_low": np.float64,
                         "ci_high": np.float64, "parameters": str})


def _number(value: Any) -> float:
    """A measure as a float (None -> NaN, True -> 1.0)."""
    return np.nan if value is None else float(value)


@runtime_checkable
class ResultTable(Protocol):
    """What every result object of embviz offers (see the module notes).

    ``table()`` returns the long table :func:`measures_table` builds: exactly the columns
    ``metric, value, ci_low, ci_high, parameters``, one row per measure.
    """

    def table(self) -> pd.DataFrame:
        ...


def with_labels(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with a ``label`` column (display names of ``metric``) after ``metric``."""
    labelled = table.copy()
    labelled.insert(1, "label", [display_name(m) for m in table["metric"]])
    return labelled
