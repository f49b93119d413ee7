"""The one result type of every two-sample test in :mod:`embviz.drift`."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

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
    effect_ci : (float, float)
        Confidence interval of ``effect_size`` (method in ``parameters["ci_method"]``).
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
    effect_ci: tuple[float, float]
    n_a: int
    n_b: int
    method: str
    parameters: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """A flat dict (``ci_low``/``ci_high``; parameters as a JSON string): one table row."""
        return {"method": self.method, "statistic": float(self.statistic),
                "p_value": float(self.p_value), "effect_size": float(self.effect_size),
                "ci_low": float(self.effect_ci[0]), "ci_high": float(self.effect_ci[1]),
                "n_a": int(self.n_a), "n_b": int(self.n_b),
                "parameters": json.dumps(self.parameters, default=str, sort_keys=True)}

    def significant(self, alpha: float = 0.05) -> bool:
        """Whether ``p_value < alpha``."""
        return bool(self.p_value < alpha)
