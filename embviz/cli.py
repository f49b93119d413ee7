"""The ``embviz`` command: embed corpora, list models and corpora, write a geometry summary."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from ._tables import display_table, with_labels
from .datasets import _CORPORA, load_dataset, read_corpus
from .embed.pooling import POOLINGS
from .exploration import N_RESAMPLES

_EPILOG = """examples:
  embviz models                         which models are installed
  embviz datasets                       the bundled corpora
  embviz embed lee --out out/lee        embed a corpus with the default model (minilm)
  embviz embed my.csv --text-column body --label-column topic --model mpnet --out out/my
  embviz embed fortunes --n 2000 --layers 0,3,6 --out out/layers
  embviz summary default --out results  the main job: embed, measure, draw a map
  embviz embed big.parquet --text-column body --scheduler tcp://10.0.0.5:8786 --out out/big
                                        embed on a Dask cluster (chunks of the shared cache)
  embviz summary out/big --out results  a saved EmbeddingSet: measure and map its vectors
  embviz summary vectors.parquet --vector-column emb --mmap out/v.npy --out results
  embviz summary vectors.npy --meta rows.parquet --out results   (memory-mapped)
  embviz summary hf:user/name --split train --out results        (Hugging Face datasets)
  embviz summary lancedb:db/ --table docs --out results          (also chroma:PATH --collection)
"""


def _corpus_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("corpus", metavar="SOURCE",
                   help=f"a bundled corpus ({', '.join([*_CORPORA, 'default'])}); a CSV / TSV / "
                        f"JSONL / Parquet file of texts; a Parquet / Arrow / Feather file with a "
                        f"vector column; a .npy (with --meta); a folder saved by `embviz embed` "
                        f"or by datasets' save_to_disk; hf:NAME (a Hugging Face dataset); "
                        f"lancedb:PATH (with --table); chroma:PATH (with --collection)")
    p.add_argument("--n", type=int, help="sample this many rows (label-stratified)")
    p.add_argument("--seed", type=int, default=0,
                   help="seed of the sample, and of the summary's half-samples (default 0)")
    p.add_argument("--text-column", help="text column of a file or table (default text; "
                                         "document for Chroma)")
    p.add_argument("--label-column", help="label column of a file")
    p.add_argument("--group-column", help="group column of a file")
    p.add_argument("--time-column", help="time column of a file")
    source = p.add_argument_group("vector sources")
    source.add_argument("--vector-column",
                        help="column of vectors (default: the only list-of-numbers column)")
    source.add_argument("--meta", help="table of the rows of a .npy (CSV / Parquet / JSONL)")
    source.add_argument("--table", help="LanceDB table")
    source.add_argument("--collection", help="Chroma collection")
    source.add_argument("--split", help="split of a Hugging Face dataset")
    source.add_argument("--mmap", type=Path, metavar="NPY",
                        help="stream the vectors of a Parquet / Arrow file or LanceDB table "
                             "into this .npy and memory-map it (larger than memory)")


def _model_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", default="minilm",
                   help="registered name (see `embviz models`), model folder or hub id "
                        "(default minilm)")
    p.add_argument("--pooling", choices=POOLINGS,
                   help="default: mean for encoders, last for causal LMs")
    p.add_argument("--prompt", help="instruction prefix prepended to every text")
    p.add_argument("--max-length", type=int, help="token limit (longer texts are truncated)")
    p.add_argument("--normalize", action="store_true", help="L2-normalise the vectors")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--device", default="auto", help="auto (CUDA, MPS, CPU), cpu, cuda or mps")
    p.add_argument("--no-cache", action="store_true", help="do not read or write the cache")
    p.add_argument("--cache-dir", type=Path, help="cache root (default $EMBVIZ_CACHE or "
                                                  "~/.cache/embviz); with --scheduler, a "
                                                  "folder every worker shares")
    p.add_argument("--chunk-size", type=int, default=1024,
                   help="texts per cached chunk: the unit of work on a cluster")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="embed on Dask: a scheduler address (tcp://host:8786, e.g. of a "
                        "dask-jobqueue or dask-cuda cluster) or 'local' for a LocalCluster "
                        "of one single-threaded worker per core")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="embviz", formatter_class=argparse.RawDescriptionHelpFormatter, epilog=_EPILOG,
        description="Compute embeddings, measure their geometry and draw them.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    models = sub.add_parser("models", help="list the registered models and their status")
    models.add_argument("--prepare", action="store_true",
                        help="assemble every installed model's folder now (done once)")
    sub.add_parser("datasets", help="list the bundled corpora")
    embed = sub.add_parser("embed", help="embed a corpus and save an EmbeddingSet",
                           formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    _corpus_arguments(embed)
    _model_arguments(embed)
    embed.add_argument("--layers", help="comma-separated hidden-state indices (0 = embeddings, "
                                        "-1 = last); several write one folder per layer",
                       default="-1")
    embed.add_argument("--out", required=True, type=Path, help="output folder")
    summary = sub.add_parser("summary", help="embed a corpus, write its geometry report "
                                             "(isotropy, intrinsic dimension, hubness) and a "
                                             "PCA map (CSV, HTML, PNG, PDF)")
    _corpus_arguments(summary)
    _model_arguments(summary)
    summary.add_argument("--out", type=Path, default=Path("results"), help="output folder")
    summary.add_argument("--ci", action="store_true",
                         help=f"95%% intervals of every measure by half-sampling "
                              f"({N_RESAMPLES} halves of n/2 texts, as in the explorer)")
    summary.add_argument("--no-landscape", dest="landscape", action="store_false",
                         help="skip the regions (named, with a labelled map), the map's "
                              "trust, duplicates and outliers")
    summary.add_argument("--duplicate-threshold", type=float, default=0.05,
                         help="largest distance (1 - cos) of a near duplicate")
    summary.add_argument("--leakage", metavar="COLUMN:A:B",
                         help="rows whose COLUMN is B with a near duplicate among rows whose "
                              "COLUMN is A (e.g. split:train:test), written to leakage.csv")
    return parser


def _is_corpus(args) -> bool:
    """Whether SOURCE is texts to embed here (a bundled corpus or a file without vectors)."""
    from .sources.spec import SOURCE_PREFIXES, source_kind

    if args.corpus in (*_CORPORA, "default"):
        return True
    try:
        return source_kind(args.corpus)[0] == "corpus_file"
    except FileNotFoundError:
        raise SystemExit(f"embviz: corpus {args.corpus!r} is neither a bundled corpus "
                         f"({', '.join([*_CORPORA, 'default'])}) nor an existing file or "
                         f"folder (databases: {', '.join(SOURCE_PREFIXES)})") from None


def _load_corpus(args) -> pd.DataFrame:
    if args.corpus in (*_CORPORA, "default"):
        return load_dataset(args.corpus, n=args.n, random_state=args.seed)
    df = read_corpus(Path(args.corpus), text_column=args.text_column or "text",
                     label_column=args.label_column, group_column=args.group_column,
                     time_column=args.time_column)
    if args.n is not None and args.n < len(df):
        df = df.sample(args.n, random_state=args.seed).sort_index().reset_index(drop=True)
    return df


def _embed_options(args, client) -> dict:
    return dict(pooling=args.pooling, prompt=args.prompt, max_length=args.max_length,
                normalize=args.normalize, batch_size=args.batch_size, device=args.device,
                cache=not args.no_cache, cache_dir=args.cache_dir, chunk_size=args.chunk_size,
                client=client)


def _load(args, layers: list[int], client) -> list:
    """One EmbeddingSet per layer: texts embedded here (on Dask with a client), or the
    vectors of a source (one 'layer', as stored)."""
    from .embed import embed_corpus_layers
    from .sources import read_source

    if _is_corpus(args):
        return embed_corpus_layers(_load_corpus(args), layers, model=args.model,
                                   **_embed_options(args, client))
    if layers != [-1]:
        raise ValueError("--layers applies to texts embedded here; this source's vectors are "
                         "read as stored")
    data = read_source(args.corpus, vector_column=args.vector_column,
                       text_column=args.text_column, label_column=args.label_column,
                       group_column=args.group_column, time_column=args.time_column,
                       meta=args.meta, table=args.table, collection=args.collection,
                       split=args.split, mmap_path=args.mmap, model=args.model,
                       embed_options=_embed_options(args, client))
    if args.n is not None and args.n < len(data):
        rows = np.sort(np.random.default_rng(args.seed).choice(len(data), args.n,
                                                                replace=False))
        data = data.subset(rows)
    return [data]


@contextlib.contextmanager
def _dask_client(address: str | None):
    """A Dask client for ``--scheduler`` (closed afterwards), or None."""
    if address is None:
        yield None
        return
    from .sources._extras import require

    distributed = require("distributed", "--scheduler")
    if address == "local":
        environ = dict(os.environ)
        with distributed.LocalCluster(threads_per_worker=1) as cluster:
            # the nanny set OMP_NUM_THREADS=1 (and MKL's, OpenBLAS's) here too, for its
            # workers: the driver's own kNN search and report keep every core
            os.environ.clear()
            os.environ.update(environ)
            with distributed.Client(cluster) as client:
                yield client
        return
    with distributed.Client(address) as client:
        yield client


def _describe(data) -> str:
    """How the vectors were made: the model, or the source they were read from."""
    prov = data.provenance
    if "model" in prov:
        return (f"{len(data)} texts embedded with {prov['model']['name']} ({data.dim}-d, "
                f"{prov.get('n_truncated', 0)} truncated)")
    source = prov.get("source", {})
    return (f"{len(data)} vectors of {data.dim}-d from {source.get('kind', 'a file')} "
            f"({source.get('storage', 'in memory')})")


def _cmd_models(args) -> None:
    from .embed.models import list_models, resolve_model

    table = list_models()
    if args.prepare:
        for name in table.loc[table["installed"], "name"]:
            start = time.perf_counter()
            resolve_model(name)
            print(f"prepared {name} ({time.perf_counter() - start:.1f} s)", file=sys.stderr)
        table = list_models()
    print(table.drop(columns=["installed"]).to_string(index=False))


def _cmd_datasets(args) -> None:
    from .datasets import list_datasets

    print(list_datasets().to_string(index=False))


def _cmd_embed(args) -> None:
    try:
        layers = [int(x) for x in args.layers.split(",")]
    except ValueError:
        raise SystemExit(f"embviz: --layers must be comma-separated integers, "
                         f"got {args.layers!r}") from None
    with _dask_client(args.scheduler) as client:
        sets = _load(args, layers, client)
    for layer, es in zip(layers, sets):
        out = args.out if len(sets) == 1 else args.out / f"layer_{es.provenance['layer']:02d}"
        es.save(out)
        print(f"wrote {out}: {_describe(es)}" + (f" (layer {layer})" if len(sets) > 1 else ""))


def _cmd_summary(args) -> None:
    from .exploration import MAX_MAP_POINTS, Exploration
    from .metrics.resampling import INTERVAL_NOTE
    from .viz import scatter_map
    from .viz.geometry import id_scale_figure

    with _dask_client(args.scheduler) as client:
        es = _load(args, [-1], client)[0]
    args.out.mkdir(parents=True, exist_ok=True)
    written = [args.out / "summary.csv"]
    if "model" in es.provenance:  # vectors made here: keep them (a source keeps its own)
        es.save(args.out / "embeddings")
    # the explorer's decisions: report sizes, labels, map colour, sample and seed
    exploration = Exploration(es, random_state=args.seed,
                              map_cache=False if args.no_cache else None)
    table = exploration.geometry(ci=args.ci)
    with_labels(table).to_csv(args.out / "summary.csv", index=False)
    name = es.provenance.get("model", {}).get("name") or es.provenance["source"]["kind"]
    fig = scatter_map(exploration.coords("pca"), es.meta, color=exploration.default_color,
                      axis_title="PC", max_points=MAX_MAP_POINTS,
                      random_state=exploration.random_state,
                      title=f"{Path(args.corpus).name} · {name} · PCA")
    written += _export(fig, args.out / "map", width="double", height=480)
    curve, calibrated = exploration.id_scales()
    curve.to_csv(args.out / "id_scales.csv", index=False)
    written.append(args.out / "id_scales.csv")
    written += _export(id_scale_figure(curve, calibrated,
                                       title=f"{Path(args.corpus).name} · {name}"),
                       args.out / "id_scales", width="single", height=300)
    print(f"{args.corpus}: {_describe(es)}\n")
    shown, titles = display_table(table)
    print(shown.rename(columns=titles).to_string(index=False))
    if args.ci:
        print(f"\n{INTERVAL_NOTE}")
    if args.landscape:
        from .landscape.summary import write_landscape

        written += write_landscape(exploration, args.out, args.duplicate_threshold,
                                   args.leakage, title=f"{Path(args.corpus).name} · {name}")
    print("\nwrote " + ", ".join(str(p) for p in written))


def _export(fig, path: Path, **size) -> list[Path]:
    """HTML, PNG and PDF of ``fig``; HTML only when static export fails (no Chromium)."""
    from .viz import export_figure

    try:
        return export_figure(fig, path, formats=("html", "png", "pdf"), **size)
    except Exception as err:  # no Chromium for kaleido: keep the interactive figure
        print(f"embviz: static export of {path.name} failed ({err}); writing HTML only",
              file=sys.stderr)
        return export_figure(fig, path, formats=("html",), **size)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    commands = {"models": _cmd_models, "datasets": _cmd_datasets, "embed": _cmd_embed,
                "summary": _cmd_summary}
    try:
        commands[args.command](args)
    except (ValueError, TypeError, FileNotFoundError, ImportError) as err:
        print(f"embviz {args.command}: error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
