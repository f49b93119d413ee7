"""Where embviz keeps its files: the cache root and the bundled data folder."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    """Root of embviz's on-disk cache (``$EMBVIZ_CACHE`` or ``~/.cache/embviz``)."""
    root = os.environ.get("EMBVIZ_CACHE") or Path.home() / ".cache" / "embviz"
    return Path(root).expanduser()


def data_dir() -> Path:
    """Folder of the bundled corpora (``$EMBVIZ_DATA`` or the repository's ``data/``)."""
    env = os.environ.get("EMBVIZ_DATA")
    return Path(env) if env else Path(__file__).resolve().parent.parent / "data"
