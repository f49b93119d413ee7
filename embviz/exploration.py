"""What the explorer's views and ``embviz summary`` share about one corpus (no Panel in here).

An :class:`Exploration` holds an :class:`~embviz.EmbeddingSet` and lazily builds the one kNN
graph (``metric="cosine"``) its map, hubness, local intrinsic dimension, geometry report and
neighbour tables all reuse. It also makes the decisions about the analysis that the app's views
and the command line would otherwise each make on their own: which metadata columns can colour
the map, form groups or serve as time; how the report's neighbourhoods shrink for small
corpora; how many rows a map, a two-sample test or the layer curves use; and the session's
``random_state``. Map coordinates are cached on disk, keyed by the vectors' content, so
reopening a corpus draws its map at once.
"""

from __future__ import annotations

import threading
import warnings
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from ._blocks import unit_rows
from ._config import cache_dir
from ._files import (
    CorruptFileError,
    array_sha256,
    check_fields,
    job_key,
    load_checked_array,
    remove_orphan_temp_files,
    save_checked_array,
)
from ._validation import check_choice, check_positive_int, check_replicates
from .embedding_set import EmbeddingSet

__all__ = ["DEFAULT_N", "LAYER_ROWS", "MAP_METHODS", "MAX_GROUP_VALUES", "MAX_MAP_POINTS",
           "MAX_TEST_ROWS", "MAX_UMAP_DEFAULT", "N_RESAMPLES", "POINT_MEASURES", "TRUST_SAMPLE",
           "Exploration", "load_exploration"]

MAP_METHODS = ("umap", "pca")
#: Per-point measures a map can be coloured by (name -> description).
POINT_MEASURES = {
    "k_occurrence": "k-occurrence N_10 (hubness: how many 10-NN lists hold the point)",
    "local_id": "local intrinsic dimension (TwoNN on 128 neighbours)",
    "tte_depth": "TTE depth within the corpus (2 − mean cosine distance to the other texts)",
    "norm": "L2 norm of the embedding",
}
#: Texts sampled from a bundled corpus when no size is given (the app's first screen).
DEFAULT_N = 5000
#: Points a 3-D map draws (a uniform random sample above this, seeded by ``random_state``, and
#: the title says so); 2-D maps draw every point (:class:`embviz.viz.DataMap`).
MAX_MAP_POINTS = 20_000
#: Above this many points the default map is PCA: UMAP's layout of 1,000,000 points takes hours
#: on two cores (``bench/explorer_first_map.py``); it stays one choice away.
MAX_UMAP_DEFAULT = 200_000
#: Most distinct values a non-numeric column may have to colour the map or to form groups.
MAX_GROUP_VALUES = 200
#: Rows per group in two-sample tests; a larger group is sampled down to this many.
MAX_TEST_ROWS = 3000
#: Above this many points a map's one-line trust scores a random sample of this many (its
#: colour layer still scores every point): 1,000,000 points take ~2 min, 20,000 ~3 s.
TRUST_SAMPLE = 20_000
#: Texts re-embedded at every layer by :meth:`Exploration.layerwise`.
LAYER_ROWS = 1000
#: Half-samples of the geometry report's intervals (15 halves and their complements).
N_RESAMPLES = 30

_METRIC = "cosine"  # the shared graph's, and so every neighbour-based measure's
_HUB_K = 10  # k of the hubness measures and of the k-NN error
_MLE_K = 20
_LOCAL_K = 128  # L of the local intrinsic dimension
_UMAP_NEIGHBORS = 15  # UMAP's n_neighbors, counting the point itself
_GRAPH_K = 30  # neighbours built at first, so the map and hubness share one graph
_REGION_K = 15  # neighbours that make the regions' graph (embviz.landscape.regions)
_MAP_FORMAT = 2  # 2: UMAP on the cosine graph (1 was Euclidean between unit rows)
_NOT_COLUMNS = ("id", "text")  # metadata that never colours, groups or times anything


class Exploration:
    """An EmbeddingSet with its kNN graph, maps and per-point measures, each computed once.

    Parameters
    ----------
    data : EmbeddingSet
        At least 3 rows.
    random_state : int, default 0
        Seeds everything random in the session: the UMAP layout, the map's sample, half-sample
        intervals, sampled groups and layer samples.
    progress : bool, default True
        Progress bars of the graph, the maps and the measures.
    map_cache : path or False, optional
        Folder of cached map coordinates (default ``<cache>/maps``); ``False`` disables it.

    Notes
    -----
    Neighbours are cosine neighbours: one :func:`~embviz.neighbors.knn_graph` with
    ``metric="cosine"`` (distances 1 − cos) serves UMAP, hubness, local intrinsic dimension,
    the geometry report and the neighbour tables.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> meta = pd.DataFrame({"id": range(40), "text": [f"t{i}" for i in range(40)],
    ...                      "label": ["a", "b"] * 20})
    >>> ex = Exploration(EmbeddingSet(rng.normal(size=(40, 8)), meta), progress=False,
    ...                  map_cache=False)
    >>> ex.report_sizes(), ex.default_color
    ({'k': 10, 'mle_k': 20, 'local_k': 39}, 'label')
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
        self._landscape: dict = {}  # regions and map trust, per map
        # sessions of the explorer share a bundled corpus's Exploration: the second to ask
        # for a map's regions or trust waits for the first instead of computing them again
        self._landscape_lock = threading.Lock()

    def __len__(self) -> int:
        return len(self.data)

    @property
    def space(self) -> np.ndarray:
        """Unit rows ``(n, d)`` float32: where cosine neighbourhoods are Euclidean."""
        if self._space is None:
            self._space = unit_rows(self.data.vectors, np.float32, name="vectors")
        return self._space

    # -- decisions shared by the views and the command line ---------------------------------
    @cached_property
    def labels(self) -> np.ndarray | None:
        """The ``label`` column as strings ``(n,)``, or ``None`` when the corpus has none.

        What the k-NN error of :meth:`geometry` and :meth:`hubness_reduction` classify.
        """
        meta = self.data.meta
        return meta["label"].astype(str).to_numpy() if "label" in meta.columns else None

    def report_sizes(self, n: int | None = None) -> dict[str, int]:
        """Neighbourhood sizes of the geometry report for ``n`` points.

        The package's defaults (``k=10``, ``mle_k=20``, ``local_k=128``), each capped at
        ``n - 1`` so that a small corpus still gets a report.

        Parameters
        ----------
        n : int >= 2, optional
            Number of points; default the corpus's.

        Returns
        -------
        dict
            ``{"k": ..., "mle_k": ..., "local_k": ...}``, keyword arguments of
            :func:`~embviz.metrics.geometry_report`.
        """
        n = len(self) if n is None else check_positive_int(n, "n", minimum=2)
        local_k = min(_LOCAL_K, n - 1)
        return {"k": min(_HUB_K, local_k), "mle_k": min(_MLE_K, local_k), "local_k": local_k}

    def _columns(self, keep) -> list[str]:
        meta = self.data.meta
        return [c for c in meta.columns if c not in _NOT_COLUMNS and keep(meta[c])]

    @cached_property
    def color_columns(self) -> list[str]:
        """Metadata columns the map can be coloured by.

        Those with more than one distinct value that are numeric (a colour bar) or have at most
        :data:`MAX_GROUP_VALUES` values (a legend entry each). :data:`POINT_MEASURES` can
        colour the map too.
        """
        return self._columns(lambda c: c.nunique() > 1 and (
            pd.api.types.is_numeric_dtype(c) or c.nunique() <= MAX_GROUP_VALUES))

    @property
    def default_color(self) -> str | None:
        """``"label"`` when it can colour the map, else the first of :attr:`color_columns`."""
        columns = self.color_columns
        return "label" if "label" in columns else (columns or [None])[0]

    @cached_property
    def group_columns(self) -> list[str]:
        """Metadata columns with 2 to :data:`MAX_GROUP_VALUES` distinct values (groups A, B)."""
        return self._columns(lambda c: 2 <= c.nunique() <= MAX_GROUP_VALUES)

    @property
    def default_group_column(self) -> str | None:
        """``"group"``, else ``"label"``, else the first of :attr:`group_columns`."""
        columns = self.group_columns
        preferred = [c for c in ("group", "label") if c in columns]
        return (preferred or columns or [None])[0]

    @cached_property
    def time_columns(self) -> list[str]:
        """Numeric or datetime metadata columns with more than one value (drift over time)."""
        return self._columns(lambda c: c.nunique() > 1 and (
            pd.api.types.is_numeric_dtype(c) or pd.api.types.is_datetime64_any_dtype(c)))

    @property
    def default_time_column(self) -> str | None:
        """``"time"`` when it qualifies, else the first of :attr:`time_columns`."""
        columns = self.time_columns
        return "time" if "time" in columns else (columns or [None])[0]

    def group_values(self, column: str) -> list[str]:
        """Distinct values of a group column, as strings, most frequent first.

        Parameters
        ----------
        column : str
            One of :attr:`group_columns`.

        Returns
        -------
        list of str
        """
        self._check_group_column(column)
        return self.data.meta[column].astype(str).value_counts().index.tolist()

    def group_masks(self, column: str, value_a: str,
                    value_b: str | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Boolean row masks ``(n,)`` of groups A and B (disjoint).

        Parameters
        ----------
        column : str
            One of :attr:`group_columns`; values are compared as strings.
        value_a : str
            Group A is the rows whose ``column`` equals it.
        value_b : str, optional
            Group B likewise; ``None``: every other row.

        Returns
        -------
        in_a, in_b : ndarray of shape (n,), bool
        """
        self._check_group_column(column)
        values = self.data.meta[column].astype(str).to_numpy()
        choices = self.group_values(column)
        check_choice(value_a, "value_a", choices)
        if value_b is not None:
            check_choice(value_b, "value_b", choices)
        if value_b == value_a:
            raise ValueError("group A and group B are the same value: choose two values")
        in_a = values == value_a
        return in_a, (~in_a if value_b is None else values == value_b)

    def _check_group_column(self, column) -> None:
        if not self.group_columns:
            raise ValueError(f"the corpus has no column with 2 to {MAX_GROUP_VALUES} distinct "
                             f"values to form groups from (e.g. label, group, time)")
        check_choice(column, "column", self.group_columns)

    def sample_rows(self, max_rows: int) -> np.ndarray:
        """Every row number, or a sorted uniform sample of ``max_rows`` of them.

        Parameters
        ----------
        max_rows : int >= 1

        Returns
        -------
        ndarray of shape (min(n, max_rows),), int64
            Drawn without replacement, seeded by ``random_state``.
        """
        max_rows = check_positive_int(max_rows, "max_rows")
        return _sample(np.arange(len(self)), max_rows, np.random.default_rng(self.random_state))

    def two_sample_rows(self, a, b, max_rows: int = MAX_TEST_ROWS
                        ) -> tuple[np.ndarray, np.ndarray]:
        """Row numbers of two groups for a two-sample test, each at most ``max_rows``.

        Parameters
        ----------
        a, b : array-like of shape (n,), bool
            Row masks of the two groups (e.g. from :meth:`group_masks`).
        max_rows : int, default :data:`MAX_TEST_ROWS`
            A larger group is sampled down to this many rows (without replacement, one
            generator seeded by ``random_state`` for ``a`` then ``b``).

        Returns
        -------
        rows_a, rows_b : ndarray, int64, sorted
        """
        max_rows = check_positive_int(max_rows, "max_rows")
        masks = [np.asarray(m) for m in (a, b)]
        for name, mask in zip("ab", masks):
            if mask.dtype != bool or mask.shape != (len(self),):
                raise ValueError(f"{name} must be a boolean mask of shape ({len(self)},), got "
                                 f"{mask.dtype} {mask.shape}")
        rng = np.random.default_rng(self.random_state)
        rows_a, rows_b = (_sample(np.flatnonzero(m), max_rows, rng) for m in masks)
        return rows_a, rows_b

    # -- the shared graph, maps and per-point measures --------------------------------------
    def graph(self, k: int = _HUB_K):
        """The shared cosine kNN graph with at least ``k`` neighbours (rebuilt only to grow).

        Parameters
        ----------
        k : int, default 10
            Neighbourhood size the caller needs: the graph has at least k nearest neighbours
            per row (it may hold more; cut with :meth:`KNNGraph.at_k`). Capped at ``n - 1``.

        Returns
        -------
        KNNGraph
            Over every row, ``metric="cosine"``.
        """
        from .neighbors import knn_graph

        k = min(check_positive_int(k, "k"), len(self) - 1)
        if self._graph is None or self._graph.k < k:
            size = max(k, min(_GRAPH_K, len(self) - 1))
            self._graph = knn_graph(self.data.vectors, k=size, metric=_METRIC,
                                    progress=self.progress)
        return self._graph

    def coords(self, method: str = "umap", n_components: int = 2) -> np.ndarray:
        """Map coordinates, from memory, the disk cache, or computed.

        Parameters
        ----------
        method : {"umap", "pca"}, default "umap"
            UMAP on the shared graph, or the top principal components.
        n_components : {2, 3}, default 2
            Map dimensions: components of the UMAP layout or top principal components.

        Returns
        -------
        ndarray of shape (n, n_components), float32
        """
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
        n_neighbors = min(_UMAP_NEIGHBORS, len(self) - 1)
        return umap_map(self.data.vectors, n_components, n_neighbors=n_neighbors,
                        metric=_METRIC, graph=self.graph(n_neighbors - 1),
                        random_state=self.random_state, progress=self.progress)

    def _cached_map(self, method: str, n_components: int) -> np.ndarray:
        if self._map_cache is None:
            return self._compute_map(method, n_components)
        job = {"vectors": array_sha256(self.data.vectors), "method": method,
               "n_components": n_components, "metric": _METRIC,
               "random_state": self.random_state, "format": _MAP_FORMAT}
        path = self._map_cache / f"{job_key(job)}.npy"
        remove_orphan_temp_files(self._map_cache)
        try:
            found = load_checked_array(path, lambda shape: shape == (len(self), n_components),
                                       lambda record: check_fields(record, job))
        except CorruptFileError as err:
            warnings.warn(f"cached map {err}; recomputing it", stacklevel=3)
            found = None
        if found is not None:
            return found[0]
        coords = self._compute_map(method, n_components)
        save_checked_array(path, coords, job)
        return coords

    def measure_label(self, name: str) -> str:
        """The display name of a per-point measure with what it depends on, e.g.
        ``"k-occurrence (k=10)"``; other names pass through."""
        from ._tables import display_name

        if name not in POINT_MEASURES:
            return name
        sizes = self.report_sizes()
        detail = {"k_occurrence": f"k={sizes['k']}",
                  "local_id": f"TwoNN, k={sizes['local_k']}",
                  "tte_depth": "within the corpus"}.get(name)
        return display_name(name) + (f" ({detail})" if detail else "")

    def measure(self, name: str) -> np.ndarray:
        """A per-point measure of :data:`POINT_MEASURES`.

        Parameters
        ----------
        name : str
            A key of :data:`POINT_MEASURES`.

        Returns
        -------
        ndarray of shape (n,)
            k-occurrence and local intrinsic dimension use :meth:`report_sizes`, on the
            shared graph.
        """
        check_choice(name, "name", POINT_MEASURES)
        if name not in self._measures:
            self._measures[name] = self._compute_measure(name)
        return self._measures[name]

    def _compute_measure(self, name: str) -> np.ndarray:
        """Kernels on the checked vectors (an EmbeddingSet's) and the shared graph."""
        from .metrics.hubness import _occurrence
        from .metrics.intrinsic_dim import _local_intrinsic_dimension

        sizes = self.report_sizes()
        if name == "k_occurrence":
            return _occurrence(self.graph(sizes["k"]).at_k(sizes["k"]))
        if name == "local_id":
            return _local_intrinsic_dimension(self.graph(sizes["local_k"]), self.space,
                                              sizes["local_k"], unit=True,
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

    def neighbors_table(self, rows, k: int = 5, max_rows: int | None = None) -> pd.DataFrame:
        """Selected rows with their ``k`` nearest neighbours (long format).

        Parameters
        ----------
        rows : array-like of int
            Row numbers, e.g. a selection on the map.
        k : int, default 5
            Neighbours per row (at most ``n - 1``).
        max_rows : int, optional
            Only the first ``max_rows`` of ``rows`` get neighbour lists; ``None``: all.

        Returns
        -------
        DataFrame with ``row``, ``id`` (when the corpus has one), ``text``, ``rank`` (0 = the
        row itself), ``neighbor``, ``neighbor_id``, ``neighbor_text``, ``cosine``
        (similarity); plus ``label`` / ``neighbor_label`` when labelled.
        """
        rows = np.asarray(rows, dtype=np.int64).ravel()
        if rows.size and (rows.min() < 0 or rows.max() >= len(self)):
            raise IndexError(f"rows must lie in [0, {len(self)}), got {rows.min()}..{rows.max()}")
        if max_rows is not None:
            rows = rows[:check_positive_int(max_rows, "max_rows")]
        k = min(check_positive_int(k, "k"), len(self) - 1)
        graph = self.graph(k)
        neighbors = np.hstack([rows[:, None], graph.indices[rows, :k]]).ravel()
        distances = np.hstack([np.zeros((len(rows), 1)), graph.distances[rows, :k]]).ravel()
        repeated = np.repeat(rows, k + 1)
        columns = {"row": repeated}
        for name in ("id", "text", "label"):
            if name in self.data.meta.columns:
                columns[name] = self.data.meta[name].to_numpy()[repeated]
        columns.update(rank=np.tile(np.arange(k + 1), len(rows)), neighbor=neighbors)
        for name in ("id", "text", "label"):
            if name in self.data.meta.columns:
                columns[f"neighbor_{name}"] = self.data.meta[name].to_numpy()[neighbors]
        columns["cosine"] = 1 - distances  # the graph holds cosine distances 1 - cos
        return pd.DataFrame(columns)

    @property
    def default_map_method(self) -> str:
        """``"umap"``, or ``"pca"`` above :data:`MAX_UMAP_DEFAULT` points."""
        return "umap" if len(self) <= MAX_UMAP_DEFAULT else "pca"

    def query(self, text: str, k: int = 10, encoder=None) -> pd.DataFrame:
        """The ``k`` rows nearest to a new text, embedded the way the corpus was.

        Parameters
        ----------
        text : str
        k : int, default 10
            Neighbourhood size: how many nearest rows (by cosine) to return; capped at n.
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

    def _model_settings(self, what: str) -> dict:
        """model, pooling and prompt the corpus was embedded with (its provenance)."""
        prov = self.data.provenance
        if "model" not in prov:
            raise ValueError(f"these embeddings carry no model provenance, so {what}")
        return {"model": prov["model"].get("name") or prov["model"].get("path"),
                "pooling": prov.get("pooling"), "prompt": prov.get("prompt")}

    def _encoder(self):
        from .embed import Encoder

        settings = self._model_settings("a query cannot be embedded the same way; pass "
                                        "encoder=")
        return Encoder(settings.pop("model"), layer=self.data.provenance.get("layer", -1),
                       progress=False, **settings)

    # -- whole-cloud analyses ---------------------------------------------------------------
    def geometry(self, ci: bool = False, n_resamples: int = N_RESAMPLES,
                 progress: bool = True) -> pd.DataFrame:
        """:func:`~embviz.metrics.geometry_report` on the shared graph.

        Parameters
        ----------
        ci : bool, default False
            95% half-sampling intervals of every measure (see
            :func:`~embviz.metrics.geometry_report`); the shared graph grows to the width the
            half-samples' graphs need (:func:`~embviz.neighbors.subgraph_width`).
        n_resamples : int, default :data:`N_RESAMPLES`
            Half-samples, seeded by ``random_state``.
        progress : bool, default True
            Progress bars of the report and its half-samples; shown only when the session's
            ``progress`` is on too (``False`` here quiets this call alone).

        Returns
        -------
        pandas.DataFrame
            ``metric, value, ci_low, ci_high, parameters``; sizes from :meth:`report_sizes`,
            the k-NN error when the corpus has :attr:`labels`.
        """
        from .metrics.report import _report_on_graph
        from .neighbors import subgraph_width

        sizes = self.report_sizes()
        width = subgraph_width(sizes["local_k"], len(self)) if ci else sizes["local_k"]
        if ci:
            n_resamples = check_replicates(n_resamples, "n_resamples", minimum=10)
        codes = None if self.labels is None else pd.factorize(self.labels)[0]
        # the kernel: the vectors were checked when the EmbeddingSet was made, the graph here
        return _report_on_graph(self.data.vectors, self.graph(width), **sizes, codes=codes,
                                ci=ci, n_resamples=n_resamples,
                                random_state=self.random_state,
                                progress=progress and self.progress)

    def id_scales(self) -> tuple[pd.DataFrame, pd.Series]:
        """:func:`~embviz.metrics.id_scale_curve` (Gride on the shared graph, n2 up to 64 or
        what a small corpus holds, and TwoNN by decimation) and the calibrated TwoNN.

        Returns
        -------
        curve : pandas.DataFrame
            ``estimator, neighbours, scale, intrinsic_dimension, ci_low, ci_high``.
        calibrated : pandas.Series
            The ``twonn_calibrated`` row of :meth:`geometry` (``value``, ``ci_low``,
            ``ci_high``, ``parameters``), from the same graph.
        """
        from .metrics import id_scale_curve
        from .metrics.id_calibration import calibrated_on_graph

        range_max = min(64, 2 ** int(np.log2(max(len(self) - 1, 2))))
        graph = self.graph(range_max)
        curve = id_scale_curve(self.data.vectors, graph=graph, metric=_METRIC,
                               range_max=range_max, random_state=self.random_state,
                               progress=self.progress)
        calibrated = calibrated_on_graph(self.space, graph, _METRIC, self.progress)
        return curve, calibrated.table().set_index("metric").loc["twonn_calibrated"]

    def hubness_reduction(self) -> pd.DataFrame:
        """:func:`~embviz.metrics.hubness_reduction_table` of the corpus against its labels.

        Returns
        -------
        pandas.DataFrame
            One row per reduction method, at ``k`` of :meth:`report_sizes`.

        Raises
        ------
        ValueError
            When the corpus has no ``label`` column.
        """
        from .metrics import hubness_reduction_table

        if self.labels is None:
            raise ValueError("hubness reduction is judged by k-NN classification: the corpus "
                             "needs a label column")
        return hubness_reduction_table(self.data.vectors, self.labels,
                                       k=self.report_sizes()["k"], metric=_METRIC,
                                       random_state=self.random_state, progress=self.progress)

    def layerwise(self, max_rows: int = LAYER_ROWS) -> pd.DataFrame:
        """:func:`~embviz.metrics.layerwise_report` of a sample, re-embedded at every layer.

        Parameters
        ----------
        max_rows : int, default :data:`LAYER_ROWS`
            Texts re-embedded (:meth:`sample_rows`), with the corpus's model, pooling and
            prompt.

        Returns
        -------
        pandas.DataFrame
            ``layer`` + the report's columns; sizes from :meth:`report_sizes` of the sample.

        Raises
        ------
        ValueError
            When the embeddings carry no model provenance (precomputed vectors).
        """
        from .embed import embed_corpus_layers
        from .metrics import layerwise_report

        settings = self._model_settings("its layers cannot be re-embedded")
        rows = self.sample_rows(max_rows)
        layers = embed_corpus_layers(self.data.meta.iloc[rows].reset_index(drop=True),
                                     progress=self.progress, **settings)
        return layerwise_report(layers, **self.report_sizes(len(rows)), metric=_METRIC,
                                random_state=self.random_state, progress=self.progress)

    # -- the landscape: regions, map trust, duplicates, outliers ----------------------------
    def regions(self, method: str = "umap", concepts=None, concept_labels=None):
        """:func:`~embviz.landscape.regions` on the shared graph, placed on the ``method`` map
        (computed once per map and set of concepts).

        Parameters
        ----------
        method : {"umap", "pca"}, default "umap"
        concepts : sparse matrix of shape (n, d_sae), optional
            SAE codes (``embviz.sae.document_codes``): each region lists the concepts it
            holds more often than the rest of the corpus.
        concept_labels : mapping feature -> str, optional

        Returns
        -------
        Regions
            Three nested levels, named from the texts.
        """
        from .landscape import regions

        key = ("regions", method, None if concepts is None else id(concepts))
        with self._landscape_lock:
            if key not in self._landscape:
                k = min(_REGION_K, len(self) - 1)
                self._landscape[key] = regions(
                    self.data, coords=self.coords(method, 2), k=k, graph=self.graph(k),
                    concepts=concepts, concept_labels=concept_labels, metric=_METRIC,
                    random_state=self.random_state, progress=self.progress)
            return self._landscape[key]

    def map_trust(self, method: str = "umap", every_point: bool = False):
        """:func:`~embviz.landscape.map_trust` of the 2-D ``method`` map on the shared graph.

        Parameters
        ----------
        method : {"umap", "pca"}, default "umap"
        every_point : bool, default False
            Score every point (a colour layer). Otherwise, above :data:`TRUST_SAMPLE` points,
            a random sample of that many gives the global values, with intervals.

        Returns
        -------
        MapTrust
            At ``k`` of :meth:`report_sizes` (below n / 2).
        """
        full = ("trust", method, True)
        with self._landscape_lock:
            if full in self._landscape or every_point or len(self) <= TRUST_SAMPLE:
                key, rows = full, None
            else:
                key, rows = ("trust", method, False), TRUST_SAMPLE
            if key not in self._landscape:
                self._landscape[key] = self._map_trust(method, rows)
            return self._landscape[key]

    def _map_trust(self, method: str, rows):
        from .landscape import map_trust

        k = max(1, min(self.report_sizes()["k"], (len(self) - 1) // 2))
        return map_trust(self.data, self.coords(method, 2), k=k, graph=self.graph(k),
                         metric=_METRIC, rows=rows, random_state=self.random_state,
                         progress=self.progress)

    def region_card(self, rows, name: str = ""):
        """:func:`~embviz.landscape.region_card` of ``rows`` (a region's members, or any
        selection) on the shared graph, with intervals and the test against the rest."""
        from .landscape import region_card

        k = min(self.report_sizes()["k"], len(self) - 1)
        return region_card(self.data, rows, graph=self.graph(k), name=name, k=k,
                           columns=self.group_columns[:3],
                           metric=_METRIC, random_state=self.random_state,
                           progress=self.progress)

    def duplicates(self, threshold: float | None = None):
        """:func:`~embviz.landscape.duplicates` on the shared graph (default threshold:
        :data:`~embviz.landscape.DUPLICATE_THRESHOLD`, 1 − cos)."""
        from .landscape import DUPLICATE_THRESHOLD, duplicates

        k = min(self.report_sizes()["k"], len(self) - 1)
        return duplicates(self.data, DUPLICATE_THRESHOLD if threshold is None else threshold,
                          k=k, graph=self.graph(k), metric=_METRIC, progress=self.progress)

    def leakage(self, column: str, value_a: str, value_b: str | None = None,
                threshold: float | None = None) -> pd.DataFrame:
        """:func:`~embviz.landscape.leakage`: the rows of group B (``column == value_b``; all
        others when None) with a near duplicate in group A, as the corpus's row numbers
        (``row_a``, ``row_b``) with both texts."""
        from .landscape import DUPLICATE_THRESHOLD, leakage

        in_a, in_b = self.group_masks(column, value_a, value_b)
        rows_a, rows_b = np.flatnonzero(in_a), np.flatnonzero(in_b)
        table = leakage(self.data.subset(rows_a), self.data.subset(rows_b),
                        threshold=DUPLICATE_THRESHOLD if threshold is None else threshold,
                        k=min(self.report_sizes()["k"], len(self) - 1), metric=_METRIC,
                        progress=self.progress)
        table["row_a"], table["row_b"] = rows_a[table["row_a"]], rows_b[table["row_b"]]
        return table

    def outliers(self, share: float = 0.01) -> pd.DataFrame:
        """:func:`~embviz.landscape.outliers` (kNN distance, LOF, TTE depth) on the shared
        graph; each score flags ``share`` of the points."""
        from .landscape import outliers

        k = min(self.report_sizes()["k"], len(self) - 1)
        return outliers(self.data, k=k, share=share, graph=self.graph(k), metric=_METRIC,
                        progress=self.progress)


def _sample(rows: np.ndarray, max_rows: int, rng: np.random.Generator) -> np.ndarray:
    if len(rows) <= max_rows:
        return rows
    return np.sort(rng.choice(rows, max_rows, replace=False))


def load_exploration(dataset: str = "wordnet", n: int | None = DEFAULT_N, model: str = "minilm",
                     pooling: str | None = None, layer: int = -1, prompt: str | None = None,
                     random_state: int = 0, device: str = "auto",
                     progress: bool = True) -> Exploration:
    """A bundled corpus, sampled and embedded (through the on-disk cache), ready to explore.

    Parameters
    ----------
    dataset : str, default "wordnet"
        A bundled corpus (:func:`embviz.list_datasets`).
    n : int or None, default :data:`DEFAULT_N`
        Rows sampled (label-stratified); ``None`` keeps them all.
    model, pooling, layer, prompt, device
        As in :func:`embviz.embed_corpus`.
    random_state : int, default 0
        Seeds the sample and the :class:`Exploration`.
    progress : bool, default True

    Returns
    -------
    Exploration
    """
    from .datasets import load_dataset
    from .embed import embed_corpus

    corpus = load_dataset(dataset, n=n, random_state=random_state)
    data = embed_corpus(corpus, model=model, pooling=pooling, layer=layer, prompt=prompt,
                        device=device, progress=progress)
    return Exploration(data, random_state=random_state, progress=progress)
