"""Token activations of a causal LM as an SAE data source (one row per token).

SAE concept features over a language model's residual stream, as in "Interpretable Embeddings
with Sparse Autoencoders: A Data Analysis Toolkit": the SAE is trained on tokens, and a
document's SAE embedding is the maximum over its tokens (:func:`token_sae_embeddings`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from .._validation import check_positive_int

__all__ = ["DEFAULT_TOKEN_MODEL", "TokenCorpus", "token_corpus"]

#: The causal LM used for token-level SAEs when none is named.
DEFAULT_TOKEN_MODEL = "smollm2-135m"


@dataclass
class TokenCorpus:
    """Documents and the per-token hidden states of one layer.

    Attributes
    ----------
    meta : pandas.DataFrame of n rows
        ``id``, ``text`` and the corpus's metadata (``label``, ``group``, ...).
    activations : TokenActivations
        ``vectors (n_tokens, d)``, ``doc_index`` into ``meta``, ``position``, ``tokens``.
    provenance : dict
        Model (name, weights sha256), layer, max length.
    """

    meta: pd.DataFrame
    activations: Any
    provenance: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.meta)

    def __repr__(self) -> str:
        return (f"TokenCorpus(n={len(self)}, tokens={len(self.activations)}, "
                f"layer={self.activations.layer}, model={self.provenance.get('model')!r})")

    @property
    def texts(self) -> list[str]:
        """The documents' texts, in row order."""
        return self.meta["text"].tolist()

    def subset(self, rows) -> TokenCorpus:
        """Documents at integer positions ``rows`` (renumbered 0..len(rows)-1) with their tokens."""
        import numpy as np

        from ..embed.encoder import TokenActivations

        rows = np.asarray(rows, np.int64)
        new_index = np.full(len(self), -1, np.int64)
        new_index[rows] = np.arange(len(rows))
        acts = self.activations
        keep = np.flatnonzero(new_index[acts.doc_index] >= 0)
        sub = TokenActivations(acts.vectors[keep], new_index[acts.doc_index[keep]],
                               acts.position[keep], [acts.tokens[i] for i in keep], acts.layer)
        return TokenCorpus(self.meta.iloc[rows].reset_index(drop=True), sub,
                           dict(self.provenance))


def token_corpus(corpus, model: str = DEFAULT_TOKEN_MODEL, layer: int | None = None,
                 max_length: int = 128, batch_size: int = 16, device: str = "auto",
                 progress: bool = True) -> TokenCorpus:
    """Run a causal LM over documents and keep every token's hidden state at one layer.

    Parameters
    ----------
    corpus : DataFrame with a ``text`` column, EmbeddingSet, or sequence of str
    model : str, default "smollm2-135m"
        A registered model name or a local Hugging Face folder.
    layer : int, optional
        Hidden-state index (0 = embeddings). Default: the middle of the stack
        (``n_hidden_states // 2``, 15 of 31 for SmolLM2-135M).
    max_length : int, default 128
        Tokens kept per document (longer documents are truncated).
    batch_size : int, default 16
    device : str, default "auto"
    progress : bool, default True

    Returns
    -------
    TokenCorpus
        Special tokens (BOS) are dropped; padding never enters.
    """
    from ..embed.corpus import _as_meta
    from ..embed.encoder import Encoder
    from ..embedding_set import EmbeddingSet

    meta = _as_meta(corpus.meta if isinstance(corpus, EmbeddingSet) else corpus)
    encoder = Encoder(model, max_length=check_positive_int(max_length, "max_length", 2),
                      batch_size=batch_size, device=device, progress=progress)
    layer = encoder.n_hidden_states // 2 if layer is None else layer
    acts = encoder.token_activations(meta["text"].tolist(), layer=layer)
    provenance = {"model": encoder.model_info.name,
                  "weights_sha256": encoder.model_info.provenance().get("weights_sha256"),
                  "layer": int(acts.layer), "max_length": encoder.max_length,
                  "n_truncated": encoder.n_truncated_}
    return TokenCorpus(meta, acts, provenance)
