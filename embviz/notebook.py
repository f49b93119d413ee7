"""Set up a Jupyter notebook for embviz: quiet outputs, a figures folder, pandas display options.

The curated notebooks in ``notebooks/`` start with ``FIGURES = setup_notebook()`` instead of
repeating the same warnings filters and options in every first cell. Importing this module is
light (standard library only); pandas and transformers are imported when the function runs.
"""

from __future__ import annotations

import importlib.util
import logging
import re
import sys
import warnings
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

__all__ = ["setup_notebook", "summarised_messages", "warnings_summary"]

#: Warnings that say nothing about the analysis: text progress bars replace widget ones when
#: ipywidgets is missing, and plotly passes an argument that kaleido's image server deprecates.
_QUIET_WARNINGS = ("IProgress not found", "The kopts argument")


#: Warnings seen since :func:`setup_notebook`, by (category, message with numbers as "#").
_SEEN: dict[tuple[str, str], list] = {}
#: Numbers in a warning's text (counts, sizes): warnings that differ only in them are one kind.
_NUMBER = re.compile(r"\d[\d,.]*")


def _show_once(message, category, filename, lineno, file=None, line=None) -> None:
    """Print a warning the first time its kind is seen; count the repeats."""
    key = (category.__name__, _NUMBER.sub("#", str(message)))
    seen = _SEEN.setdefault(key, [0, str(message)])
    seen[0] += 1
    if seen[0] == 1:
        print(f"{category.__name__}: {message}\n  (shown once: repeats of this warning are "
              f"counted, see warnings_summary())", file=file or sys.stderr)


def warnings_summary():
    """The warnings seen since :func:`setup_notebook`, one row per kind.

    Returns
    -------
    pandas.DataFrame
        ``category``, ``times`` and ``first`` (the first message of that kind in full); kinds
        differ in their text other than numbers. Empty when there were none.
    """
    import pandas as pd

    return pd.DataFrame([{"category": c, "times": n, "first": first}
                         for (c, _), (n, first) in _SEEN.items()],
                        columns=["category", "times", "first"])


def _disable_transformers_progress_bars() -> None:
    if importlib.util.find_spec("transformers") is None:
        return
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()


def setup_notebook(figures: str | Path = "figures", precision: int = 4,
                   max_colwidth: int | None = None) -> Path:
    """Prepare a notebook session and return the folder that its figures are written to.

    Shows each kind of warning once (kinds differ in their text other than numbers; repeats
    are counted, :func:`warnings_summary` lists them), ignores deprecation notices of the
    libraries (as Python does by default), the "IProgress not found" and "The kopts argument"
    warnings, turns off the transformers progress bars ("Loading weights", when transformers
    is installed), creates the figures folder and sets pandas' display precision (and, if
    given, column width).

    Parameters
    ----------
    figures : str or Path, default "figures"
        Folder for exported figures, relative to the working directory; created with its parents
        if missing.
    precision : int, default 4
        pandas ``display.precision``: decimals shown in tables.
    max_colwidth : int or None, default None
        pandas ``display.max_colwidth`` (characters per cell); None leaves it unchanged.

    Returns
    -------
    Path
        ``Path(figures)``, now an existing folder.

    Examples
    --------
    >>> import tempfile
    >>> folder = setup_notebook(Path(tempfile.mkdtemp()) / "figures")
    >>> folder.is_dir()
    True
    """
    import pandas as pd

    warnings.simplefilter("always")  # every warning reaches _show_once, which counts repeats
    for library_notice in (DeprecationWarning, PendingDeprecationWarning):  # as by default
        warnings.filterwarnings("ignore", category=library_notice)
    warnings.showwarning = _show_once
    _SEEN.clear()
    for message in _QUIET_WARNINGS:
        warnings.filterwarnings("ignore", message=message)
    _disable_transformers_progress_bars()
    folder = Path(figures)
    folder.mkdir(parents=True, exist_ok=True)
    pd.set_option("display.precision", precision)
    if max_colwidth is not None:
        pd.set_option("display.max_colwidth", max_colwidth)
    return folder


class _Collect(logging.Handler):
    def __init__(self, records: list):
        super().__init__(logging.WARNING)
        self.records = records

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextmanager
def summarised_messages(logger: str = "embviz"):
    """Hold back warnings and ``logger``'s log messages inside the block; print one summary.

    Each distinct message template is printed once afterwards with how often it came, e.g.
    ``8 × (embviz.embed.encoder) 18 of 1024 texts were truncated to max_length=256 tokens
    (first of them)`` instead of eight lines. Warnings that differ only in their numbers
    (``excluded 656 points`` / ``excluded 730 points``) count as one kind.

    Parameters
    ----------
    logger : str, default "embviz", the logger whose WARNING+ records are collected

    Yields
    ------
    list of logging.LogRecord and warnings.WarningMessage, filled when the block ends
    """
    collected: list = []
    target = logging.getLogger(logger)
    handler, propagate = _Collect(collected), target.propagate
    target.addHandler(handler)
    target.propagate = False
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            yield collected
    finally:
        target.removeHandler(handler)
        target.propagate = propagate
    collected.extend(caught)
    _print_summary(collected)


def _print_summary(collected: list) -> None:
    keys = [(r.name, str(r.msg)) if isinstance(r, logging.LogRecord)
            else (r.category.__name__, _NUMBER.sub("#", str(r.message))) for r in collected]
    first = {}
    for key, r in zip(keys, collected):
        first.setdefault(key, r.getMessage() if isinstance(r, logging.LogRecord)
                         else str(r.message))
    for key, count in Counter(keys).items():
        print(f"{count} × ({key[0]}) {first[key]}" + (" (the first of them)" if count > 1 else ""))
