"""Runs inside the separate DADApy virtual environment (never the project's): TwoNN and Gride
on every saved array of a folder; prints one JSON line with the estimates and their times.

    <dadapy venv>/bin/python bench/id_accuracy_dadapy_worker.py FOLDER

FOLDER holds ``<manifold>.npy`` files. For each: ``Data(X).compute_id_2NN()`` (linear fit, the
largest 10% of the ratios discarded: DADApy's defaults ``algorithm="base"``,
``mu_fraction=0.9``) and ``Data(X).return_id_scaling_gride(range_max=8)``, whose third scale is
Gride at n1 = 4, n2 = 8 (DADApy 0.3.4 has no single-scale ``compute_id_gride``; its scales are
n1 = 1, 2, 4, ... with n2 = 2 n1). Each estimate gets a fresh ``Data`` so its time includes
its own neighbour search.
"""

import json
import sys
import time
import warnings
from importlib.metadata import version
from pathlib import Path


def _timed(fn):
    start = time.perf_counter()
    try:
        return {"estimate": float(fn()), "seconds": time.perf_counter() - start}
    except Exception as err:  # noqa: BLE001 - reported to the benchmark, never fatal
        return {"error": f"{type(err).__name__}: {str(err)[:200]}"}


def main() -> None:
    import numpy as np
    from dadapy import Data

    warnings.simplefilter("ignore")
    out = {"version": version("dadapy"), "results": {}}
    for path in sorted(Path(sys.argv[1]).glob("*.npy")):
        X = np.load(path, allow_pickle=False).astype(np.float64)
        out["results"][path.stem] = {
            "twonn": _timed(lambda X=X: Data(X, verbose=False).compute_id_2NN()[0]),
            "gride": _timed(lambda X=X: Data(X, verbose=False).return_id_scaling_gride(
                range_max=8)[0][2]),
        }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
