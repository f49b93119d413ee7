"""Display names of the landscape's measures and columns, to merge into
``embviz._tables.DISPLAY_NAMES`` / ``COLUMN_NAMES`` when the app and the CLI show them."""

#: metric name -> human-readable label.
DISPLAY_NAMES = {
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
}

#: column name -> header (tables of regions, duplicates, leakage and outliers). ``group`` (a
#: duplicate group in ``Duplicates.groups``) keeps the package's existing header.
COLUMN_NAMES = {
    "region": "region", "level": "level", "resolution": "resolution", "parent": "parent region",
    "size": "points", "share": "share of the corpus", "name": "name", "top_words": "top words",
    "top_concepts": "top concepts", "x": "map x", "y": "map y",
    "exact_group": "exact-copy group", "nearest_distance": "distance to the nearest copy",
    "row_a": "row ({a})", "text_a": "text ({a})", "row_b": "row ({b})", "text_b": "text ({b})",
    "distance": "distance", "n_matches": "near duplicates in {a}",
    "knn_distance": "distance to the k-th neighbour", "lof": "local outlier factor",
    "tte_depth": "TTE depth",
    "knn_distance_outlier": "far (kNN distance)", "lof_outlier": "locally sparse (LOF)",
    "depth_outlier": "atypical (depth)", "n_flags": "outlier flags", "column": "column",
    "knn_recall": "kNN recall", "trustworthiness": "trustworthiness",
    "continuity": "continuity",
}
