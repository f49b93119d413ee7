"""The card of one region (or any set of rows): what it holds, its own geometry, its most
central and most atypical texts, and how it differs from the rest of the corpus.

The geometry is the region's *own*: :func:`~embviz.metrics.geometry_report` on its points,
with the region's kNN graph read from the shared graph (:func:`~embviz.neighbors.subgraph`;
rows whose neighbourhood leaves the region are searched exactly among its points, and all of
them when the shared graph is narrower than the report's neighbourhoods), so the
card's values are those of the global measures run on the region's points. Neighbourhood
sizes shrink for small regions as the explorer's report does (k <= 10, mle_k <= 20,
local_k <= 128, each below the region's size). Intervals are the report's half-sampling
intervals (:mod:`embviz.metrics.resampling`): for θ_m, the measure's mean over samples of m
points from the region's population.

:func:`region_card` is a door: it checks the corpus and its graph once; the geometry, the
density and the corpus's hubs then come from kernels on the checked rows and graph.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .._tables import RESULT_COLUMNS, measures_table, result_table
from .._validation import check_positive_int, check_random_state, check_replicates, check_rows
from ..embedding_set import EmbeddingSet
from ._inputs import vectors_and_graph

if TYPE_CHECKING:
    from ..drift import TwoSampleResult

__all__ = ["RegionCard", "region_card"]

_LOCAL_K, _MLE_K = 128, 20  # the report's local and MLE neighbourhoods
_MIN_ROWS = 5  # the two-sample test's smallest sample
_DEFAULT_COLUMNS = ("label", "group")  # described where present


@dataclass(frozen=True)
class RegionCard:
    """What a card about one region shows.

    Attributes
    ----------
    name : str
    size : int
        Points in the region.
    share : float
        Its share of the corpus.
    geometry : pandas.DataFrame
        ``metric, value, ci_low, ci_high, parameters``: the region's isotropy, intrinsic
        dimension (global and local), hubness (its own k-occurrence's k-skewness, Robin
        Hood, hub and anti-hub occurrence), density (``knn_distance``: the median distance
        to the k-th neighbour within the region) and ``n_corpus_hubs`` (its points that are
        hubs of the whole corpus's graph).
    composition : pandas.DataFrame
        For each metadata column asked (``column``), the mix of its values in the region
        against the corpus with a test of over-representation
        (:func:`embviz.selection.composition`).
    central, atypical : pandas.DataFrame
        The region's most central and most atypical points by TTE depth within the region:
        ``row``, ``tte_depth`` and ``text`` (and the asked columns) when known.
    difference : TwoSampleResult
        MMD test of the region against the rest of the corpus
        (:func:`embviz.drift.mmd_test`).
    parameters : dict
        Rows used (``sampled`` when the region was larger than ``max_rows``), sizes.
    """

    name: str
    size: int
    share: float
    geometry: pd.DataFrame
    composition: pd.DataFrame
    central: pd.DataFrame
    atypical: pd.DataFrame
    difference: TwoSampleResult
    parameters: dict = field(default_factory=dict)

    def table(self) -> pd.DataFrame:
        """Every number of the card as one long result table: ``metric, value, ci_low,
        ci_high, parameters``.

        The region's size (``n``, all its points) and ``share``, then :attr:`geometry` (whose
        own ``n`` counts the points it used), then the test against the rest
        (:meth:`TwoSampleResult.table`: the effect, ``statistic``, ``p_value``, ``n_a``,
        ``n_b``, each row's ``parameters`` starting ``test=mmd``).
        """
        size = measures_table([{"metric": "n", "value": self.size},
                               {"metric": "share", "value": self.share}])
        geometry = measures_table(self.geometry[RESULT_COLUMNS].to_dict("records"))
        return pd.concat([size, geometry, self.difference.table()], ignore_index=True)


def region_card(data, rows, graph=None, name: str = "", k: int = 10,
                columns: Sequence[str] = _DEFAULT_COLUMNS, n_examples: int = 5,
                ci: bool = True, n_resamples: int = 30, n_permutations: int = 200,
                max_rows: int = 3000, metric: str = "cosine", random_state: int | None = 0,
                progress: bool = True) -> RegionCard:
    """The data of one region's card.

    Parameters
    ----------
    data : EmbeddingSet or array of shape (n, d)
        The corpus; an EmbeddingSet gives texts and metadata columns.
    rows : array of int or boolean mask of shape (n,)
        The region's points (``Regions.members(region)``), at least 5, leaving at least 5.
    graph : KNNGraph, optional
        The shared graph of ``data`` (``Exploration.graph(k)``), at least ``k`` neighbours.
    name : str, default ""
        The region's name (``Regions.regions["name"]``).
    k : int, default 10
        Neighbourhood of hubness and density, and of the corpus's hubs.
    columns : sequence of str, default ("label", "group")
        Metadata columns whose mix is compared with the corpus. Of the default pair, those
        present are used; a column named otherwise must be a column of ``data.meta``
        (``ValueError`` listing the columns; an array ``data`` has none).
    n_examples : int, default 5
        Central and atypical texts shown.
    ci : bool, default True
        Half-sampling intervals of the geometry (regions of at least 2·max(k, mle_k) + 2
        points; local ID needs 2·local_k + 2).
    n_resamples : int, default 30
        Half-samples of the intervals (and of the MMD effect's interval).
    n_permutations : int, default 200
        Permutations of the MMD test (smallest p-value 1 / 201).
    max_rows : int, default 3000
        A larger region (and the rest of the corpus) is sampled down to this many rows,
        uniformly, for the geometry and the test; size, composition and depths use every row.
    metric : {"cosine", "euclidean"}, default "cosine"
    random_state : int or None, default 0
    progress : bool, default True

    Returns
    -------
    RegionCard
    """
    k = check_positive_int(k, "k")
    columns = _check_columns(data, columns)
    n_examples = check_positive_int(n_examples, "n_examples")
    X, graph = vectors_and_graph(data, graph, k, metric, "region_card", progress)
    n = len(X)
    rows = check_rows(rows, n, min_rows=_MIN_ROWS)
    if n - len(rows) < _MIN_ROWS:
        raise ValueError(f"rows must leave at least {_MIN_ROWS} other rows to compare the "
                         f"region with; it holds {len(rows)} of {n}")
    max_rows = check_positive_int(max_rows, "max_rows", minimum=_MIN_ROWS)
    n_resamples = check_replicates(n_resamples, "n_resamples", minimum=10)
    rng = np.random.default_rng(check_random_state(random_state))
    used = _sample(rows, max_rows, rng)
    sizes = _sizes(len(used), k)
    geometry = _geometry(X, graph, used, sizes, ci, n_resamples, random_state, progress)
    hubs = _corpus_hubs(graph, rows, k)
    central, atypical = _extremes(data, X, rows, columns, n_examples)
    return RegionCard(
        name=str(name), size=len(rows), share=len(rows) / n,
        geometry=pd.concat([geometry, hubs], ignore_index=True),
        composition=_composition(data, rows, columns), central=central, atypical=atypical,
        difference=_difference(X, used, rows, max_rows, n_permutations, n_resamples, rng,
                               progress),
        parameters={"rows_used": len(used), "sampled": len(used) < len(rows), **sizes,
                    "metric": graph.metric, "random_state": random_state})


def _check_columns(data, columns: Sequence[str]) -> list[str]:
    """The metadata columns to describe: the default pair where present, else every one asked,
    each of which must exist."""
    if isinstance(columns, str):
        raise TypeError(f"columns must be a sequence of column names, got a single string; "
                        f"wrap it in a list: columns=[{columns!r}]")
    columns = list(columns)
    meta = _meta(data)
    available = [] if meta is None else list(meta.columns)
    if tuple(columns) == _DEFAULT_COLUMNS:
        return [c for c in columns if c in available]
    unknown = [c for c in columns if c not in available]
    if unknown:
        where = ("its columns are " + str(available) if meta is not None else
                 "data is an array, without metadata: pass an EmbeddingSet")
        raise ValueError(f"columns {unknown} are not columns of data; {where}")
    return columns


def _sample(rows: np.ndarray, max_rows: int, rng: np.random.Generator) -> np.ndarray:
    return rows if len(rows) <= max_rows else np.sort(rng.choice(rows, max_rows,
                                                                 replace=False))


def _sizes(m: int, k: int) -> dict[str, int]:
    """The report's neighbourhoods, each below the region's m points."""
    local_k = min(_LOCAL_K, m - 1)
    return {"k": min(k, local_k), "mle_k": min(_MLE_K, local_k), "local_k": local_k}


def _geometry(X, graph, used, sizes, ci, n_resamples, random_state, progress) -> pd.DataFrame:
    """The report on the region's points, on its graph read from the shared one, plus its
    density with the same kind of interval (kernels: ``X`` and ``graph`` are checked)."""
    from ..metrics.report import _report_on_graph
    from ..neighbors import _knn_graph, _subgraph, subgraph_width

    m = len(used)
    ci = ci and m >= 2 * max(sizes["k"], sizes["mle_k"]) + 2
    width = subgraph_width(sizes["local_k"], m) if ci else sizes["local_k"]
    region = X[used]
    own = (_subgraph(graph, used, width, X) if graph.k >= width  # else no row has width
           else _knn_graph(region, width, graph.metric, progress=progress))
    report = _report_on_graph(region, own, sizes["k"], sizes["mle_k"], sizes["local_k"],
                              ci=ci, n_resamples=n_resamples, random_state=random_state,
                              progress=progress)
    return pd.concat([report, _density(own, region, sizes["k"], ci, n_resamples,
                                       random_state)], ignore_index=True)


def _density(own, X_region: np.ndarray, k: int, ci: bool, n_resamples: int,
             random_state) -> pd.DataFrame:
    """Median distance to the k-th neighbour within the region; half-sampling interval."""
    from ..metrics.resampling import HALF_SAMPLING, complementary_halves, complementary_interval
    from ..neighbors import _subgraph

    estimate = float(np.median(own.distances[:, k - 1]))
    parameters = f"k={k}, metric={own.metric}, within the region"
    low = high = np.nan
    if ci:
        splits = complementary_halves(len(X_region), n_resamples // 2,
                                      np.random.default_rng(random_state))
        halves = [[np.median(_subgraph(own, half, k, X_region).distances[:, k - 1])
                   for half in split] for split in splits]
        low, high = complementary_interval(estimate, *np.asarray(halves).T, len(X_region))
        parameters += f", ci={HALF_SAMPLING} (n_resamples={2 * len(splits)})"
    return result_table([{"metric": "knn_distance", "value": estimate, "ci_low": low,
                          "ci_high": high, "parameters": parameters}])


def _corpus_hubs(graph, rows: np.ndarray, k: int) -> pd.DataFrame:
    from ..metrics.hubness import _hub_rows, _occurrence

    found = np.intersect1d(_hub_rows(_occurrence(graph.at_k(k)), k, 2.0), rows)
    return result_table([{"metric": "n_corpus_hubs", "value": len(found),
                          "parameters": f"k={k}, hub_size=2, metric={graph.metric}, "
                                        f"in the corpus graph"}])


def _meta(data) -> pd.DataFrame | None:
    return data.meta if isinstance(data, EmbeddingSet) else None


def _composition(data, rows: np.ndarray, columns: Sequence[str]) -> pd.DataFrame:
    from ..selection import _composition

    meta = _meta(data)
    tables = [_composition(np.asarray(meta[c], dtype=object), rows).assign(column=c)
              for c in columns]
    if not tables:
        return pd.DataFrame(columns=["column", "value"])
    table = pd.concat(tables, ignore_index=True)
    return table[["column", *[c for c in table.columns if c != "column"]]]


def _extremes(data, X, rows, columns, n_examples: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The rows of highest and lowest TTE depth within the region (leave-one-out)."""
    from .outlier_scores import depths_within

    depth = depths_within(X[rows])
    order = np.argsort(-depth, kind="stable")
    frame = pd.DataFrame({"row": rows, "tte_depth": depth})
    meta = _meta(data)
    if meta is not None:
        for column in ("text", *columns):
            if column in meta.columns:
                frame[column] = meta[column].to_numpy()[rows]
    return (frame.iloc[order[:n_examples]].reset_index(drop=True),
            frame.iloc[order[::-1][:n_examples]].reset_index(drop=True))


def _difference(X, used, rows, max_rows, n_permutations, n_resamples, rng, progress):
    from ..drift.kernel_tests import _mmd_test

    rest = _sample(np.setdiff1d(np.arange(len(X)), rows), max_rows, rng)
    return _mmd_test(X[used], X[rest], n_permutations=n_permutations,
                     n_resamples=n_resamples, random_state=int(rng.integers(2**31)),
                     progress=progress)
