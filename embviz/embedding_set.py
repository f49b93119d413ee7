"""``EmbeddingSet``: vectors, the rows they belong to, and where they came from."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ._files import load_plain_array, sha256_file
from ._validation import check_embeddings

__all__ = ["EmbeddingSet"]


@dataclass
class EmbeddingSet:
    """Embedding vectors aligned row by row with their metadata.

    Parameters
    ----------
    vectors : array of shape (n, d)
        float32 embeddings; row ``i`` belongs to ``meta.iloc[i]``.
    meta : pandas.DataFrame of n rows
        At least ``id`` and ``text``; usually also ``label``, ``group``, ``time``.
    provenance : dict
        How the vectors were made: model (name, path, weights sha256, config), pooling, layer,
        prompt, max length, normalisation, number of truncated texts, embviz version.
    """

    vectors: np.ndarray
    meta: pd.DataFrame
    provenance: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.vectors = check_embeddings(self.vectors, name="vectors").astype(np.float32,
                                                                               copy=False)
        if not isinstance(self.meta, pd.DataFrame):
            raise TypeError(f"meta must be a pandas DataFrame, got {type(self.meta).__name__}")
        if len(self.meta) != len(self.vectors):
            raise ValueError(f"meta has {len(self.meta)} rows but vectors has "
                             f"{len(self.vectors)}: they must be aligned row by row")
        missing = {"id", "text"} - set(self.meta.columns)
        if missing:
            raise ValueError(f"meta must have the columns 'id' and 'text'; missing "
                             f"{sorted(missing)} (columns: {list(self.meta.columns)})")
        self.meta = self.meta.reset_index(drop=True)

    def __len__(self) -> int:
        return len(self.vectors)

    def __repr__(self) -> str:
        model = self.provenance.get("model", {}).get("name", "?")
        return (f"EmbeddingSet(n={len(self)}, d={self.dim}, model={model!r}, "
                f"columns={list(self.meta.columns)})")

    @property
    def dim(self) -> int:
        """Embedding dimension ``d``."""
        return self.vectors.shape[1]

    @property
    def texts(self) -> list[str]:
        """The texts, in row order."""
        return self.meta["text"].tolist()

    def subset(self, rows: Any) -> EmbeddingSet:
        """Rows selected by integer positions or a boolean mask, vectors and meta together."""
        rows = np.asarray(rows)
        if rows.dtype == bool:
            if rows.shape != (len(self),):
                raise ValueError(f"a boolean mask must have shape ({len(self)},), "
                                 f"got {rows.shape}")
            rows = np.flatnonzero(rows)
        elif rows.dtype.kind not in "iu":
            raise TypeError(f"rows must be integer positions or a boolean mask, "
                            f"got dtype {rows.dtype}")
        if rows.size and (rows.max() >= len(self) or rows.min() < -len(self)):
            raise IndexError(f"rows out of range for an EmbeddingSet of {len(self)} rows")
        return EmbeddingSet(self.vectors[rows], self.meta.iloc[rows].reset_index(drop=True),
                            dict(self.provenance))

    def save(self, directory: str | Path) -> Path:
        """Write ``vectors.npy``, ``meta.parquet`` and ``provenance.json`` into ``directory``."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        np.save(directory / "vectors.npy", self.vectors)
        self.meta.to_parquet(directory / "meta.parquet", index=False)
        record = {"provenance": self.provenance, "n": len(self), "dim": self.dim,
                  "vectors_sha256": sha256_file(directory / "vectors.npy")}
        (directory / "provenance.json").write_text(json.dumps(record, indent=2, default=str))
        return directory

    @classmethod
    def load(cls, directory: str | Path) -> EmbeddingSet:
        """Read an EmbeddingSet written by :meth:`save`, checking the vectors' checksum."""
        directory = Path(directory)
        files = [directory / n for n in ("vectors.npy", "meta.parquet", "provenance.json")]
        missing = [f.name for f in files if not f.exists()]
        if missing:
            raise FileNotFoundError(f"{directory} is not a saved EmbeddingSet: missing "
                                    f"{missing}")
        record = json.loads(files[2].read_text())
        if sha256_file(files[0]) != record.get("vectors_sha256"):
            raise ValueError(f"{files[0]} does not match the checksum recorded in "
                             f"{files[2].name}: the file is corrupt or was changed")
        vectors = load_plain_array(files[0], str(files[0]))
        return cls(vectors, pd.read_parquet(files[1]), record["provenance"])
