"""``embviz.explore`` served by ``panel serve``, over a synthetic labelled corpus of
``$EMBVIZ_SYNTHETIC_N`` points (default 1,000,000): precomputed vectors, so no model runs.

The vectors are 50 Gaussian clusters in 16 dimensions; texts are ``"point <i> of <label>"``
and ids ``"p<i>"``. Used by the browser tests and by ``bench/explorer_first_map.py``.
"""

import os

import numpy as np
import pandas as pd
import panel as pn

import embviz


def synthetic_set(n: int, n_labels: int = 50, dim: int = 16, random_state: int = 0):
    rng = np.random.default_rng(random_state)
    labels = rng.integers(0, n_labels, n)
    centers = rng.normal(scale=4.0, size=(n_labels, dim)).astype(np.float32)
    vectors = centers[labels] + rng.normal(size=(n, dim)).astype(np.float32)
    names = np.array([f"topic {i:02d}" for i in range(n_labels)], dtype=object)
    meta = pd.DataFrame({"id": [f"p{i}" for i in range(n)],
                         "text": [f"point {i} of {names[j]}" for i, j in enumerate(labels)],
                         "label": names[labels]})
    return embviz.EmbeddingSet(vectors, meta, {"source": "synthetic"})


if __name__.startswith("bokeh_app"):  # run by `panel serve`; importing only defines the data
    pn.extension("plotly", "tabulator", notifications=True)
    N = int(os.environ.get("EMBVIZ_SYNTHETIC_N", 1_000_000))
    embviz.explore(synthetic_set(N), source=f"synthetic, n={N:,}").servable(
        title="embviz explorer")
