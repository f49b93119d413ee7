"""The one result type of every two-sample test in :mod:`embviz.drift`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from .._tables import format_parameters, measures_table

__all__ = ["TwoSampleResult"]


@dataclass(frozen=True)
class TwoSampleResult:
    """Outcome of a two-sample test between samples ``a`` (reference) and ``b``.

    Attributes
    ----------
    statistic : float
        The test statistic (e.g. unbiased MMD², energy distance, held-out AUC, depth Q).
    p_value : float
        In (0, 1]. Permutation p-values are ``(1 + #{null >= observed}) / (1 + P)``: never 0,
        so the smallest attainable value is ``1 / (1 + P)``.
    effect_size : float
        A scale-meaningful size of the difference (see each test's docstring).
    ci_low, ci_high : float
        Confidence interval (two-sided, level ``parameters["confidence"]``) of what
        ``parameters["ci_target"]`` names, made as ``parameters["ci_method"]`` says; for
        the permutation tests (MMD, energy, centroid) ``ci_low > 0`` exactly when
        ``p_value < (1 − confidence) / 2``. NaN where a test has no interval.
    n_a, n_b : int
        Sample sizes.
    method : str
        Test name, e.g. ``"mmd"``.
    parameters : dict
        Everything needed to reproduce the result (bandwidth, permutations, seed, ...).
    """

    statistic: float
    p_value: float
    effect_size: float
    ci_low: float
    ci_high: float
    n_a: int
    n_b: int
    method: str
    parameters: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """One row of a long result table: ``metric`` (the test), ``value`` (the effect size)
        with ``ci_low``/``ci_high``, ``parameters`` (``"key=value, ..."``), then
        ``statistic``, ``p_value``, ``n_a``, ``n_b``."""
        return {"metric": self.method, "value": float(self.effect_size),
                "ci_low": float(self.ci_low), "ci_high": float(self.ci_high),
                "parameters": format_parameters(self.parameters),
                "statistic": float(self.statistic), "p_value": float(self.p_value),
                "n_a": int(self.n_a), "n_b": int(self.n_b)}

    def table(self) -> pd.DataFrame:
        """The result as a long table (``metric, value, ci_low, ci_high, parameters``): the
        test (``metric`` is :attr:`method`, ``value`` the effect size with its interval), then
        ``statistic``, ``p_value``, ``n_a``, ``n_b``; every row's ``parameters`` starts with
        ``test=<method>``. :meth:`to_dict` is the same result as one wide row."""
        return measures_table(
            [{"metric": self.method, "value": self.effect_size, "ci_low": self.ci_low,
              "ci_high": self.ci_high},
             {"metric": "statistic", "value": self.statistic},
             {"metric": "p_value", "value": self.p_value},
             {"metric": "n_a", "value": self.n_a}, {"metric": "n_b", "value": self.n_b}],
            {"test": self.method, **self.parameters})

    def significant(self, alpha: float = 0.05) -> bool:
        """Whether ``p_value < alpha``."""
        return bool(self.p_value < alpha)
