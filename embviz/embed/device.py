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


def seeded_torch_rng(random_state: int | None):
    """A context in which torch's global generators are seeded, restored on exit.

    For code that draws from torch's *global* generators and takes no ``Generator`` (sae-lens
    weight initialisation, dropout): the state of the CPU and of every CUDA device is forked
    (``torch.random.fork_rng``), so the caller's random state is the same afterwards on a GPU
    machine too, and seeded inside with ``random_state`` (None: left as it is).
    """
    import contextlib

    import torch

    devices = list(range(torch.cuda.device_count())) if torch.cuda.is_available() else []
    stack = contextlib.ExitStack()
    stack.enter_context(torch.random.fork_rng(devices=devices))
    if random_state is not None:
        torch.manual_seed(random_state)
    return stack
