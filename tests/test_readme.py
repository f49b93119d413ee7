"""The README's Python quickstart runs as written (at a smaller corpus size)."""

import re
from pathlib import Path

import pandas as pd

README = Path(__file__).resolve().parent.parent / "README.md"


def test_quickstart_runs(tmp_path, monkeypatch):
    block = re.search(r"## Quickstart in Python\n\n```python\n(.*?)```", README.read_text(),
                      re.S).group(1)
    assert "embed_corpus" in block and "geometry_report" in block
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("EMBVIZ_CACHE", str(tmp_path / "cache"))
    pd.DataFrame({"body": ["a first text", "a second one"], "topic": ["x", "y"]}).to_csv(
        "my.csv", index=False)
    namespace: dict = {}
    exec(compile(block.replace("n=2000", "n=300"), "README.md", "exec"), namespace)
    assert namespace["es"].vectors.shape == (300, 384)
    assert namespace["lid"].shape == (300,)
    assert namespace["X"].shape == (2, 576) and namespace["L"].shape == (31, 1, 576)
    assert len(namespace["user"]) == 2
    assert namespace["concepts"]["frequency"].between(0, 1).all()
    assert set(namespace["tests"]["metric"]) >= {"mmd", "energy", "depth", "classifier"}
    assert len(namespace["where"]) == len(namespace["kjv"]) + len(namespace["web"])
    assert "linear_cka" in set(namespace["change"]["metric"])


def test_notebook_explorer_block_runs(tmp_path, monkeypatch):
    """The "In a notebook" block builds the explorer; its selection is a table of rows."""
    block = re.search(r"## In a notebook[^\n]*\n\n```python\n(.*?)```", README.read_text(),
                      re.S).group(1)
    assert "embviz.explore(es)" in block and "inline=True" in block
    monkeypatch.setenv("EMBVIZ_CACHE", str(tmp_path / "cache"))
    namespace: dict = {}
    exec(compile(block.replace("n=5000", "n=300"), "README.md", "exec"), namespace)
    from embviz.selection import Selection

    ex = namespace["ex"]
    assert ex.selection.empty and {"id", "text", "label"} <= set(ex.selection.columns)
    ex.state.selection = Selection([3, 1], n=300, how="box")
    assert ex.selection.index.tolist() == [1, 3]
    assert ex.selection["id"].tolist() == namespace["es"].meta["id"].iloc[[1, 3]].tolist()
