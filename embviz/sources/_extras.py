"""Optional dependencies of the sources, imported when used, with the extra that installs them."""

from __future__ import annotations

import importlib
from types import ModuleType

#: Which extra of embviz installs each optional module.
EXTRAS = {"datasets": "hf", "lancedb": "vectordb", "chromadb": "vectordb",
          "dask": "dask", "distributed": "dask"}


def require(module: str, what: str) -> ModuleType:
    """Import ``module`` or raise an ``ImportError`` that names the extra to install.

    Parameters
    ----------
    module : str
        A key of :data:`EXTRAS`.
    what : str
        What needs it, e.g. ``"read_lancedb"``.
    """
    try:
        return importlib.import_module(module)
    except ImportError as err:
        raise ImportError(f"{what} needs the optional package {module!r}, which is not "
                          f"installed: pip install 'embviz[{EXTRAS[module]}]'") from err
