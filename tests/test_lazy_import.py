"""Importing embviz's light modules must not import heavy libraries (STYLE.md, point 11)."""

import subprocess
import sys

HEAVY = ("torch", "transformers", "sae_lens", "umap", "panel", "sentence_transformers",
         "holoviews", "datashader", "bokeh", "dask", "distributed", "datasets", "lancedb",
         "chromadb")


def test_light_imports_pull_in_no_heavy_library():
    code = ("import sys, embviz, embviz.metrics, embviz.datasets, embviz.embed, embviz.maps, "
            "embviz.viz, embviz.cli, embviz.drift, embviz.sae, embviz.selection, embviz.landscape, "
            "embviz.sources, embviz.stats, embviz.embed.distributed; "
            f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "", f"heavy modules imported: {out.stdout.strip()}"


def test_lazy_attribute_resolves_embedding_entry_point():
    code = "import embviz; print(embviz.embed_corpus.__name__)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "embed_corpus"
