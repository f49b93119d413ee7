"""``ConceptSAE``: a trained sae-lens SAE, its input normalisation, training record and provenance.

A saved ConceptSAE is a directory in sae-lens format (``cfg.json`` + ``sae_weights.safetensors``,
readable by ``sae_lens.SAE.load_from_disk``) plus embviz's own files: ``input_mean.npy`` (the
mean subtracted before encoding) and ``embviz_sae.json`` (normalisation scale, training record,
data provenance and the sha256 of every file, checked on load). No pickle anywhere.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .._files import load_plain_array, sha256_file
from .._tables import measures_table
from .record import TrainingRecord

__all__ = ["ConceptSAE", "NotAnSAEDirectoryError"]

_FORMAT_VERSION = 1
_MANIFEST = "embviz_sae.json"
_MEAN = "input_mean.npy"
_SAE_FILES = ("cfg.json", "sae_weights.safetensors")


class NotAnSAEDirectoryError(ValueError):
    """A directory does not hold an SAE saved by :meth:`ConceptSAE.save` (or is corrupt)."""


@dataclass
class ConceptSAE:
    """A sparse autoencoder over embeddings or token activations, ready to encode.

    Inputs are normalised as ``(x - mean) * scale`` before the SAE (``scale`` makes the mean
    squared norm of the centred training rows equal ``d_in``, the convention of sae-lens'
    ``expected_average_only_in``; Bricken et al. 2023, Gao et al. 2024), identically at
    training and at encoding time.

    Parameters
    ----------
    sae : sae_lens.SAE
        The inference SAE (``TopKSAE`` or ``StandardSAE``), ``d_in -> d_sae``.
    mean : ndarray of shape (d_in,), float32
    scale : float
    record : TrainingRecord
    provenance : dict
        Where the training data came from: ``source`` (``"embeddings"`` or ``"tokens"``) and
        the provenance of the EmbeddingSet / token activations.
    """

    sae: Any
    mean: np.ndarray
    scale: float
    record: TrainingRecord
    provenance: dict[str, Any] = field(default_factory=dict)

    @property
    def d_in(self) -> int:
        """Input dimension."""
        return int(self.sae.cfg.d_in)

    @property
    def d_sae(self) -> int:
        """Number of features (dictionary size)."""
        return int(self.sae.cfg.d_sae)

    @property
    def architecture(self) -> str:
        """sae-lens architecture name (``"topk"`` or ``"standard"``)."""
        return str(self.sae.cfg.architecture())

    @property
    def source(self) -> str:
        """``"embeddings"`` (dense document vectors) or ``"tokens"`` (LM token activations)."""
        return str(self.provenance.get("source", "embeddings"))

    def table(self) -> pd.DataFrame:
        """The SAE as a long table (``metric, value, ci_low, ci_high, parameters``):
        ``d_in``, ``d_sae``, then its training record's rows
        (:meth:`TrainingRecord.table`)."""
        size = measures_table([{"metric": "d_in", "value": self.d_in},
                               {"metric": "d_sae", "value": self.d_sae}],
                              {"architecture": self.architecture, "source": self.source})
        return pd.concat([size, self.record.table()], ignore_index=True)

    def __repr__(self) -> str:
        return (f"ConceptSAE({self.architecture}, d_in={self.d_in}, d_sae={self.d_sae}, "
                f"source={self.source!r}, explained_variance="
                f"{self.record.explained_variance:.3f}, l0={self.record.l0:.1f})")

    # ------------------------------------------------------------------ storage
    def save(self, directory: str | Path) -> Path:
        """Write the SAE into ``directory`` (created; existing files are replaced).

        Returns
        -------
        Path
            ``directory``.
        """
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        self.sae.save_model(str(directory))
        np.save(directory / _MEAN, np.asarray(self.mean, np.float32))
        files = {name: sha256_file(directory / name) for name in (*_SAE_FILES, _MEAN)}
        manifest = {"format": "embviz-sae", "format_version": _FORMAT_VERSION,
                    "scale": float(self.scale), "record": self.record.to_dict(),
                    "provenance": self.provenance, "sha256": files}
        tmp = directory / f"{_MANIFEST}.tmp{os.getpid()}"
        tmp.write_text(json.dumps(manifest, indent=2, default=str))
        os.replace(tmp, directory / _MANIFEST)
        return directory

    @classmethod
    def load(cls, directory: str | Path, device: str = "cpu") -> ConceptSAE:
        """Read a ConceptSAE written by :meth:`save`, checking every file's sha256.

        Raises
        ------
        NotAnSAEDirectoryError
            When ``directory`` is missing, lacks one of the files, or a file is corrupt.
        """
        directory = Path(directory)
        manifest = _read_manifest(directory)
        for name, digest in manifest["sha256"].items():
            if sha256_file(directory / name) != digest:
                raise NotAnSAEDirectoryError(
                    f"{directory / name} does not match the checksum in {_MANIFEST}: the SAE "
                    f"directory is corrupt or was changed")
        from sae_lens import SAE

        try:
            sae = SAE.load_from_disk(str(directory), device=device)
        except Exception as err:  # sae-lens raises many types on bad files
            raise NotAnSAEDirectoryError(f"sae-lens could not load {directory}: {err}") from err
        sae.eval()
        mean_path = directory / _MEAN
        mean = load_plain_array(mean_path, str(mean_path)).astype(np.float32)
        return cls(sae, mean, float(manifest["scale"]),
                   TrainingRecord.from_dict(manifest["record"]), manifest["provenance"])


def _read_manifest(directory: Path) -> dict:
    if not directory.is_dir():
        raise NotAnSAEDirectoryError(f"{directory} is not an SAE directory: it does not exist "
                                     f"or is not a directory")
    missing = [n for n in (*_SAE_FILES, _MEAN, _MANIFEST) if not (directory / n).exists()]
    if missing:
        raise NotAnSAEDirectoryError(f"{directory} is not an SAE directory saved by embviz: "
                                     f"missing {missing}")
    try:
        manifest = json.loads((directory / _MANIFEST).read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise NotAnSAEDirectoryError(f"{directory / _MANIFEST} is not valid JSON: {err}") \
            from None
    if not isinstance(manifest, dict) or manifest.get("format") != "embviz-sae":
        raise NotAnSAEDirectoryError(f"{directory / _MANIFEST} is not an embviz SAE manifest")
    if manifest.get("format_version", 0) > _FORMAT_VERSION:
        raise NotAnSAEDirectoryError(f"{directory} was written by a newer embviz (format "
                                     f"{manifest['format_version']} > {_FORMAT_VERSION})")
    return manifest


def install_directory(build, target: Path) -> None:
    """Build a directory in a temporary sibling with ``build(tmp)``, then move it in place.

    A concurrent writer of the same cache entry loses the race harmlessly: the first complete
    directory stays.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=target.name + ".tmp", dir=target.parent))
    try:
        build(tmp)
        try:
            os.rename(tmp, target)
        except OSError:  # target appeared meanwhile
            shutil.rmtree(tmp, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
