"""Execute the curated notebooks in place at their full-size parameters.

Every notebook's ``parameters`` cell holds small CI defaults and, in a comment, the full-size
settings; :data:`FULL` repeats those settings so that the committed outputs can be regenerated
with one command. Each notebook is executed by papermill *in place* (its outputs and its
injected-parameters cell are overwritten), with ``notebooks/`` as the working directory, so the
figures land in ``notebooks/figures/`` (git-ignored).

Examples
--------
Run one or more notebooks by name (no ``.ipynb``), one after another::

    .venv/bin/python notebooks/run_full_size.py 02_hubness_reduction
    .venv/bin/python notebooks/run_full_size.py 01_quickstart 03_redundancy_isotropy_id

Without arguments every notebook in :data:`FULL` is run, in order (about 45 minutes on a 2-core
CPU with a warm embedding cache, longer from scratch; embeddings are cached in
``~/.cache/embviz``). The wall time of each notebook is printed. Run one at a time: the models
use every core.

Notes
-----
Each setting should fit in about 15 minutes on a 2-core CPU; where a paper-scale setting would
not, the value here is the largest one that fits and the notebook's parameters-cell comment says
so. Every notebook is committed at these settings; ``notebooks/README.md`` lists the committed
sizes and wall times.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

NOTEBOOKS = Path(__file__).resolve().parent

#: Full-size parameters per notebook (as stated in each notebook's parameters-cell comment).
FULL: dict[str, dict] = {
    "01_quickstart": {"N": 5000, "LOCAL_K": 128},
    "02_hubness_reduction": {"N": 5000, "N_RESAMPLES": 1000, "CV_PROTOCOL": True},
    "03_redundancy_isotropy_id": {"N": 3000, "N_FIT": 1000, "N_DRAWS": 5, "N_SEEDS": 5,
                                  "N_RESAMPLES": 2000, "N_HALVES": 100},
    "04_whitening": {"MODELS": {"minilm": ["mean", "cls", "max"],
                                "mpnet": ["mean", "cls", "max"],
                                "smollm2-135m": ["mean", "last", "max"]},
                     "SENTENCE_FIT": {"minilm": ["mean"], "mpnet": ["mean"],
                                      "smollm2-135m": ["mean"]},
                     "N_RESAMPLES": 1000},
    "05_local_id_training": {"N_TRAIN": 2000, "N_VAL": 300, "N_OOD": 300, "SEEDS": [0, 1, 2],
                             "STEPS": 80, "EVAL_EVERY": 10, "LOCAL_K": 128,
                             "MAX_TOKENS": 2000, "SMOL_TEXTS": 300, "TOKEN_LOCAL_K": 128,
                             "SMOL_LAYERS": [1, 3, 6, 9, 12, 15, 18, 21, 24, 27, 30]},
    "06_sae_concepts": {"WORDNET_N": 20000, "STEPS": 600, "BIBLE_VERSES": 3000,
                        "N_PERMUTATIONS": 50},
    "07_drift": {"N_VERSES": 5000, "N_PERMUTATIONS": 1000,
                 "POWER_SIZES": [10, 25, 50, 100, 200],
                 "POWER_SHARES": [0.0, 0.1, 0.25, 0.5, 0.75, 1.0], "N_RESAMPLES": 100,
                 "PERIODS": 6, "PER_PERIOD": 100, "ICL_QUERIES": 200, "ICL_POOL": 60},
    "08_model_comparison": {"N": 5000, "MAP": "umap", "N_PERMUTATIONS": 200},
    "09_layerwise_geometry": {"N": 3000, "LOCAL_K": 128, "N_DRAWS": 5, "N_RESAMPLES": 3000,
                              "N_TOKEN_TEXTS": 100},
    "10_unsupervised_alignment": {"N_FIT": 2000, "N_TEST": 1000, "DIMS": [16, 32, 64],
                                  "MAX_ITER": 100, "SIZES": [500, 1000, 1500],
                                  "N_RESAMPLES": 100, "N_RESTARTS": 5},
    "11_embedding_limits": {"DIMS": [4, 6, 8, 10, 12, 14, 16], "REPEAT_DIMS": [4, 6, 8],
                            "N_SEEDS": 3,
                            "PATIENCE": 1000, "MAX_STEPS": 100000, "POLYTOPE_N": 200,
                            "N_PEOPLE": 46, "N_QUERIES": 1000, "N_DISTRACTORS": 454,
                            "MODELS": ["minilm", "mpnet"]},
}


def run(name: str, kernel_name: str = "embviz") -> float:
    """Execute ``notebooks/<name>.ipynb`` in place with ``FULL[name]``; return seconds."""
    import papermill

    path = str(NOTEBOOKS / f"{name}.ipynb")
    start = time.perf_counter()
    papermill.execute_notebook(path, path, parameters=FULL[name], kernel_name=kernel_name,
                               cwd=str(NOTEBOOKS), progress_bar=False)
    return time.perf_counter() - start


def main(argv: list[str]) -> int:
    names = argv or list(FULL)
    unknown = [n for n in names if n not in FULL]
    if unknown:
        print(f"unknown notebook(s): {', '.join(unknown)}; choose from {', '.join(FULL)}",
              file=sys.stderr)
        return 2
    for name in names:
        print(f"{name}: running with {FULL[name]}", flush=True)
        seconds = run(name)
        print(f"{name}: done in {seconds / 60:.1f} min ({seconds:.0f} s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
