"""What the explorer's views share about one corpus, computed once (no Panel in here).

An :class:`Exploration` holds an :class:`~embviz.EmbeddingSet` and lazily builds the one kNN
graph its map, hubness, local intrinsic dimension and neighbour tables all reuse. Map
coordinates are also cached on disk, keyed by the vectors' content, so reopening a corpus
draws its map at once.
"""

from __future__ import annotations

import hashlib
import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from ._config import cache_dir
from ._files import CorruptFileError, load_checked_array, save_checked_array
from ._validation import check_choice, check_positive_int, unit_rows
from .embedding_set import EmbeddingSet

__all__ = ["MAP_METHODS", "POINT_MEASURES", "Exploration", "load_exploration"]

MAP_METHODS = ("umap", "pca")
#: Per-point measures a map can be coloured by (name -> description).
POINT_MEASURES = {
    "k_occurrence": "k-occurrence N_10 (hubness: how many 10-NN lists hold the point)",
    "local_id": "local intrinsic dimension (TwoNN on 128 neighbours)",
    "tte_depth": "TTE depth within the corpus (2 − mean cosine distance to the other texts)",
    "norm": "L2 norm of the embedding",
}
_HUB_K = 10
_LOCAL_L = 128
_MAP_FORMAT = 1


class Exploration:
    """An EmbeddingSet with its kNN graph, maps and per-point measures, each computed once.

    Parameters
    ----------
    data : EmbeddingSet
    random_state : int, default 0
        Seed of the UMAP layout.
    progress : bool, default True
    map_cache : path or False, optional
        Folder of cached map coordinates (default ``<cache>/maps``); ``False`` disables it.

    Notes
    -----
    Neighbours are cosine neighbours, searched as Euclidean distances between unit rows (same
    order, a true metric), as :func:`embviz.metrics.geometry_report` does.
    """

    def __init__(self, data: EmbeddingSet, random_state: int = 0, progress: bool = True,
                 map_cache: str | Path | bool | None = None):
        if not isinstance(data, EmbeddingSet):
            raise TypeError(f"data must be an EmbeddingSet, got {type(data).__name__}")
        if len(data) < 3:
            raise ValueError(f"data needs at least 3 rows to explore, got {len(data)}")
        self.data = data
        self.random_state = random_state
        self.progress = progress
        self._map_cache = (None if map_cache is False
                           else Path(map_cache) if map_cache else cache_dir() / "maps")
        self._graph = None
        self._space = None
        self._maps: dict = {}
        self._measures: dict = {}

    def __len__(self) -> int:
        return len(self.data)

    @property
    def space(self) -> np.ndarray:
        """Unit rows ``(n, d)`` float32: where cosine neighbourhoods are Euclidean."""
        if self._space is None:
            self._space = unit_rows(self.data.vectors, np.float32, name="vectors")
        return self._space

    def graph(self, k: int = _HUB_K):
        """The shared kNN graph with at least ``k`` neighbours (rebuilt only to grow)."""
        from .neighbors import knn_graph

        k = min(check_positive_int(k, "k"), len(self) - 1)
        if self._graph is None or self._graph.k < k:
            self._graph = knn_graph(self.space, k=max(k, 30 if len(self) > 31 else k),
                                    metric="euclidean", progress=self.progress)
        return self._graph

    def coords(self, method: str = "umap", n_components: int = 2) -> np.ndarray:
        """Map coordinates ``(n, n_components)`` float32, from memory, disk or computed."""
        check_choice(method, "method", MAP_METHODS)
        if n_components not in (2, 3):
            raise ValueError(f"n_components must be 2 or 3, got {n_components!r}")
        key = (method, n_components)
        if key not in self._maps:
            self._maps[key] = self._cached_map(method, n_components)
        return self._maps[key]

    def _compute_map(self, method: str, n_components: int) -> np.ndarray:
        from .maps import pca_map, umap_map

        if method == "pca":
            return pca_map(self.data.vectors, n_components)
        n_neighbors = min(15, len(self) - 1)
        return umap_map(self.space, n_components, n_neighbors=n_neighbors, metric="euclidean",
                        graph=self.graph(n_neighbors - 1), random_state=self.random_state,
                        progress=self.progress)

    def _cached_map(self, method: str, n_components: int) -> np.ndarray:
        if self._map_cache is None:
            return self._compute_map(method, n_components)
        job = {"vectors": _array_sha256(self.data.vectors), "method": method,
               "n_components": n_components, "random_state": self.random_state,
               "format": _MAP_FORMAT}
        key = hashlib.sha256(json.dumps(job, sort_keys=True).encode()).hexdigest()[:32]
        path = self._map_cache / f"{key}.npy"
        try:
            found = load_checked_array(path, lambda shape: shape == (len(self), n_components))
        except CorruptFileError as err:
            warnings.warn(f"cached map {err}; recomputing it", stacklevel=3)
            found = None
        if found is not None:
            return found[0]
        coords = self._compute_map(method, n_components)
        save_checked_array(path, coords, job)
        return coords

    def measure(self, name: str) -> np.ndarray:
        """A per-point measure of :data:`POINT_MEASURES`, shape ``(n,)``."""
        check_choice(name, "name", POINT_MEASURES)
        if name not in self._measures:
            self._measures[name] = self._compute_measure(name)
        return self._measures[name]

    def _compute_measure(self, name: str) -> np.ndarray:
        from .metrics import k_occurrence, local_intrinsic_dimension

        if name == "k_occurrence":
            return k_occurrence(self.graph(_HUB_K), k=min(_HUB_K, len(self) - 1))
        if name == "local_id":
            size = min(_LOCAL_L, len(self) - 1)
            return local_intrinsic_dimension(self.graph(size), n_neighbors=size, X=self.space,
                                             progress=self.progress)
        if name == "tte_depth":
            from .drift import tte_depth

            return tte_depth(self.space)
        return np.linalg.norm(self.data.vectors, axis=1)

    def meta_with(self, color: str | None) -> pd.DataFrame:
        """The metadata, plus the measure ``color`` as a column when it names one."""
        meta = self.data.meta
        if color in POINT_MEASURES and color not in meta.columns:
            meta = meta.assign(**{color: self.measure(color)})
        return meta

    def neighbors_table(self, rows, k: int = 5) -> pd.DataFrame:
        """Each selected row with its ``k`` nearest neighbours (long format).

        Returns
        -------
        DataFrame with ``row``, ``text``, ``rank`` (0 = the row itself), ``neighbor``,
        ``neighbor_text``, ``cosine``; plus ``label`` / ``neighbor_label`` when labelled.
        """
        rows = np.asarray(rows, dtype=np.int64).ravel()
        if rows.size and (rows.min() < 0 or rows.max() >= len(self)):
            raise IndexError(f"rows must lie in [0, {len(self)}), got {rows.min()}..{rows.max()}")
        graph = self.graph(k)
        neighbors = np.hstack([rows[:, None], graph.indices[rows, :k]])
        distances = np.hstack([np.zeros((len(rows), 1)), graph.distances[rows, :k]])
        meta = self.data.meta
        table = pd.DataFrame({
            "row": np.repeat(rows, k + 1), "text": meta["text"].to_numpy()[np.repeat(rows, k + 1)],
            "rank": np.tile(np.arange(k + 1), len(rows)), "neighbor": neighbors.ravel(),
            "neighbor_text": meta["text"].to_numpy()[neighbors.ravel()],
            "cosine": 1 - distances.ravel() ** 2 / 2})  # chord distance -> cosine
        if "label" in meta.columns:
            table.insert(2, "label", meta["label"].to_numpy()[table["row"]])
            table["neighbor_label"] = meta["label"].to_numpy()[table["neighbor"]]
        return table

    def query(self, text: str, k: int = 10, encoder=None) -> pd.DataFrame:
        """The ``k`` rows nearest to a new text, embedded the way the corpus was.

        Parameters
        ----------
        text : str
        k : int, default 10
        encoder : Encoder, optional
            Defaults to one built from the corpus's provenance (model, pooling, layer, prompt).

        Returns
        -------
        DataFrame with ``row``, ``cosine``, ``text`` (and ``label`` when present), nearest first.
        """
        from ._validation import check_texts

        check_texts([text], name="text")
        k = min(check_positive_int(k, "k"), len(self))
        vector = (encoder or self._encoder()).encode([text])[0].astype(np.float64)
        cosine = self.space @ (vector / np.linalg.norm(vector))
        rows = np.argsort(-cosine, kind="stable")[:k]
        columns = [c for c in ("text", "label") if c in self.data.meta.columns]
        return pd.concat([pd.DataFrame({"row": rows, "cosine": cosine[rows]}),
                          self.data.meta.iloc[rows][columns].reset_index(drop=True)], axis=1)

    def _encoder(self):
        from .embed import Encoder

        prov = self.data.provenance
        if "model" not in prov:
            raise ValueError("these embeddings carry no model provenance, so a query cannot be "
                             "embedded the same way; pass encoder=")
        model = prov["model"].get("name") or prov["model"].get("path")
        return Encoder(model, pooling=prov.get("pooling"), layer=prov.get("layer", -1),
                       prompt=prov.get("prompt"), progress=False)

    def geometry(self, ci: bool = True, n_resamples: int = 100) -> pd.DataFrame:
        """:func:`~embviz.metrics.geometry_report` on the shared graph (labels when present)."""
        from .metrics import geometry_report

        size = min(_LOCAL_L, len(self) - 2)
        labels = self.data.meta["label"] if "label" in self.data.meta.columns else None
        return geometry_report(self.data.vectors, k=min(_HUB_K, size), mle_k=min(20, size),
                               local_neighbors=size, labels=labels, ci=ci,
                               n_resamples=n_resamples, random_state=self.random_state,
                               graph=self.graph(size), progress=self.progress)


def load_exploration(dataset: str = "wordnet", n: int | None = 5000, model: str = "minilm",
                     pooling: str | None = None, layer: int = -1, prompt: str | None = None,
                     random_state: int = 0, device: str = "auto",
                     progress: bool = True) -> Exploration:
    """A bundled corpus, sampled and embedded (through the on-disk cache), ready to explore."""
    from .datasets import load_dataset
    from .embed import embed_corpus

    corpus = load_dataset(dataset, n=n, random_state=random_state)
    data = embed_corpus(corpus, model=model, pooling=pooling, layer=layer, prompt=prompt,
                        device=device, progress=progress)
    return Exploration(data, random_state=random_state, progress=progress)


def _array_sha256(array: np.ndarray) -> str:
    digest = hashlib.sha256(str((array.shape, array.dtype.str)).encode())
    digest.update(np.ascontiguousarray(array).data)
    return digest.hexdigest()
