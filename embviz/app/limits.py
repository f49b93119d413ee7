"""The explorer's limits on what a browser can ask for, checked on the server.

A browser can send any widget value (a slider's bounds, an input's maximum length and a
file input's size limit live in the page and can be forged), so every value that decides how
much work a job does is checked here, in Python, by the method that starts the job, before
any work begins. Out-of-range values raise :class:`LimitError` (a ``ValueError``) whose
message names the argument and the allowed range; the runner shows it in the page.

Environment
-----------
``EMBVIZ_MAX_ROWS``
    Texts one corpus may have: a bundled sample's ``n`` and an uploaded table's rows
    (default 200,000; a Parquet file's row count is read from its metadata before reading).
``EMBVIZ_MAX_UPLOAD_MB``
    Size of one uploaded file in megabytes (default 50). A page holds at most one unfinished
    upload per upload widget, so the bytes of unfinished uploads of one page are bounded by
    its widgets (three) times this.
``EMBVIZ_MAX_UPLOAD_VALUES``
    Values (cells, counting every element of a list cell such as a vector) an uploaded
    Parquet table may declare, and values of an uploaded ``.npy`` array (default 20,000,000);
    read from the file's metadata or header before its data.
``EMBVIZ_MAX_DECODED_MB``
    Size an uploaded file may decode to, in megabytes (default 500): a Parquet file's
    uncompressed pages as its metadata declares them, a ``.npy`` array's bytes as its header
    declares them.
``EMBVIZ_MAX_JOBS``
    Heavy jobs run at once across all sessions of the server (default 2); see
    :mod:`embviz.app.jobs`.
"""

from __future__ import annotations

import os

__all__ = ["LAYER_SAMPLE", "LASSO_WORK", "LimitError", "MAX_LASSO_VERTICES", "MAX_PROMPT_CHARS",
           "MAX_QUERY_CHARS", "MIN_LASSO_VERTICES", "MIN_N", "N_PERMUTATIONS", "SAE_STEPS",
           "TIME_WINDOWS", "check_integer", "check_layer", "check_n", "check_query",
           "check_text_length", "lasso_vertices", "max_decoded_bytes", "max_rows",
           "max_upload_bytes", "max_upload_values"]

#: Longest prompt (prefix added to every text), in characters. A 100,000-character prompt
#: took the server from 0.7 to 5.5 GB (tokenised once per text).
MAX_PROMPT_CHARS = 5_000
#: Longest map query text, in characters (the query is embedded like one more text).
MAX_QUERY_CHARS = 2_000
#: Smallest sample of a bundled corpus.
MIN_N = 50
#: ``(low, high)`` of the Compare view's permutations per test.
N_PERMUTATIONS = (100, 5_000)
#: ``(low, high)`` of the Compare view's time windows.
TIME_WINDOWS = (2, 50)
#: ``(low, high)`` of the Concepts view's SAE training steps.
SAE_STEPS = (50, 20_000)
#: ``(low, high)`` of the Geometry view's texts re-embedded at every layer.
LAYER_SAMPLE = (200, 20_000)

#: Most vertices of a lasso the server tests points against. A lasso is simplified (every
#: how-many-th vertex kept) to at most this many, and fewer on a large map (:data:`LASSO_WORK`):
#: a forged lasso of 200,000 vertices over 5,000 points took 28 s of server CPU (the test of a
#: point is linear in the vertices). A lasso drawn by hand has a few hundred.
MAX_LASSO_VERTICES = 1_000
#: A lasso keeps at least this many vertices, however large the map.
MIN_LASSO_VERTICES = 100
#: Points x vertices one lasso may cost (matplotlib's point-in-polygon test: about 1.5 s on
#: one core at 10^8); above it the lasso is simplified further, down to MIN_LASSO_VERTICES.
LASSO_WORK = 100_000_000

_DEFAULT_MAX_ROWS = 200_000
_DEFAULT_MAX_UPLOAD_MB = 50
_DEFAULT_MAX_UPLOAD_VALUES = 20_000_000
_DEFAULT_MAX_DECODED_MB = 500


class LimitError(ValueError):
    """A value sent by the page is outside what the server allows (the message says so)."""


def max_rows() -> int:
    """Most texts in one corpus: ``$EMBVIZ_MAX_ROWS`` (default 200,000)."""
    return int(float(os.environ.get("EMBVIZ_MAX_ROWS", _DEFAULT_MAX_ROWS)))


def max_upload_bytes() -> int:
    """The upload size limit: ``$EMBVIZ_MAX_UPLOAD_MB`` megabytes (default 50)."""
    return int(float(os.environ.get("EMBVIZ_MAX_UPLOAD_MB", _DEFAULT_MAX_UPLOAD_MB)) * 1_000_000)


def max_upload_values() -> int:
    """Values an uploaded table or array may declare: ``$EMBVIZ_MAX_UPLOAD_VALUES``
    (default 20,000,000)."""
    return int(float(os.environ.get("EMBVIZ_MAX_UPLOAD_VALUES", _DEFAULT_MAX_UPLOAD_VALUES)))


def max_decoded_bytes() -> int:
    """Bytes an uploaded file may decode to: ``$EMBVIZ_MAX_DECODED_MB`` megabytes (default
    500)."""
    return int(float(os.environ.get("EMBVIZ_MAX_DECODED_MB", _DEFAULT_MAX_DECODED_MB))
               * 1_000_000)


def lasso_vertices(n_points: int) -> int:
    """How many vertices a lasso over ``n_points`` points keeps at most.

    Examples
    --------
    >>> lasso_vertices(5_000), lasso_vertices(1_000_000), lasso_vertices(10_000_000)
    (1000, 100, 100)
    """
    return int(min(MAX_LASSO_VERTICES, max(MIN_LASSO_VERTICES, LASSO_WORK // max(n_points, 1))))


def check_integer(name: str, value, low: int, high: int, why: str = "") -> int:
    """``value`` as an int if ``low <= value <= high``, else a :class:`LimitError`.

    Parameters
    ----------
    name : str
        The argument's name as the page shows it (``"n"``, ``"steps"``).
    value : int
        What the page sent; booleans and non-integers are refused too.
    low, high : int
        The allowed range, both ends included.
    why : str, optional
        What sets the range (``"wordnet has 117,659 texts"``), added to the message.

    Examples
    --------
    >>> check_integer("steps", 600, 50, 20_000)
    600
    >>> check_integer("steps", 10**9, 50, 20_000)
    Traceback (most recent call last):
    ...
    embviz.app.limits.LimitError: steps must be an integer from 50 to 20,000; got 1,000,000,000
    """
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        shown = f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else (
            repr(value)[:40])
        raise LimitError(f"{name} must be an integer from {low:,} to {high:,}"
                         f"{f' ({why})' if why else ''}; got {shown}")
    return int(value)


def check_text_length(name: str, text, limit: int) -> str:
    """``text`` if it is a string of at most ``limit`` characters, else a :class:`LimitError`.

    Examples
    --------
    >>> check_text_length("prompt", "query: ", MAX_PROMPT_CHARS)
    'query: '
    """
    if not isinstance(text, str):
        raise LimitError(f"{name} must be text; got {type(text).__name__}")
    if len(text) > limit:
        raise LimitError(f"{name} must be at most {limit:,} characters; got {len(text):,}")
    return text


def check_query(text: str) -> str:
    """A map query text of at most :data:`MAX_QUERY_CHARS` characters (what the Map view
    calls before embedding a query)."""
    return check_text_length("query", text, MAX_QUERY_CHARS)


def check_n(n, dataset: str, dataset_rows: int) -> int:
    """A bundled sample size: from :data:`MIN_N` to the dataset's size and :func:`max_rows`."""
    high = min(dataset_rows, max_rows())
    why = (f"{dataset} has {dataset_rows:,} texts" if high == dataset_rows
           else "the server's limit, EMBVIZ_MAX_ROWS")
    return check_integer("n", n, min(MIN_N, high), high, why)


def check_layer(layer, n_layers: int | None) -> int:
    """A hidden-state index: ``-n_layers - 1 <= layer <= n_layers`` (index 0 is the embedding
    layer's output, so a model of ``n_layers`` blocks has ``n_layers + 1`` states)."""
    if n_layers is None:
        return check_integer("layer", layer, -1, -1, "the model's depth is unknown")
    return check_integer("layer", layer, -n_layers - 1, n_layers,
                         f"the model has {n_layers} layers")
