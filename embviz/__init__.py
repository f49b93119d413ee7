"""embviz: compute embeddings, measure their geometry, explore and compare them.

The top-level import is light (numpy, pandas): torch, transformers, sae_lens, umap and panel
load only when the code that needs them runs.
"""

from .datasets import list_datasets, load_dataset, read_corpus
from .embedding_set import EmbeddingSet

__version__ = "0.1.0"

__all__ = ["EmbeddingSet", "__version__", "embed_corpus", "embed_corpus_layers",
           "list_datasets", "load_dataset", "read_corpus"]


def __getattr__(name):  # lazy re-exports of the embedding entry points
    if name in ("embed_corpus", "embed_corpus_layers", "Encoder"):
        from . import embed

        return getattr(embed, name)
    raise AttributeError(f"module 'embviz' has no attribute {name!r}")
