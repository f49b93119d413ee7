"""Set up a Jupyter notebook for embviz: quiet outputs, a figures folder, pandas display options.

The curated notebooks in ``notebooks/`` start with ``FIGURES = setup_notebook()`` instead of
repeating the same warnings filters and options in every first cell. Importing this module is
light (standard library only); pandas and transformers are imported when the function runs.
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import warnings
from collections import Counter
from pathlib import Path

__all__ = ["collect_warnings", "setup_notebook"]

#: Warnings that say nothing about the analysis: text progress bars replace widget ones when
#: ipywidgets is missing, and plotly passes an argument that kaleido's image server deprecates.
_QUIET_WARNINGS = ("IProgress not found", "The kopts argument")


def _disable_transformers_progress_bars() -> None:
    if importlib.util.find_spec("transformers") is None:
        return
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()


def setup_notebook(figures: str | Path = "figures", precision: int = 4,
                   max_colwidth: int | None = None) -> Path:
    """Prepare a notebook session and return the folder that its figures are written to.

    Ignores the "IProgress not found" and "The kopts argument" warnings, turns off the
    transformers progress bars ("Loading weights", when transformers is installed), creates the
    figures folder and sets pandas' display precision (and, if given, column width).

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

    for message in _QUIET_WARNINGS:
        warnings.filterwarnings("ignore", message=message)
    _disable_transformers_progress_bars()
    folder = Path(figures)
    folder.mkdir(parents=True, exist_ok=True)
    pd.set_option("display.precision", precision)
    if max_colwidth is not None:
        pd.set_option("display.max_colwidth", max_colwidth)
    return folder


@contextlib.contextmanager
def collect_warnings(what: str = "this cell", show: int = 3):
    """Collect the warnings (and embviz log warnings) of a block; print one summary line.

    Loops over models, layers or prompts repeat the same warning many times; the summary says
    how many there were and shows the most frequent distinct messages once each.

    Parameters
    ----------
    what : str, default "this cell"
        Named in the summary line.
    show : int, default 3
        Distinct messages shown (most frequent first, each cut to 160 characters).

    Yields
    ------
    list of str
        The collected messages (filled when the block ends).

    Examples
    --------
    >>> with collect_warnings("demo") as caught:
    ...     warnings.warn("same"); warnings.warn("same")
    demo: 2 warnings (1 distinct): [2×] same
    """
    messages: list[str] = []

    class _Handler(logging.Handler):
        def emit(self, record):
            messages.append(record.getMessage())

    handler, logger = _Handler(level=logging.WARNING), logging.getLogger("embviz")
    logger.addHandler(handler)
    propagate, logger.propagate = logger.propagate, False
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            for message in _QUIET_WARNINGS:
                warnings.filterwarnings("ignore", message=message)
            yield messages
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate
    messages[:0] = [str(w.message) for w in caught]
    if not messages:
        print(f"{what}: no warnings")
        return
    counts = Counter(messages)
    shown = "; ".join(f"[{c}×] {m[:160]}" for m, c in counts.most_common(show))
    print(f"{what}: {len(messages)} warnings ({len(counts)} distinct): {shown}")
