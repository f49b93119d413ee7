"""Geometry of embeddings: isotropy (more measures land with the geometry core).

Pure numpy: importing this package never imports torch, transformers, sae_lens, umap or panel.
"""

from .isotropy import average_cosine, effective_rank, isoscore, pca_variances, top_pc_variance_share
from .summary import isotropy_summary

__all__ = ["average_cosine", "effective_rank", "isoscore", "isotropy_summary", "pca_variances",
           "top_pc_variance_share"]
