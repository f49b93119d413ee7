"""Regions of a corpus: nested communities of the shared kNN graph, named from their texts.

Why Leiden on the graph rather than HDBSCAN on the map: the graph is the one the package's
measures already share (hubness, local ID, map trust, duplicates), it holds the
high-dimensional neighbourhoods rather than a 2-D picture of them, and it exists at every n,
while the map above 200,000 points is PCA (UMAP takes hours there), whose overlapping clouds a
density clustering cannot cut. Modularity's resolution gives the levels of granularity, and
the quotient-graph construction (:mod:`embviz.landscape.leiden`) makes them nest. Every point
gets a region (no "noise" class). No edge joins two connected components of the graph, so
they are never merged: a coarse level has at least as many regions as the graph has
components (separate clusters stay separate at every level). Regions need not be contiguous
on the map: where one is split there, the map is what misleads
(:func:`~embviz.landscape.map_trust` says where).

Names are c-TF-IDF words (Grootendorst 2022; :func:`embviz.sae.distinctive_words`): a
region's texts are one class, scored against the other regions of its level. With an SAE's
codes, each region also lists the concepts present in its texts more often than in the rest
of the corpus (two-proportion test, Benjamini–Hochberg over the features).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .._tables import measures_table
from .._validation import check_embeddings, check_positive_int, texts_of
from ._inputs import vectors_and_graph
from .leiden import check_resolutions, leiden_levels

__all__ = ["RESOLUTIONS", "Regions", "regions"]

#: Default resolutions: three nested levels (coarse, medium, fine).
RESOLUTIONS = (0.5, 1.0, 2.0)
_NAME_WORDS = 3  # words of a region's name
_CONCEPT_ALPHA = 0.05


@dataclass(frozen=True)
class Regions:
    """Regions at several levels of granularity, and which region each point is in.

    Attributes
    ----------
    regions : pandas.DataFrame, one row per region
        ``region`` (id, unique across levels), ``level`` (0 = coarsest), ``resolution``,
        ``parent`` (the region of the next coarser level holding it; -1 on level 0),
        ``size``, ``share`` (of the corpus), ``name``, ``top_words`` (list),
        ``top_concepts`` (list; empty without SAE codes), ``x``, ``y`` (the region's place
        on the map; NaN without coordinates).
    points : pandas.DataFrame, n rows
        ``level_0``, ``level_1``, ...: each point's region id at each level.
    parameters : dict
        How the regions were made (k, metric, resolutions, random_state, method).

    :meth:`table` counts them: the result's long table.
    """

    regions: pd.DataFrame
    points: pd.DataFrame
    parameters: dict = field(default_factory=dict)

    @property
    def n_levels(self) -> int:
        return self.points.shape[1]

    def table(self) -> pd.DataFrame:
        """``metric, value, ci_low, ci_high, parameters``: ``n`` (points), then per level
        (coarsest first) ``n_regions`` and ``largest_share`` (the largest region's share of
        the corpus), their ``parameters`` naming the level and its resolution. The regions
        themselves are :attr:`regions`."""
        shared = {"k": self.parameters.get("k"), "metric": self.parameters.get("metric")}
        rows = [{"metric": "n", "value": len(self.points), "parameters": shared}]
        for level, own in self.regions.groupby("level", sort=True):
            where = {"level": level, "resolution": own["resolution"].iloc[0], **shared}
            rows += [{"metric": "n_regions", "value": len(own), "parameters": where},
                     {"metric": "largest_share", "value": own["share"].max(),
                      "parameters": where}]
        return measures_table(rows)

    def _check_level(self, level: int) -> int:
        level = int(level)
        if not -self.n_levels <= level < self.n_levels:
            raise ValueError(f"level must be in [0, {self.n_levels}) (or negative from the "
                             f"finest), got {level}")
        return level % self.n_levels

    def level(self, level: int = 0) -> pd.DataFrame:
        """The regions of one level (0 = coarsest, -1 = finest), largest first."""
        level = self._check_level(level)
        return self.regions[self.regions["level"] == level].reset_index(drop=True)

    def point_names(self, level: int = 0) -> pd.Series:
        """Each point's region name at ``level``: a per-point column ``(n,)`` to colour a map
        by."""
        level = self._check_level(level)
        names = self.regions.set_index("region")["name"]
        ids = self.points[f"level_{level}"]
        return pd.Series(names.reindex(ids).to_numpy(), name="region")

    def members(self, region: int) -> np.ndarray:
        """Row numbers of the points of ``region`` (sorted)."""
        found = self.regions.loc[self.regions["region"] == region, "level"]
        if found.empty:
            raise ValueError(f"region must be one of the ids in Regions.regions['region'] "
                             f"(0..{len(self.regions) - 1}), got {region!r}")
        return np.flatnonzero(self.points[f"level_{int(found.iloc[0])}"].to_numpy() == region)


def regions(data, coords=None, k: int = 15, resolutions: Sequence[float] = RESOLUTIONS,
            graph=None, texts=None, concepts=None, concept_labels=None, n_words: int = 5,
            n_concepts: int = 3, metric: str = "cosine", random_state: int | None = 0,
            progress: bool = True) -> Regions:
    """Nested regions of a corpus from its kNN graph, with names, concepts and map positions.

    Parameters
    ----------
    data : EmbeddingSet or array of shape (n, d)
        An EmbeddingSet's ``text`` column names the regions (an array needs ``texts``).
    coords : array of shape (n, 2), optional
        The map; each region's ``x, y`` is the member nearest to the median of its members'
        positions (a point of the region, even when the region is split on the map).
    k : int, default 15
        Neighbours per point that make the graph's edges.
    resolutions : sequence of float, default (0.5, 1.0, 2.0)
        Modularity resolutions, one level each; a larger γ makes smaller regions.
    graph : KNNGraph, optional
        The shared graph (e.g. ``Exploration.graph(k)``): over every row of ``data``, with
        at least ``k`` neighbours and ``metric``. Built here when omitted.
    texts : sequence of str, optional
        Texts of an array ``data``.
    concepts : sparse matrix or array of shape (n, d_sae), optional
        SAE codes of the points (``embviz.sae.document_codes``); a concept is present where
        its code is non-zero.
    concept_labels : sequence of str or mapping feature -> str, optional
        Names of the concepts (e.g. ``feature_table(...)["label"]`` by ``feature``).
    n_words : int, default 5
        Top words per region; the name joins the first three.
    n_concepts : int, default 3
        Top concepts per region.
    metric : {"cosine", "euclidean"}, default "cosine"
    random_state : int or None, default 0
        Seeds Leiden.
    progress : bool, default True
        Progress of the graph search when it is built here.

    Returns
    -------
    Regions
        ``.regions`` (one row per region), ``.points`` (the per-point region columns),
        ``.table()`` (how many regions per level).

    References
    ----------
    Traag, Waltman & van Eck (2019), "From Louvain to Leiden", Scientific Reports 9, 5233.
    Grootendorst (2022), "BERTopic: Neural topic modeling with a class-based TF-IDF
    procedure", arXiv:2203.05794.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = np.repeat(rng.normal(size=(3, 16)), 40, axis=0) + rng.normal(size=(120, 16)) / 9
    >>> found = regions(X, texts=["x"] * 120, resolutions=[1.0], progress=False)
    >>> found.regions["size"].tolist()
    [40, 40, 40]
    """
    k = check_positive_int(k, "k")
    gammas = check_resolutions(resolutions)
    X, graph = vectors_and_graph(data, graph, k, metric, "regions", progress)
    n = len(X)
    texts = texts_of(data, n, texts)
    coords = _check_coords(coords, n)
    n_words, n_concepts = check_positive_int(n_words, "n_words"), check_positive_int(
        n_concepts, "n_concepts")
    presence = None if concepts is None else _presence(concepts, n)
    concept_names = None if presence is None else _concept_names(concept_labels,
                                                                 presence.shape[1])
    levels = leiden_levels(graph, k, gammas, random_state)
    offsets = np.cumsum([0] + [int(level.max()) + 1 for level in levels])
    ids = levels + offsets[:-1, None]
    terms = _terms(texts)
    tables = [_level_table(ids, i, gammas[::-1][i], terms, coords, presence, concept_names,
                           n_words, n_concepts) for i in range(len(levels))]
    points = pd.DataFrame({f"level_{i}": row for i, row in enumerate(ids)})
    parameters = {"method": "leiden (modularity), nested by quotient graphs", "k": k,
                  "metric": graph.metric, "resolutions": tuple(gammas[::-1]),
                  "names": "c-TF-IDF", "random_state": random_state}
    return Regions(pd.concat(tables, ignore_index=True), points, parameters)


def _check_coords(coords, n: int) -> np.ndarray | None:
    if coords is None:
        return None
    coords = check_embeddings(coords, name="coords").astype(np.float64)
    if coords.shape != (n, 2):
        raise ValueError(f"coords must have shape ({n}, 2), got {coords.shape}")
    return coords


def _level_table(ids: np.ndarray, level: int, resolution: float, terms, coords, presence,
                 concept_names, n_words: int, n_concepts: int) -> pd.DataFrame:
    """One row per region of ``level``."""
    own = ids[level]
    first = int(own.min())
    local = own - first
    sizes = np.bincount(local)
    groups = np.split(np.argsort(local, kind="stable"), np.cumsum(sizes)[:-1])
    words = _words(terms, groups, n_words)
    names = [" / ".join(w[:_NAME_WORDS]) if w else f"region {first + i}"
             for i, w in enumerate(words)]
    parent = (ids[level - 1][[g[0] for g in groups]] if level > 0
              else np.full(len(groups), -1))
    x, y = _places(coords, local, len(groups))
    return pd.DataFrame({
        "region": first + np.arange(len(groups)), "level": level, "resolution": resolution,
        "parent": parent, "size": sizes, "share": sizes / len(own), "name": names,
        "top_words": words,
        "top_concepts": _top_concepts(presence, concept_names, local, n_concepts),
        "x": x, "y": y})


def _words(terms, groups: list[np.ndarray], n_words: int) -> list[list[str]]:
    """c-TF-IDF words of each group, from the corpus's counts ``terms`` (or none)."""
    if terms is None:
        return [[] for _ in groups]
    from ..sae.labels import _group_words

    return _group_words(*terms, groups, n_words, "ctfidf", min_count=2,
                        prior_scale=100.0)  # (the prior is log-odds' only)


def _terms(texts):
    """The document-term counts and vocabulary of the texts, made once for every level."""
    if texts is None:
        return None
    from ..sae.labels import _doc_term

    return _doc_term(texts, binary=False)


def _places(coords, local: np.ndarray, n_regions: int) -> tuple[np.ndarray, np.ndarray]:
    """Per region, the member nearest to the median of the members' positions."""
    if coords is None:
        return np.full(n_regions, np.nan), np.full(n_regions, np.nan)
    frame = pd.DataFrame({"region": local, "x": coords[:, 0], "y": coords[:, 1]})
    median = frame.groupby("region")[["x", "y"]].median().to_numpy()
    frame["gap"] = np.hypot(*(coords - median[local]).T)
    nearest = frame.groupby("region")["gap"].idxmin().to_numpy()
    return coords[nearest, 0], coords[nearest, 1]


def _top_concepts(presence, concept_names, local: np.ndarray,
                  n_concepts: int) -> list[list[str]]:
    """Per region, the concepts (columns of the presence matrix ``(n, d_sae)``) most
    over-represented in it against the rest (present more often, q < 0.05 over the
    features), largest difference of presence first."""
    n_regions = int(local.max()) + 1
    if presence is None:
        return [[] for _ in range(n_regions)]
    from ..stats.multiplicity import _benjamini_hochberg
    from ..stats.proportions import _two_proportion

    n = len(local)
    member = sp.csr_matrix((np.ones(n), (local, np.arange(n))), shape=(n_regions, n))
    inside = (member @ presence).toarray()
    sizes = np.bincount(local, minlength=n_regions)[:, None]
    outside = presence.sum(axis=0).A1[None, :] - inside
    diff = inside / sizes - outside / np.maximum(n - sizes, 1)
    out = []
    for r in range(n_regions):
        if sizes[r, 0] == n:  # the region is the whole corpus: no rest to compare with
            out.append([])
            continue
        _, p_value = _two_proportion(inside[r], int(sizes[r, 0]), outside[r],
                                     n - int(sizes[r, 0]))
        ok = np.flatnonzero((diff[r] > 0) & (_benjamini_hochberg(p_value) < _CONCEPT_ALPHA))
        best = ok[np.lexsort((ok, -diff[r, ok]))][:n_concepts]
        out.append([concept_names[f] for f in best])
    return out


def _presence(concepts, n: int) -> sp.csr_matrix:
    from ..sae.analysis import _presence as presence  # the package's one reading of codes

    found = presence(concepts, "concepts")
    if found.shape[0] != n:
        raise ValueError(f"concepts has {found.shape[0]} rows but data has {n}")
    return found


def _concept_names(concept_labels, d_sae: int) -> list[str]:
    names = [f"feature {f}" for f in range(d_sae)]
    if concept_labels is None:
        return names
    items = (concept_labels.items() if hasattr(concept_labels, "items")
             else enumerate(concept_labels))
    for feature, label in items:
        if 0 <= int(feature) < d_sae and label:
            names[int(feature)] = f"{label} (#{int(feature)})"
    return names
