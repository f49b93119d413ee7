"""Pooling token states ``(batch, tokens, d)`` into one vector per text ``(batch, d)``."""

from __future__ import annotations

POOLINGS = ("mean", "cls", "last", "max", "mean_skip_first")


def pool(hidden, mask, method: str):
    """Pool hidden states over the tokens the attention mask keeps.

    Parameters
    ----------
    hidden : torch.Tensor of shape (batch, tokens, d)
    mask : torch.Tensor of shape (batch, tokens)
        1 for real tokens, 0 for padding (either padding side).
    method : {"mean", "cls", "last", "max", "mean_skip_first"}
        ``mean`` averages real tokens (Sentence-BERT, Reimers & Gurevych 2019); ``cls`` takes the
        first token; ``last`` the last real token (the usual choice for causal LMs, whose last
        token has attended to the whole text); ``max`` the element-wise maximum;
        ``mean_skip_first`` averages the real tokens after the first one. In a causal LM the
        first token (BOS, or the first word when no BOS is added) is an *attention sink* with
        activations orders of magnitude larger than the others in a few dimensions (Xiao et al.
        2024, "Efficient Streaming Language Models with Attention Sinks", ICLR; Sun et al. 2024,
        "Massive Activations in Large Language Models", COLM), which dominates a plain mean.
        A text of a single token keeps that token.

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
    if method == "mean_skip_first":
        first = mask.long().argmax(1)  # first real token (either padding side)
        rest = m.clone()
        rest[torch.arange(mask.shape[0], device=mask.device), first] = 0.0
        rest = torch.where(rest.sum(1, keepdim=True) > 0, rest, m)  # one-token texts
        return (hidden * rest).sum(1) / rest.sum(1).clamp(min=1.0)
    raise ValueError(f"pooling must be one of {list(POOLINGS)}, got {method!r}")
