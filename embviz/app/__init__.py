"""The Panel explorer (``panel serve apps/explorer.py``): views that only call embviz.

Importing this package imports Panel; nothing else in embviz does.
"""

from .explorer import Explorer, explore

__all__ = ["Explorer", "explore"]
