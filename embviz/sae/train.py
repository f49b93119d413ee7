"""Train a sparse autoencoder with sae-lens on embeddings or on token activations.

The method follows "Interpretable Embeddings with Sparse Autoencoders: A Data Analysis Toolkit"
(TopK SAEs over document embeddings or over a language model's token activations) with the
TopK recipe of Gao et al. (2024), "Scaling and evaluating sparse autoencoders" (auxiliary loss
for dead latents, decoder-norm rescaling, linear learning-rate decay at the end).
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from .._config import cache_dir as default_cache_dir
from .._files import job_key
from .._validation import check_choice, check_number, check_positive_int
from .data import as_training_data, normalisation, split_holdout
from .evaluate import evaluate_sae
from .model import ConceptSAE, NotAnSAEDirectoryError, install_directory
from .record import SAETrainingConfig, TrainingRecord

__all__ = ["ARCHITECTURES", "train_sae"]

#: Supported architectures; "relu" is an alias of sae-lens' "standard" (ReLU + L1 penalty) and
#: "mp" of "matching_pursuit".
ARCHITECTURES = ("topk", "relu", "standard", "matching_pursuit", "mp")
_ALIASES = {"relu": "standard", "mp": "matching_pursuit"}
_SPARSE_BY_K = ("topk", "matching_pursuit")
_DEAD_EVAL_TRAIN_ROWS = 20_000


def train_sae(data, architecture: str = "topk", expansion: int = 8, n_active: int = 16,
              max_steps: int = 600, batch_size: int = 256, learning_rate: float = 3e-3,
              l1_coefficient: float = 5.0, holdout: float = 0.1, device: str = "auto",
              random_state: int = 0, cache: bool = True, cache_dir: str | Path | None = None,
              n_threads: int | None = 1, progress: bool = True) -> ConceptSAE:
    """Train (or fetch from the cache) a sparse autoencoder on embeddings or token activations.

    Rows are split into training and held-out parts (by document for token activations),
    centred and scaled so that the mean squared norm of training rows is ``d_in``; the SAE is
    trained with ``sae_lens.SAETrainer`` on a data provider that streams shuffled batches; the
    held-out rows give the explained variance, L0 and the dead-feature share.

    Parameters
    ----------
    data : EmbeddingSet, ndarray (n, d), TokenCorpus or TokenActivations
        Dense document embeddings (one row per document) or an LM's token activations
        (one row per token; see :func:`embviz.sae.token_corpus`).
    architecture : {"topk", "relu", "standard", "matching_pursuit", "mp"}, default "topk"
        TopK (Gao et al. 2024), ReLU with an L1 penalty ("standard" in sae-lens;
        Bricken et al. 2023), or matching pursuit (MP-SAE, Costa et al. 2025: the encoder
        greedily picks up to ``n_active`` decoder atoms, each fitted to what the previous ones left;
        on MiniLM embeddings it explains more held-out variance than TopK at the same L0, at
        about 4x the training time).
    expansion : int, default 8
        ``d_sae = expansion * d_in``.
    n_active : int, default 16
        Active features per row (TopK), or the most atoms matching pursuit picks per row
        (stored as ``k`` in :class:`SAETrainingConfig`).
    max_steps : int, default 600
        Optimiser steps (``steps`` in :class:`SAETrainingConfig`); ``max_steps * batch_size``
        rows are seen in total.
    batch_size : int, default 256
        Rows per optimiser step.
    learning_rate : float, default 3e-3
        Adam learning rate (``lr`` in :class:`SAETrainingConfig`); linear warm-up over 5% and
        decay to 0 over the last 20% of steps.
    l1_coefficient : float, default 5.0
        Sparsity penalty (ReLU only).
    holdout : float, default 0.1
        Share of rows (documents for token data) kept out of training for evaluation.
    device : str, default "auto"
    random_state : int, default 0
        Seeds the split, the batch order and the initialisation (global RNGs untouched).
    cache : bool, default True
        Reuse an SAE trained on the same data with the same request (content-addressed under
        ``<cache>/sae/<key>``) and store new ones there.
    cache_dir : path, optional
        Cache root (default ``$EMBVIZ_CACHE`` or ``~/.cache/embviz``).
    n_threads : int or None, default 1
        torch CPU threads during training and evaluation (restored afterwards); ``None``
        keeps torch's setting. One thread is reproducible and fast on a shared CPU.
    progress : bool, default True
        Show a progress bar over the training steps.

    Returns
    -------
    ConceptSAE
        The SAE with its :class:`TrainingRecord` (``.record``) and data provenance.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).normal(size=(600, 16)).astype("float32")
    >>> sae = train_sae(X, n_active=4, max_steps=20, batch_size=64, cache=False, progress=False)
    >>> sae.d_sae, sae.record.l0 <= 4
    (128, True)
    """
    train = as_training_data(data)
    config = _check_request(architecture, expansion, n_active, max_steps, batch_size,
                            learning_rate, l1_coefficient, holdout, random_state,
                            train.X.shape[1])
    train_rows, hold_rows = split_holdout(len(train.X), train.groups, holdout, random_state)
    if len(train_rows) < batch_size:
        raise ValueError(f"data has {len(train_rows)} training rows after holding out "
                         f"{len(hold_rows)}, fewer than batch_size={batch_size}; give more rows "
                         f"or a smaller batch_size")
    key = _cache_key(train.sha256, config)
    target = Path(cache_dir or default_cache_dir()) / "sae" / key
    if cache and target.exists():
        try:
            return ConceptSAE.load(target, device=_device_str(device))
        except NotAnSAEDirectoryError:
            import shutil

            shutil.rmtree(target, ignore_errors=True)  # corrupt entry: train again
    from ._threads import torch_threads

    with torch_threads(n_threads):
        sae = _train(train, train_rows, hold_rows, config, device, progress, key)
    if cache:
        install_directory(sae.save, target)
    return sae


def _check_request(architecture, expansion, n_active, max_steps, batch_size, learning_rate,
                   l1_coefficient, holdout, random_state, d_in) -> SAETrainingConfig:
    """The checked request; the config keeps its field names (k, steps, lr) so cache keys
    of SAEs trained before the arguments were renamed stay valid."""
    check_choice(architecture, "architecture", ARCHITECTURES)
    expansion = check_positive_int(expansion, "expansion")
    n_active = check_positive_int(n_active, "n_active")
    arch = _ALIASES.get(architecture, architecture)
    if arch in _SPARSE_BY_K and n_active > expansion * d_in:
        raise ValueError(f"n_active={n_active} exceeds d_sae={expansion * d_in} "
                         f"(expansion * d_in)")
    for value, name in ((learning_rate, "learning_rate"), (l1_coefficient, "l1_coefficient")):
        check_number(value, name, 0, np.inf, low_open=True, high_open=True)
    check_number(holdout, "holdout", 0, 1, low_open=True, high_open=True)
    if isinstance(random_state, bool) or not isinstance(random_state, (int, np.integer)):
        raise TypeError(f"random_state must be an integer, got {random_state!r}")
    return SAETrainingConfig(
        architecture=arch, d_in=int(d_in), expansion=expansion,
        k=n_active if arch in _SPARSE_BY_K else None,
        steps=check_positive_int(max_steps, "max_steps"),
        batch_size=check_positive_int(batch_size, "batch_size"), lr=float(learning_rate),
        l1_coefficient=float(l1_coefficient) if arch == "standard" else None,
        holdout=float(holdout), random_state=int(random_state))


def _sae_lens_version() -> str:
    from importlib.metadata import version

    return version("sae-lens")


def _cache_key(data_sha256: str, config: SAETrainingConfig) -> str:
    job = {"data_sha256": data_sha256, "config": config.to_dict(), "sae_lens": _sae_lens_version(),
           "format": 1}
    return job_key(job)


def _device_str(device: str) -> str:
    from ..embed.device import resolve_device

    return str(resolve_device(device))


def _train(train, train_rows, hold_rows, config, device, progress, key) -> ConceptSAE:
    X_train = train.X[train_rows]
    mean, scale = normalisation(X_train)
    training_sae, losses, seconds = _fit(X_train, mean, scale, config, _device_str(device),
                                         progress)
    inference_sae = _to_inference(training_sae)
    record = TrainingRecord(loss=losses["loss"], mse=losses["mse"], explained_variance=0.0,
                            l0=0.0, dead_fraction=0.0, n_dead_eval_rows=0,
                            steps=config.steps, batch_size=config.batch_size,
                            n_train=len(train_rows), n_holdout=len(hold_rows), seconds=seconds,
                            config=config.to_dict(), data_sha256=train.sha256,
                            sae_lens_version=_sae_lens_version(), cache_key=key)
    sae = ConceptSAE(inference_sae, mean, scale, record, train.provenance)
    rng = np.random.default_rng(config.random_state)
    sample = rng.choice(len(train_rows), min(len(train_rows), _DEAD_EVAL_TRAIN_ROWS),
                        replace=False)
    quality = evaluate_sae(sae, train.X[hold_rows], X_train[np.sort(sample)],
                           progress=progress)
    for name, value in quality.items():
        setattr(record, name, value)
    return sae


def _build_training_sae(config: SAETrainingConfig, device: str):
    from sae_lens import (
        StandardTrainingSAE,
        StandardTrainingSAEConfig,
        TopKTrainingSAE,
        TopKTrainingSAEConfig,
    )
    from sae_lens.saes.matching_pursuit_sae import (
        MatchingPursuitTrainingSAE,
        MatchingPursuitTrainingSAEConfig,
    )

    from ..embed.device import seeded_torch_rng

    d_in = config.d_in
    common = {"d_in": d_in, "d_sae": d_in * config.expansion, "device": device,
              "dtype": "float32", "normalize_activations": "none"}
    with seeded_torch_rng(config.random_state):  # sae-lens initialises from the global RNG
        if config.architecture == "topk":
            return TopKTrainingSAE(TopKTrainingSAEConfig(k=config.k, **common))
        if config.architecture == "matching_pursuit":
            # unit-norm atoms; a row stops at k atoms or when a picked atom repeats
            return MatchingPursuitTrainingSAE(MatchingPursuitTrainingSAEConfig(
                max_iterations=config.k, residual_threshold=0.0, decoder_init_norm=1.0,
                **common))
        return StandardTrainingSAE(StandardTrainingSAEConfig(
            l1_coefficient=config.l1_coefficient, **common))


def _trainer_config(config: SAETrainingConfig, device: str):
    from sae_lens import LoggingConfig
    from sae_lens.config import SAETrainerConfig

    steps, batch = config.steps, config.batch_size
    return SAETrainerConfig(
        total_training_samples=steps * batch, train_batch_size_samples=batch,
        lr=config.lr, lr_end=config.lr, lr_warm_up_steps=steps // 20,
        lr_decay_steps=steps // 5, device=device,
        dead_feature_window=max(10, min(1000, steps // 10)),
        feature_sampling_window=max(steps + 1, 2000), n_checkpoints=0, checkpoint_path=None,
        save_final_checkpoint=False, logger=LoggingConfig(log_to_wandb=False))


def _batches(X: np.ndarray, mean: np.ndarray, scale: float, batch_size: int, seed: int):
    """Endless shuffled batches of normalised rows, tensors of shape (batch_size, d)."""
    import torch

    rng = np.random.default_rng([seed, 1])
    while True:
        order = rng.permutation(len(X))
        for start in range(0, len(order) - batch_size + 1, batch_size):
            rows = np.sort(order[start:start + batch_size])
            yield torch.from_numpy((X[rows] - mean) * np.float32(scale))


def _fit(X: np.ndarray, mean: np.ndarray, scale: float, config: SAETrainingConfig, device: str,
         progress: bool):
    """Run ``SAETrainer`` step by step (its public seams) with embviz's progress bar.

    Returns the training SAE, the per-step losses and the wall time of the loop.
    """
    from sae_lens import SAETrainer

    from .._progress import progress_bar
    from ..embed.device import seeded_torch_rng

    sae = _build_training_sae(config, device)
    provider = _batches(X, mean, scale, config.batch_size, config.random_state)
    trainer = SAETrainer(_trainer_config(config, device), sae, provider)
    trainer.sae.to(device)
    losses: dict[str, list[float]] = {"loss": [], "mse": []}
    start = time.perf_counter()
    with seeded_torch_rng(None):
        for step in progress_bar(range(config.steps), total=config.steps,
                                 desc="training SAE", unit="step", disable=not progress):
            trainer.maybe_reset_sparsity()
            out = trainer.step(next(provider))
            trainer.n_training_steps += 1
            _record_step(out, losses, step)
    trainer.set_final_sae_metadata()
    return trainer.sae, losses, time.perf_counter() - start


def _record_step(out, losses: dict[str, list[float]], step: int) -> None:
    loss = float(out.loss.item())
    if not np.isfinite(loss):
        raise FloatingPointError(f"SAE training diverged: the loss is {loss} at step {step}; "
                                 f"lower learning_rate or check the data for extreme values")
    losses["loss"].append(loss)
    mse = out.losses.get("mse_loss")
    losses["mse"].append(float(mse.item()) if mse is not None else loss)


def _to_inference(training_sae):
    """The inference SAE (decoder norms folded), via sae-lens' own save/load."""
    import tempfile

    from sae_lens import SAE

    with tempfile.TemporaryDirectory(prefix="embviz-sae-") as tmp:
        training_sae.save_inference_model(tmp)
        sae = SAE.load_from_disk(tmp, device=str(training_sae.cfg.device))
    return sae.eval()
