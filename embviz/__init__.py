"""embviz: compute embeddings, measure their geometry, explore and compare them.

The top-level import is light (numpy, pandas): torch, transformers, sae_lens, umap and panel
load only when the code that needs them runs.

Conventions (one vocabulary across the package; ``tests/test_api_contract.py`` keeps them):

- Inputs: every function that takes vectors takes an :class:`EmbeddingSet`, a numpy array
  ``(n, d)`` or a torch tensor (unwrapped in one place, ``embviz._validation``).
- ``k``: a neighbourhood size; a second one gets a prefix (``mle_k``, ``local_k``). UMAP's own
  ``n_neighbors`` appears only in :func:`embviz.maps.umap_map`.
- ``metric``: ``"cosine"`` by default wherever a kNN graph is built. A :class:`KNNGraph`
  passed in must have been built with the metric asked (else ``ValueError``), checked by
  :func:`embviz.neighbors.check_knn_graph`.
- ``n_resamples``: bootstraps and subsamples; ``n_permutations``: permutation tests.
- ``a, b``: the two samples or spaces of any comparison (``a`` is the reference / old one).
- ``p_value``, ``q_value`` (Benjamini–Hochberg) in results, all computed by
  :mod:`embviz.stats` (multiplicity corrections, intervals, permutation p-values and tests of
  proportions live there and nowhere else).
- ``random_state=0`` by default: a rerun gives the same numbers (pass ``None`` for fresh
  randomness). ``progress=True`` by default: long work shows a progress bar.
- Long result tables have the columns ``metric, value, ci_low, ci_high, parameters`` (then
  their own); display names come from one table (``embviz._tables.DISPLAY_NAMES``).
- Every result object has ``.table()`` with exactly those five columns (one row per measure);
  ``summary()``, where there is one, is a one-line ``str``.
"""

from .datasets import list_datasets, load_dataset, read_corpus
from .embedding_set import EmbeddingSet

__version__ = "0.1.0"

__all__ = ["EmbeddingSet", "__version__", "duplicates", "embed_corpus", "embed_corpus_layers",
           "explore", "leakage", "list_datasets", "load_dataset", "map_trust", "outliers",
           "read_corpus", "region_card", "regions"]

#: The landscape of a corpus (embviz.landscape): regions, cards, map trust, duplicates.
_LANDSCAPE = ("regions", "region_card", "map_trust", "duplicates", "outliers", "leakage")


def __getattr__(name):  # lazy re-exports of the embedding entry points
    if name in ("embed_corpus", "embed_corpus_layers", "Encoder"):
        from . import embed

        return getattr(embed, name)
    if name in _LANDSCAPE:
        from . import landscape

        return getattr(landscape, name)
    if name == "explore":  # the explorer, inline in a notebook (imports Panel)
        from .app import explore

        return explore
    raise AttributeError(f"module 'embviz' has no attribute {name!r}")
