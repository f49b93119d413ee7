"""Runs inside the separate alibi-detect virtual environment (never the project's): one
MMDDrift (pytorch backend) on saved arrays; prints a JSON line with time, peak RSS, p-value.

    <alibi venv>/bin/python bench/drift_alibi_worker.py a.npy b.npy SIGMA N_PERMUTATIONS
"""

import json
import sys
import time


def _status_gb(field: str) -> float:
    with open("/proc/self/status") as fh:
        line = next(line for line in fh if line.startswith(field))
    return int(line.split()[1]) / 2**20


def main() -> None:
    import numpy as np
    import torch
    from alibi_detect.cd import MMDDrift

    a = np.load(sys.argv[1], allow_pickle=False)
    b = np.load(sys.argv[2], allow_pickle=False)
    sigma, n_perm = float(sys.argv[3]), int(sys.argv[4])
    torch.manual_seed(int(sys.argv[5]) if len(sys.argv) > 5 else 0)
    rss_before = _status_gb("VmRSS")
    start = time.perf_counter()
    try:
        detector = MMDDrift(a, backend="pytorch", p_val=0.05, sigma=np.array([sigma]),
                            configure_kernel_from_x_ref=False, n_permutations=n_perm,
                            device="cpu")
        pred = detector.predict(b)["data"]
        out = {"ok": True, "mmd2": float(pred["distance"]), "p_value": float(pred["p_val"])}
    except (RuntimeError, MemoryError) as err:  # torch raises RuntimeError when out of memory
        out = {"ok": False, "error": f"{type(err).__name__}: {str(err)[:200]}"}
    out.update(seconds=time.perf_counter() - start, peak_gb=_status_gb("VmHWM"),
               rss_before_gb=rss_before,
               versions={"alibi-detect": __import__("alibi_detect").__version__,
                         "torch": torch.__version__})
    print(json.dumps(out))


if __name__ == "__main__":
    main()
