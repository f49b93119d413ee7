"""Drift and model comparison: calibrated two-sample tests between corpora, periods and model
versions; comparisons of two models on the same texts; translation between two models' spaces
without paired texts; point-level explanations.

Their p-values, q-values and intervals come from :mod:`embviz.stats`. Importing this package is
light (numpy, pandas, scipy): torch loads when a kernel test runs, scikit-learn when the
classifier test runs.
"""

from ._result import TwoSampleResult
from .alignment import (
                        AlignmentMap,
                        AlignmentResult,
                        random_alignment,
                        supervised_alignment,
                        translation_scores,
                        unsupervised_alignment,
)
from .classifier import classifier_test
from .compare import (
                      LinearMap,
                      compare_models,
                      knn_overlap,
                      linear_cka,
                      linear_compensation,
                      procrustes_error,
                      relative_agreement,
                      relative_representation,
)
from .depth import depth_test, tte_depth
from .descriptors import centroid_shift, dimension_drift, drifted_dimensions
from .explain import classifier_confidence, depth_outliers, mmd_witness
from .kernel_tests import energy_test, mmd2_unbiased, mmd_test
from .over_time import drift_over_time
from .power import power_curve
from .stitching import (
                        relative_retrieval,
                        relative_vectors,
                        shuffled_anchor_agreement,
                        zero_shot_stitching,
)
from .table import TESTS, two_sample_table

__all__ = ["TESTS", "AlignmentMap", "AlignmentResult", "LinearMap", "TwoSampleResult",
           "centroid_shift", "classifier_confidence",
           "classifier_test", "compare_models", "depth_outliers", "depth_test",
           "dimension_drift", "drift_over_time", "drifted_dimensions", "energy_test",
           "knn_overlap", "linear_cka", "linear_compensation", "mmd2_unbiased", "mmd_test",
           "mmd_witness", "power_curve", "procrustes_error",
           "random_alignment", "relative_agreement", "relative_representation",
           "relative_retrieval", "relative_vectors", "shuffled_anchor_agreement",
           "supervised_alignment", "translation_scores", "tte_depth", "two_sample_table",
           "unsupervised_alignment", "zero_shot_stitching"]
