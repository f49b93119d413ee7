"""One string names any source: what the command line and the app's Data view accept."""

from __future__ import annotations

from pathlib import Path

__all__ = ["SOURCE_PREFIXES", "find_sources", "read_source", "source_kind"]

#: Prefixes of sources that are not plain paths.
SOURCE_PREFIXES = {"lancedb:": "lancedb", "chroma:": "chroma", "hf:": "huggingface"}
_TEXT_SUFFIXES = (".csv", ".tsv", ".jsonl", ".ndjson")


def source_kind(source: str | Path) -> tuple[str, str]:
    """What a source string names, and where it is.

    Parameters
    ----------
    source : str or Path
        ``lancedb:PATH``, ``chroma:PATH``, ``hf:NAME`` (a hub id, or a local dataset through
        ``datasets``), a folder written by ``EmbeddingSet.save`` or by ``datasets``'
        ``save_to_disk``, a ``.npy``, a Parquet / Arrow / Feather file (with a vector column,
        or texts to embed), or a CSV / TSV / JSONL file of texts.

    Returns
    -------
    kind : {"lancedb", "chroma", "huggingface", "embedding_set", "npy", "vector_file",
            "corpus_file"}
    location : str
        The path or name without its prefix.
    """
    from .files import VECTOR_FILE_SUFFIXES, has_vector_column
    from .hf import _SAVED_MARKERS

    text = str(source)
    for prefix, kind in SOURCE_PREFIXES.items():
        if text.startswith(prefix):
            return kind, text[len(prefix):]
    path = Path(text)
    if path.is_dir():
        if (path / "provenance.json").exists():
            return "embedding_set", text
        if any((path / marker).exists() for marker in _SAVED_MARKERS):
            return "huggingface", text
        raise ValueError(f"{text} is a folder but neither a saved EmbeddingSet "
                         f"(provenance.json) nor a saved Hugging Face dataset "
                         f"({', '.join(_SAVED_MARKERS)})")
    if not path.exists():
        raise FileNotFoundError(f"source {text!r} does not exist (prefix a database with "
                                f"{', '.join(SOURCE_PREFIXES)})")
    suffix = path.suffix.lower()
    if suffix == ".npy":
        return "npy", text
    if suffix in VECTOR_FILE_SUFFIXES:
        return ("vector_file" if has_vector_column(path) else "corpus_file"), text
    if suffix in _TEXT_SUFFIXES:
        return "corpus_file", text
    raise ValueError(f"cannot tell what {text} holds: expected a folder, a .npy, one of "
                     f"{sorted(VECTOR_FILE_SUFFIXES)} or {list(_TEXT_SUFFIXES)}, or a prefix "
                     f"{list(SOURCE_PREFIXES)}")


def read_source(source: str | Path, vector_column: str | None = None,
                text_column: str | None = None, label_column: str | None = None,
                group_column: str | None = None, time_column: str | None = None,
                meta=None, table: str | None = None, collection: str | None = None,
                split: str | None = None, mmap_path: str | Path | None = None,
                model: str = "minilm", embed_options: dict | None = None):
    """An EmbeddingSet from any source named by one string (see :func:`source_kind`).

    Vectors are read where the source has them; texts without vectors (a corpus file, a
    text-only dataset) are embedded with ``model`` through the chunked cache.

    Parameters
    ----------
    source : str or Path
    vector_column, text_column, label_column, group_column, time_column : str, optional
        Columns, as in the readers (``text_column`` defaults to ``"text"``, ``"document"``
        for Chroma).
    meta : path or DataFrame, optional
        The metadata of a ``.npy`` (required for one).
    table, collection : str, optional
        The LanceDB table, the Chroma collection.
    split : str, optional
        Split of a Hugging Face dataset.
    mmap_path : path, optional
        Where to memory-map vectors read from a Parquet / Arrow file or a LanceDB table.
    model : str, default "minilm"
    embed_options : dict, optional
        More arguments of :func:`embviz.embed_corpus` (``client``, ``pooling``, ...).

    Returns
    -------
    EmbeddingSet
    """
    from ..embedding_set import EmbeddingSet
    from . import files, hf, vectordb

    kind, where = source_kind(source)
    roles = dict(label_column=label_column, group_column=group_column, time_column=time_column)
    text = {"text_column": text_column} if text_column else {}
    if kind == "embedding_set":
        return EmbeddingSet.load(where)
    if kind == "npy":
        if meta is None:
            raise ValueError(f"{where} holds vectors only: pass meta= (a table of its rows, "
                             f"with a text column)")
        return files.open_npy(where, meta, **text, **roles)
    if kind == "vector_file":
        return files.read_vector_file(where, vector_column, **text, **roles,
                                      mmap_path=mmap_path)
    if kind == "huggingface":
        return hf.read_hf_dataset(where, vector_column=vector_column, split=split, **text,
                                  **roles, model=model, embed_options=embed_options)
    if kind == "lancedb":
        return vectordb.read_lancedb(where, _named(table, "table", source), vector_column,
                                     **text, **roles, mmap_path=mmap_path)
    if kind == "chroma":
        return vectordb.read_chroma(where, _named(collection, "collection", source), **text,
                                    **roles)
    return _embed_file(where, text_column or "text", roles, model, embed_options or {})


def _named(value: str | None, name: str, source) -> str:
    if not value:
        raise ValueError(f"{name}= (--{name} on the command line) is required to read "
                         f"{source}: which {name} holds the vectors?")
    return value


def _embed_file(path: str, text_column: str, roles: dict, model: str, options: dict):
    from ..datasets import read_corpus
    from ..embed import embed_corpus

    data = embed_corpus(read_corpus(path, text_column=text_column, **roles), model=model,
                        **options)
    data.provenance["source"] = {"kind": "corpus_file", "path": str(Path(path).resolve()),
                                 "text_column": text_column, **roles, "embedded": True}
    return data


def find_sources(folder: str | Path) -> dict[str, tuple[str, str]]:
    """Every source inside ``folder``, by its path relative to it (what the app offers).

    Parameters
    ----------
    folder : str or Path
        Searched recursively; a folder that is itself a source (a saved EmbeddingSet or
        dataset, a LanceDB or Chroma database) is not searched further. Links leading out of
        ``folder`` are ignored.

    Returns
    -------
    dict of name -> (kind, source string for :func:`read_source`)
        ``kind`` as in :func:`source_kind`; only sources with vectors (no text corpora).
    """
    from .files import VECTOR_FILE_SUFFIXES, has_vector_column

    root = Path(folder).resolve()
    found: dict[str, tuple[str, str]] = {}

    def visit(path: Path) -> None:
        for child in sorted(path.iterdir()):
            if not child.resolve().is_relative_to(root):
                continue
            name = str(child.relative_to(root))
            kind = _folder_kind(child) if child.is_dir() else None
            if kind is not None:
                prefix = {"lancedb": "lancedb:", "chroma": "chroma:"}.get(kind, "")
                found[name] = (kind, f"{prefix}{child}")
            elif child.is_dir():
                visit(child)
            elif child.suffix.lower() == ".npy":
                found[name] = ("npy", str(child))
            elif child.suffix.lower() in VECTOR_FILE_SUFFIXES and _readable(has_vector_column,
                                                                             child):
                found[name] = ("vector_file", str(child))

    visit(root)
    return found


def _folder_kind(path: Path) -> str | None:
    from .hf import _SAVED_MARKERS

    if (path / "provenance.json").exists():
        return "embedding_set"
    if any((path / marker).exists() for marker in _SAVED_MARKERS):
        return "huggingface"
    if (path / "chroma.sqlite3").exists():
        return "chroma"
    if any(child.suffix == ".lance" for child in path.iterdir()):
        return "lancedb"
    return None


def _readable(check, path: Path) -> bool:
    try:
        return check(path)
    except (ValueError, OSError):
        return False
