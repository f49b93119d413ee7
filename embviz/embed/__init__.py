"""Texts to vectors: the model registry, the encoder, pooling and the on-disk cache.

Importing this package is light; torch and transformers load when a model is first used.
"""

from .cache import CorruptChunkWarning, cache_key, cached_compute
from .corpus import embed_corpus, embed_corpus_layers
from .device import resolve_device
from .encoder import Encoder, TokenActivations
from .models import ModelSpec, ResolvedModel, list_models, register_model, resolve_model
from .pooling import POOLINGS, pool

__all__ = ["POOLINGS", "CorruptChunkWarning", "Encoder", "ModelSpec", "ResolvedModel",
           "TokenActivations", "cache_key", "cached_compute", "embed_corpus",
           "embed_corpus_layers", "list_models", "pool", "register_model", "resolve_device",
           "resolve_model"]
