"""Pooling token states ``(batch, tokens, d)`` into one vector per text ``(batch, d)``."""

from __future__ import annotations

POOLINGS = ("mean", "cls", "last", "max")


def pool(hidden, mask, method: str):
    """Pool hidden states over the tokens the attention mask keeps.

    Parameters
    ----------
    hidden : torch.Tensor of shape (batch, tokens, d)
    mask : torch.Tensor of shape (batch, tokens)
        1 for real tokens, 0 for padding (either padding side).
    method : {"mean", "cls", "last", "max"}
        ``mean`` averages real tokens (Sentence-BERT, Reimers & Gurevych 2019); ``cls`` takes the
        first token; ``last`` the last real token (the usual choice for causal LMs, whose last
        token has attended to the whole text); ``max`` the element-wise maximum.

    Returns
    -------
    torch.Tensor of shape (batch, d)
    """
    import torch

    m = mask.to(hidden.dtype).unsqueeze(-1)
    if method == "mean":
        return (hidden * m).sum(1) / m.sum(1).clamp(min=1.0)
    if method == "cls":
        return hidden[:, 0]
    if method == "last":
        positions = torch.arange(mask.shape[1], device=mask.device)
        last = (mask.long() * positions).argmax(1)
        return hidden[torch.arange(hidden.shape[0], device=hidden.device), last]
    if method == "max":
        return hidden.masked_fill(m == 0, torch.finfo(hidden.dtype).min).amax(1)
    raise ValueError(f"pooling must be one of {list(POOLINGS)}, got {method!r}")
