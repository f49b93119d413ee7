"""Corpora with known answers for the landscape tests: planted clusters with planted words,
and the real WordNet sample (minilm), loaded once per test session."""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd

#: One planted word per cluster: the name each planted region should carry.
WORDS = ["volcano", "violin", "harbour", "orchid", "glacier", "falcon"]
#: Words every cluster uses alike.
FILLER = ["thing", "place", "kind", "sort", "part", "way", "form", "type", "piece", "matter"]


def planted_corpus(n_per: int = 150, d: int = 48, spread: float = 1.4, seed: int = 0):
    """Gaussian clusters around random centres, one per planted word, and their texts.

    At ``spread=1.4`` (d = 48) the clusters touch: their kNN graph (k = 15) is connected and
    about 3% of its edges join two clusters, so finding them is not reading off components.

    Returns
    -------
    EmbeddingSet (``label`` = the planted word), ndarray (n,) of cluster numbers
    """
    from embviz import EmbeddingSet

    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(len(WORDS), d))
    clusters = np.repeat(np.arange(len(WORDS)), n_per)
    X = centres[clusters] + spread * rng.normal(size=(len(clusters), d))
    texts = [f"{WORDS[c]} {' '.join(rng.choice(FILLER, 4))}" for c in clusters]
    meta = pd.DataFrame({"id": np.arange(len(clusters)), "text": texts,
                         "label": [WORDS[c] for c in clusters]})
    return EmbeddingSet(X.astype(np.float32), meta), clusters


@functools.cache
def wordnet_exploration():
    """2,000 WordNet glosses embedded with minilm (through the embedding cache)."""
    from embviz.exploration import load_exploration

    return load_exploration("wordnet", n=2000, progress=False)
