"""``TrainingRecord``: what an SAE training run did and how well it reconstructs held-out data."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

from .._tables import measures_table

__all__ = ["SAETrainingConfig", "TrainingRecord"]


@dataclass(frozen=True)
class SAETrainingConfig:
    """What was asked of one SAE training run, checked (serialises both ways, as sae-lens'
    configs do with ``to_dict``/``from_dict``); its dict is part of the SAE cache key.

    Attributes
    ----------
    architecture : {"topk", "standard", "matching_pursuit"}
        sae-lens architecture (aliases resolved).
    d_in, expansion : int
        Input dimension; ``d_sae = expansion * d_in``.
    k : int or None
        Active features per row (TopK) or most atoms picked (matching pursuit); None for ReLU.
    steps, batch_size : int
    lr : float
    l1_coefficient : float or None
        ReLU ("standard") only.
    holdout : float
        Share of rows kept out of training.
    random_state : int
    """

    architecture: str
    d_in: int
    expansion: int
    k: int | None
    steps: int
    batch_size: int
    lr: float
    l1_coefficient: float | None
    holdout: float
    random_state: int

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SAETrainingConfig:
        """Inverse of :meth:`to_dict` (unknown keys are ignored)."""
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


@dataclass
class TrainingRecord:
    """Summary of one SAE training run (serialises both ways with ``to_dict``/``from_dict``).

    Attributes
    ----------
    loss : list of float, length steps
        Total training loss per step (reconstruction MSE + auxiliary loss).
    mse : list of float, length steps
        Reconstruction part of the loss per step (normalised input space).
    explained_variance : float
        Held-out ``1 - sum ||x - x_hat||^2 / sum ||x - mean||^2`` in the input space (the
        held-out rows' own mean), as reported by sae-lens and Gao et al. (2024).
    l0 : float
        Mean number of active features per held-out row.
    dead_fraction : float
        Share of features never active on the held-out rows plus up to 20,000 training rows
        (``n_dead_eval_rows`` says how many rows were looked at).
    n_dead_eval_rows : int
    steps, batch_size : int
    n_train, n_holdout : int
        Rows (or tokens) used for training and for evaluation.
    seconds : float
        Wall time of the training loop (excluding evaluation).
    config : dict
        Every hyperparameter of the request (architecture, expansion, k, lr, ...).
    data_sha256 : str
        sha256 of the training data (float32 bytes and shape).
    sae_lens_version : str
    cache_key : str
    """

    loss: list[float]
    mse: list[float]
    explained_variance: float
    l0: float
    dead_fraction: float
    n_dead_eval_rows: int
    steps: int
    batch_size: int
    n_train: int
    n_holdout: int
    seconds: float
    config: dict[str, Any] = field(default_factory=dict)
    data_sha256: str = ""
    sae_lens_version: str = ""
    cache_key: str = ""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainingRecord:
        """Inverse of :meth:`to_dict` (unknown keys are ignored)."""
        names = cls.__dataclass_fields__
        return cls(**{k: v for k, v in data.items() if k in names})

    def table(self) -> pd.DataFrame:
        """The run as a long table (``metric, value, ci_low, ci_high, parameters``):
        ``explained_variance``, ``l0``, ``dead_fraction``, ``steps``, ``n_train``,
        ``n_holdout``, ``seconds``; ``parameters`` are the run's hyperparameters."""
        names = ("explained_variance", "l0", "dead_fraction", "steps", "n_train", "n_holdout",
                 "seconds")
        return measures_table(({"metric": name, "value": getattr(self, name)}
                               for name in names), self._settings())

    def summary(self) -> str:
        """One line for printing or logging, e.g. ``"SAE training (architecture=topk,
        expansion=8, k=32, ...): explained variance 0.912, L0 32.0, dead 1.2%, 2,000 steps,
        12.3 s"``."""
        settings = ", ".join(f"{key}={value}" for key, value in self._settings().items())
        return (f"SAE training ({settings}): explained variance "
                f"{self.explained_variance:.3f}, L0 {self.l0:.1f}, dead "
                f"{self.dead_fraction:.1%}, {self.steps:,} steps, {self.seconds:.1f} s")

    def _settings(self) -> dict[str, Any]:
        """The hyperparameters that shape the SAE (those set, in a fixed order)."""
        keys = ("architecture", "expansion", "k", "l1_coefficient", "lr", "batch_size")
        return {key: self.config[key] for key in keys if self.config.get(key) is not None}
