"""Device choice shared by every torch code path: CUDA, then Apple MPS, then CPU."""

from __future__ import annotations

from .._validation import check_choice


def resolve_device(device: str = "auto"):
    """Return a ``torch.device``: ``"auto"`` picks CUDA, then MPS, then CPU.

    Parameters
    ----------
    device : {"auto", "cpu", "cuda", "mps"} or "cuda:N"
    """
    import torch

    if not isinstance(device, str):
        raise TypeError(f"device must be a string such as 'auto' or 'cpu', got {device!r}")
    if device == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    check_choice(device.split(":")[0], "device", ["auto", "cpu", "cuda", "mps"])
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(f"device={device!r} was asked for but CUDA is not available; "
                         f"use device='auto' or 'cpu'")
    return torch.device(device)


def inference_dtype(device):
    """float16 on CUDA (safe for inference of these encoders), float32 elsewhere."""
    import torch

    return torch.float16 if device.type == "cuda" else torch.float32
