"""The ``embviz`` command: embed corpora, list models and corpora, write a geometry summary."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

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
"""


def _corpus_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("corpus", help=f"a bundled corpus ({', '.join([*_CORPORA, 'default'])}) or a "
                                  f"CSV / TSV / Parquet / JSONL file")
    p.add_argument("--n", type=int, help="sample this many rows (label-stratified)")
    p.add_argument("--seed", type=int, default=0,
                   help="seed of the sample, and of the summary's half-samples (default 0)")
    p.add_argument("--text-column", default="text", help="text column of a file (default text)")
    p.add_argument("--label-column", help="label column of a file")
    p.add_argument("--group-column", help="group column of a file")
    p.add_argument("--time-column", help="time column of a file")


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
    return parser


def _load_corpus(args) -> pd.DataFrame:
    if args.corpus in (*_CORPORA, "default"):
        return load_dataset(args.corpus, n=args.n, random_state=args.seed)
    path = Path(args.corpus)
    if not path.exists():
        raise SystemExit(f"embviz: corpus {args.corpus!r} is neither a bundled corpus "
                         f"({', '.join([*_CORPORA, 'default'])}) nor an existing file")
    df = read_corpus(path, text_column=args.text_column, label_column=args.label_column,
                     group_column=args.group_column, time_column=args.time_column)
    if args.n is not None and args.n < len(df):
        df = df.sample(args.n, random_state=args.seed).sort_index().reset_index(drop=True)
    return df


def _embed(args, corpus: pd.DataFrame, layers: list[int]):
    from .embed import embed_corpus_layers

    return embed_corpus_layers(corpus, layers, model=args.model, pooling=args.pooling,
                               prompt=args.prompt, max_length=args.max_length,
                               normalize=args.normalize, batch_size=args.batch_size,
                               device=args.device, cache=not args.no_cache)


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
    sets = _embed(args, _load_corpus(args), layers)
    for layer, es in zip(layers, sets):
        out = args.out if len(sets) == 1 else args.out / f"layer_{es.provenance['layer']:02d}"
        es.save(out)
        print(f"wrote {out}: {len(es)} x {es.dim} (layer {layer}, "
              f"{es.provenance['n_truncated']} truncated)")


def _cmd_summary(args) -> None:
    from .exploration import MAX_MAP_POINTS, Exploration
    from .metrics.resampling import INTERVAL_NOTE
    from .viz import export_figure, scatter_map

    corpus = _load_corpus(args)
    es = _embed(args, corpus, [-1])[0]
    args.out.mkdir(parents=True, exist_ok=True)
    es.save(args.out / "embeddings")
    # the explorer's decisions: report sizes, labels, map colour, sample and seed
    exploration = Exploration(es, random_state=args.seed,
                              map_cache=False if args.no_cache else None)
    table = exploration.geometry(ci=args.ci)
    with_labels(table).to_csv(args.out / "summary.csv", index=False)
    fig = scatter_map(exploration.coords("pca"), es.meta, color=exploration.default_color,
                      axis_title="PC", max_points=MAX_MAP_POINTS,
                      random_state=exploration.random_state,
                      title=f"{args.corpus} · {es.provenance['model']['name']} · PCA")
    written = [args.out / "summary.csv"]
    try:
        written += export_figure(fig, args.out / "map", width="double", height=480,
                                 formats=("html", "png", "pdf"))
    except Exception as err:  # no Chromium for kaleido: keep the interactive map
        print(f"embviz: static export failed ({err}); writing HTML only", file=sys.stderr)
        written += export_figure(fig, args.out / "map", width="double", formats=("html",))
    print(f"{args.corpus}: {len(es)} texts embedded with {es.provenance['model']['name']} "
          f"({es.dim}-d, {es.provenance['n_truncated']} truncated)\n")
    shown, titles = display_table(table)
    print(shown.rename(columns=titles).to_string(index=False))
    if args.ci:
        print(f"\n{INTERVAL_NOTE}")
    print("\nwrote " + ", ".join(str(p) for p in written))


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    commands = {"models": _cmd_models, "datasets": _cmd_datasets, "embed": _cmd_embed,
                "summary": _cmd_summary}
    try:
        commands[args.command](args)
    except (ValueError, TypeError, FileNotFoundError) as err:
        print(f"embviz {args.command}: error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
