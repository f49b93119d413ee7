"""Geometry of embeddings: isotropy, intrinsic dimension, hubness, task scores, and reports over
one kNN graph (the statistics they share — multiplicity, intervals, tests — are in
:mod:`embviz.stats`).

Pure numpy/scipy/pandas at import: importing this package never imports torch, transformers,
sae_lens, umap or panel (the kNN search imports torch or faiss when it runs).
"""

from .gride import gride
from .hubness import (
                      antihub_occurrence,
                      antihubs,
                      atkinson_index,
                      gini_index,
                      hub_occurrence,
                      hubness_skewness,
                      hubness_summary,
                      hubs,
                      k_occurrence,
                      knn_classification_error,
                      knn_predictions,
                      robin_hood,
)
from .hubness_reduction import (
                      Centering,
                      FNorm,
                      LocalScaling,
                      MutualProximity,
                      Whitening,
                      hubness_reduction_table,
                      reduce_hubness,
)
from .id_calibration import CalibratedDimension, calibrated_twonn
from .id_scales import id_by_scale, id_scale_curve, twonn_by_decimation
from .inference import similarity_bootstrap, spearman_permutation_test
from .intrinsic_dim import (
                      local_intrinsic_dimension,
                      mle,
                      pca_dimension,
                      twonn,
)
from .isotropy import (
                      average_cosine,
                      effective_rank,
                      isoscore,
                      partition_isotropy,
                      pca_variances,
                      rogue_dimensions,
                      top_pc_variance_share,
)
from .report import dimensionwise_report, geometry_report, layerwise_report
from .resampling import subsampling_ci, subsampling_halves
from .subspaces import (
                      SUBSPACES,
                      chance_corrected_clustering,
                      subspace_projection,
                      subspace_scores,
)
from .tasks import (
                      TASKS,
                      clustering_scores,
                      layer_dimension_grid,
                      retrieval_scores,
                      similarity_correlation,
                      task_scores,
                      truncation_scores,
)

__all__ = [
    "CalibratedDimension", "Centering", "FNorm", "LocalScaling",
    "MutualProximity", "SUBSPACES", "TASKS", "Whitening", "antihub_occurrence", "antihubs",
    "atkinson_index", "average_cosine",
    "calibrated_twonn", "chance_corrected_clustering", "clustering_scores",
    "dimensionwise_report", "effective_rank", "geometry_report", "gini_index", "gride",
    "hub_occurrence", "hubness_reduction_table", "hubness_skewness", "hubness_summary", "hubs",
    "id_by_scale", "id_scale_curve", "isoscore", "k_occurrence", "knn_classification_error",
    "knn_predictions",
    "layer_dimension_grid", "layerwise_report", "local_intrinsic_dimension",
    "mle", "partition_isotropy", "pca_dimension", "pca_variances",
    "reduce_hubness", "retrieval_scores", "robin_hood", "rogue_dimensions",
    "similarity_bootstrap", "similarity_correlation", "spearman_permutation_test",
    "subsampling_ci", "subsampling_halves", "subspace_projection", "subspace_scores",
    "task_scores", "top_pc_variance_share", "truncation_scores", "twonn", "twonn_by_decimation",
]
