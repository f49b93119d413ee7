"""Statistics, in one place: multiplicity corrections, intervals, permutation p-values and
tests of proportions that every measure, table and figure of embviz uses.

- Multiplicity: :func:`benjamini_hochberg` (q-values, false-discovery rate) and :func:`holm`
  (family-wise error); ``nan_policy="omit"`` for tables with untested rows.
- Intervals: :class:`Interval` and :class:`Estimate` (``ci_low``/``ci_high`` fields, never a
  tuple); :func:`wilson_interval` (a proportion), :func:`percentile_interval` (bootstrap
  replicates), :func:`bootstrap_ci` (rows drawn with replacement), :func:`half_samples` (rows
  without replacement, for spectral and neighbour-based measures).
- P-values: :func:`permutation_p_value` and its floor :func:`p_value_floor` (1 / (1 + B)),
  :func:`bootstrap_p_value`, :func:`mcnemar_test`, :func:`two_proportion_test`.

Figures and views take q-values and intervals as given: they never compute them.
Importing this package is light (numpy; scipy loads when a function needs it).
"""

from .bootstrap import bootstrap_ci, bootstrap_p_value
from .half_sampling import half_samples
from .intervals import Estimate, Interval, percentile_interval, wilson_interval
from .multiplicity import NAN_POLICIES, benjamini_hochberg, holm
from .permutation import p_value_floor, permutation_p_value
from .proportions import McNemarResult, mcnemar_test, two_proportion_test

__all__ = ["NAN_POLICIES", "Estimate", "Interval", "McNemarResult", "benjamini_hochberg",
           "bootstrap_ci", "bootstrap_p_value", "half_samples", "holm", "mcnemar_test",
           "p_value_floor", "percentile_interval", "permutation_p_value", "two_proportion_test",
           "wilson_interval"]
