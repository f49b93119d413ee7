"""Bring your own vectors from where they live: files, Hugging Face datasets, vector databases.

Every reader returns an :class:`~embviz.EmbeddingSet` whose ``provenance["source"]`` says where
the vectors came from (kind, path or database, table or collection, columns) and how they are
held (``storage``: memory-mapped, zero-copy or in memory). Bad sources get a ``ValueError`` or
``TypeError`` that names the column and what was expected. Optional libraries (``datasets``,
``lancedb``, ``chromadb``) are imported when a reader runs; without them the ``ImportError``
names the extra to install.

- :func:`read_vector_file` — Parquet / Arrow IPC / Feather with a vector column
- :func:`open_npy` — a ``.npy`` memory-mapped from disk (larger than memory) + a metadata table
- :func:`read_hf_dataset` — a Hugging Face dataset (saved, local files or hub id), with a vector
  column or embedded from its texts
- :func:`read_lancedb`, :func:`read_chroma` — embedded vector databases on local disk
- :func:`read_source` — any of these from one string (what the CLI and the app use)
"""

from .files import VECTOR_FILE_SUFFIXES, open_npy, read_vector_file
from .hf import read_hf_dataset
from .spec import read_source
from .vectordb import read_chroma, read_lancedb

__all__ = ["VECTOR_FILE_SUFFIXES", "open_npy", "read_chroma", "read_hf_dataset",
           "read_lancedb", "read_source", "read_vector_file"]
