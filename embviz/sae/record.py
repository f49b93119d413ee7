"""``TrainingRecord``: what an SAE training run did and how well it reconstructs held-out data."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

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

    def summary(self) -> dict[str, float]:
        """The quality numbers: explained variance, L0, dead share, steps, seconds."""
        return {"explained_variance": self.explained_variance, "l0": self.l0,
                "dead_fraction": self.dead_fraction, "steps": self.steps,
                "seconds": self.seconds}
