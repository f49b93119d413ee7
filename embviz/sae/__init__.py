"""Sparse-autoencoder concept features: train SAEs with sae-lens on embeddings or on a language
model's token activations, label their concepts, and use them to compare corpora.

The method follows "Interpretable Embeddings with Sparse Autoencoders: A Data Analysis Toolkit".
Their tests and q-values come from :mod:`embviz.stats`. Importing this package is light: torch
and sae_lens load when an SAE is trained or used.
"""

from .analysis import (
                       concept_clusters,
                       concept_correlations,
                       dataset_diff,
                       presence_diff,
                       retrieve,
)
from .baselines import (
                       alignment_null,
                       dense_vs_concept_clustering,
                       pca_codes,
                       property_retrieval_baseline,
                       reconstruction_vs_pca,
                       sae_vs_pca,
                       word_diff,
                       word_diff_agreement,
)
from .encode import (
                       decode_codes,
                       document_codes,
                       max_pool_codes,
                       sae_encode,
                       token_sae_embeddings,
)
from .evaluate import explained_variance
from .features import category_alignment, feature_table, label_association, top_rows
from .labels import distinctive_words
from .model import ConceptSAE, NotAnSAEDirectoryError
from .record import SAETrainingConfig, TrainingRecord
from .sources import TokenCorpus, token_corpus
from .train import ARCHITECTURES, train_sae

__all__ = ["ARCHITECTURES", "ConceptSAE", "NotAnSAEDirectoryError", "SAETrainingConfig",
           "TokenCorpus", "TrainingRecord", "alignment_null",
           "category_alignment", "concept_clusters", "dense_vs_concept_clustering",
           "concept_correlations", "dataset_diff", "decode_codes", "distinctive_words",
           "document_codes", "explained_variance", "feature_table", "label_association",
           "max_pool_codes", "pca_codes", "presence_diff", "property_retrieval_baseline",
           "reconstruction_vs_pca", "retrieve", "sae_encode", "sae_vs_pca", "token_corpus",
           "token_sae_embeddings", "top_rows", "train_sae", "word_diff",
           "word_diff_agreement"]
