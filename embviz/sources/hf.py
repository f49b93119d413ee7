"""Hugging Face ``datasets``: a saved dataset, local data files, or a hub id."""

from __future__ import annotations

from pathlib import Path

from ._arrow import ArrowSource, embedding_set_from_arrow, find_vector_column, is_vector_type
from ._extras import require

__all__ = ["read_hf_dataset"]

#: Files that mark a folder written by ``Dataset.save_to_disk`` / ``DatasetDict.save_to_disk``.
_SAVED_MARKERS = ("state.json", "dataset_info.json", "dataset_dict.json")
#: The ``datasets`` builder of each data-file suffix.
_BUILDERS = {".parquet": "parquet", ".arrow": "arrow", ".csv": "csv", ".json": "json",
             ".jsonl": "json"}


def read_hf_dataset(source: str | Path, text_column: str = "text",
                    vector_column: str | None = None, split: str | None = None,
                    label_column: str | None = None, group_column: str | None = None,
                    time_column: str | None = None, id_column: str | None = None,
                    model: str = "minilm", embed_options: dict | None = None,
                    cache_dir: str | Path | None = None):
    """An EmbeddingSet from a Hugging Face dataset, with or without a vector column.

    Parameters
    ----------
    source : str or Path
        A folder written by ``save_to_disk`` (read with ``datasets.load_from_disk``, memory-
        mapped), a local data file or folder of them (``.parquet``, ``.arrow``, ``.csv``,
        ``.json``/``.jsonl``; read with ``datasets.load_dataset(<format>, data_files=...)``),
        or a hub id such as ``"user/name"`` where a hub is reachable.
    text_column : str, default "text"
    vector_column : str, optional
        A column of vectors (a list or fixed-size list of numbers per row, e.g. the feature
        ``Sequence(Value("float32"), length=384)``); default the dataset's only such column.
        When the dataset has none, its texts are embedded with ``model`` (through the
        chunked cache, see :func:`embviz.embed_corpus`).
    split : str, optional
        The split of a dataset with several (``"train"``, ...); required then.
    label_column, group_column, time_column, id_column : str, optional
        As in :func:`embviz.read_corpus`.
    model : str, default "minilm"
        Model that embeds the texts when there is no vector column.
    embed_options : dict, optional
        More arguments of :func:`embviz.embed_corpus` (``pooling``, ``layer``, ``client``,
        ``cache_dir``, ``progress``, ...).
    cache_dir : path, optional
        ``datasets``' own cache, where ``load_dataset`` converts data files to Arrow.

    Returns
    -------
    EmbeddingSet
        ``provenance["source"]`` names the dataset, split, its Arrow files and columns; embedded
        texts also carry the model's provenance.

    Raises
    ------
    ImportError
        Without ``datasets`` (``pip install 'embviz[hf]'``).
    ValueError
        An unknown split, a missing column, bad vectors (see
        :func:`~embviz.sources.read_vector_file`), a hub that cannot be reached.
    """
    dataset, how = _load(source, split, cache_dir)
    what = f"Hugging Face dataset {str(source)!r}"
    table = dataset.with_format("arrow")[:]
    roles = dict(text_column=text_column, label_column=label_column, group_column=group_column,
                 time_column=time_column, id_column=id_column)
    described = {"kind": "huggingface", "dataset": str(source), "loaded_with": how,
                 "split": str(dataset.split) if dataset.split is not None else split,
                 "files": [f["filename"] for f in dataset.cache_files]}
    if vector_column is None and not any(is_vector_type(f.type) for f in table.schema):
        return _embed(table, what, roles, described, model, embed_options or {})
    find_vector_column(table.schema, vector_column, what)
    return embedding_set_from_arrow(ArrowSource.from_table(table), what, vector_column, roles,
                                    described, mapped=bool(dataset.cache_files))


def _load(source, split: str | None, cache_dir):
    datasets = require("datasets", "read_hf_dataset")
    path = Path(source)
    if path.is_dir() and any((path / marker).exists() for marker in _SAVED_MARKERS):
        loaded, how = datasets.load_from_disk(str(path)), "load_from_disk"
    elif path.exists():
        builder, files = _data_files(path)
        loaded = datasets.load_dataset(builder, data_files=files, split=split or "train",
                                       cache_dir=None if cache_dir is None else str(cache_dir))
        how = f"load_dataset({builder!r})"
    else:
        loaded, how = _from_hub(datasets, str(source), split, cache_dir), "load_dataset(hub)"
    return _one_split(loaded, split, source), how


def _data_files(path: Path) -> tuple[str, list[str]]:
    files = [path] if path.is_file() else sorted(
        p for p in path.iterdir() if p.suffix.lower() in _BUILDERS)
    builders = {_BUILDERS.get(p.suffix.lower()) for p in files}
    if not files or None in builders or len(builders) > 1:
        raise ValueError(f"{path} holds no data files of one kind: expected a saved dataset "
                         f"(save_to_disk) or files with one of the suffixes "
                         f"{sorted(_BUILDERS)}")
    return builders.pop(), [str(p) for p in files]


def _from_hub(datasets, name: str, split: str | None, cache_dir):
    try:
        return datasets.load_dataset(name, split=split,
                                     cache_dir=None if cache_dir is None else str(cache_dir))
    except (ConnectionError, OSError, ValueError) as err:  # offline, unknown id, no such split
        raise ValueError(f"{name!r} is neither a local dataset folder or file nor a Hugging Face "
                         f"hub dataset that could be loaded here ({type(err).__name__}: "
                         f"{err}); without a hub, save it with save_to_disk or pass its "
                         f"Parquet / Arrow files") from None


def _one_split(loaded, split: str | None, source):
    if not hasattr(loaded, "keys"):  # a Dataset
        return loaded
    names = list(loaded.keys())
    if split is None and len(names) == 1:
        return loaded[names[0]]
    if split not in names:
        raise ValueError(f"split={split!r} is not a split of {str(source)!r}; its splits are "
                         f"{names}")
    return loaded[split]


def _embed(table, what: str, roles: dict, described: dict, model: str, options: dict):
    """A text-only dataset: its texts embedded, the dataset named in the provenance."""
    from ..datasets import _corpus_from_frame
    from ..embed import embed_corpus

    if table.num_rows == 0:
        raise ValueError(f"{what} has no rows: expected at least one text")
    corpus = _corpus_from_frame(table.to_pandas(), what, **roles)
    data = embed_corpus(corpus, model=model, **options)
    data.provenance["source"] = {**described, "n": len(data), **roles, "embedded": True}
    return data
