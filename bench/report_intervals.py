"""Cost of the geometry report's intervals: the report with ``ci=True`` against without.

    .venv/bin/python bench/report_intervals.py                 # 20,000 WordNet glosses, minilm
    .venv/bin/python bench/report_intervals.py --n 5000 --repeats 3

Both reports run on the same vectors with their own kNN graph (the one with intervals builds
it wide enough for the half-samples' graphs, :func:`embviz.neighbors.subgraph_width`), labels
included (k-NN error), default sizes (k=10, mle_k=20, local_k=128) and the default
``n_resamples`` (40 half-samples; local ID on 1,000 probe points of the first 16). Medians of
``--repeats`` runs. Goal (issue 15): with intervals <= 3x without, at 20k x 384.
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args(argv)

    import embviz
    from embviz.metrics import geometry_report

    es = embviz.embed_corpus(embviz.load_dataset("wordnet", n=args.n, random_state=0),
                             model="minilm", progress=False)
    labels = es.meta["label"].to_numpy()
    warnings.simplefilter("ignore")  # duplicate glosses: the report says so once per run
    plain, with_ci = [], []
    for _ in range(args.repeats):
        plain.append(_timed(lambda: geometry_report(es, labels=labels, progress=False)))
        with_ci.append(_timed(lambda: geometry_report(es, labels=labels, ci=True,
                                                      progress=False)))
    table = geometry_report(es, labels=labels, ci=True, progress=False)
    print(table.to_string(index=False, float_format=lambda v: f"{v:.4g}", max_colwidth=60))
    a, b = statistics.median(plain), statistics.median(with_ci)
    print(f"\n{args.n:,} x {es.dim}: report {a:.1f} s, with intervals {b:.1f} s "
          f"(median of {args.repeats}); ratio {b / a:.2f} (goal <= 3)")


if __name__ == "__main__":
    main()
