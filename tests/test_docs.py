"""The README and docs/ stay short and true: the README's size, its two commands and its
quickstart; links that stay inside the repository and resolve; the generated public names in
docs/architecture.md; the docs' code blocks run as written (at smaller corpus sizes)."""

import ast
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCS = ROOT / "docs"
PAGES = [README, *sorted(DOCS.glob("*.md"))]


def python_block(path: Path, heading: str) -> str:
    """The first ```python block after the line starting ``heading`` in ``path``."""
    pattern = re.escape(heading) + r"[^\n]*\n.*?```python\n(.*?)```"
    return re.search(pattern, path.read_text(), re.S).group(1)


def run_block(block: str, namespace: dict, name: str) -> list:
    """Execute ``block`` statement by statement; return the values of its bare expressions."""
    values = []
    for node in ast.parse(block).body:
        if isinstance(node, ast.Expr):
            code = compile(ast.Expression(node.value), name, "eval")
            values.append(eval(code, namespace))
        else:
            exec(compile(ast.Module([node], type_ignores=[]), name, "exec"), namespace)
    return values


def without_code(text: str) -> str:
    """Markdown text with fenced blocks and inline code spans removed."""
    return re.sub(r"`[^`\n]*`", "", re.sub(r"```.*?```", "", text, flags=re.S))


def test_readme_is_a_short_guide():
    lines = README.read_text().splitlines()
    assert len(lines) <= 150, f"README.md has {len(lines)} lines (at most 150)"
    first = [line.split("#")[0].strip() for line in lines[:6]]
    assert "./dev.sh run" in first and "./dev.sh test" in first, lines[:6]


def test_ci_runs_the_readme_test_command():
    commands = [line for line in (ROOT / ".ci" / "run").read_text().splitlines()
                if line.strip() and not line.lstrip().startswith("#")]
    assert commands[-1].strip() == "exec ./dev.sh test"


def test_links_stay_inside_the_repository_and_resolve():
    for page in PAGES:
        text = without_code(page.read_text())
        outside = re.findall(r"\b(?:https?|ftp)://\S+", text)
        assert not outside, f"{page.relative_to(ROOT)} links outside the repository: {outside}"
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            path = target.split("#")[0]
            if not path:
                continue
            resolved = (page.parent / path).resolve()
            assert resolved.is_relative_to(ROOT), f"{page.name}: {target} leaves the repository"
            assert resolved.exists(), f"{page.relative_to(ROOT)}: {target} does not exist"


def test_architecture_names_are_current():
    """docs/architecture.md's generated section equals what docs/gen_architecture.py writes."""
    out = subprocess.run([sys.executable, str(DOCS / "gen_architecture.py"), "--check"],
                         cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr


def test_readme_quickstart_runs(tmp_path, monkeypatch):
    """The quickstart passes the EmbeddingSet (the conventions) and runs (n = 300)."""
    block = python_block(README, "## Quickstart")
    assert len(block.splitlines()) <= 10
    assert ".vectors" not in block  # every measure takes `es` itself
    monkeypatch.setenv("EMBVIZ_CACHE", str(tmp_path / "cache"))
    namespace: dict = {}
    score, table = run_block(block.replace("n=2000", "n=300"), namespace, "README.md")
    assert namespace["es"].vectors.shape == (300, 384)
    assert 0 <= score <= 1
    assert list(table.columns) == ["metric", "value", "ci_low", "ci_high"]
    assert {"isoscore", "twonn", "hubness_skewness", "knn_error"} <= set(table["metric"])


def test_python_tour_runs(tmp_path, monkeypatch):
    """docs/python.md's tour runs as written (at a smaller corpus size)."""
    block = python_block(DOCS / "python.md", "# A tour of the Python API")
    assert "embed_corpus" in block and "geometry_report" in block
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("EMBVIZ_CACHE", str(tmp_path / "cache"))
    pd.DataFrame({"body": ["a first text", "a second one"], "topic": ["x", "y"]}).to_csv(
        "my.csv", index=False)
    namespace: dict = {}
    exec(compile(block.replace("n=2000", "n=300"), "docs/python.md", "exec"), namespace)
    assert namespace["es"].vectors.shape == (300, 384)
    assert namespace["lid"].shape == (300,)
    assert namespace["X"].shape == (2, 576) and namespace["L"].shape == (31, 1, 576)
    assert len(namespace["user"]) == 2
    assert namespace["concepts"]["frequency"].between(0, 1).all()
    assert set(namespace["tests"]["metric"]) >= {"mmd", "energy", "depth", "classifier"}
    assert len(namespace["where"]) == len(namespace["kjv"]) + len(namespace["web"])
    assert "linear_cka" in set(namespace["change"]["metric"])


def test_notebook_explorer_block_runs(tmp_path, monkeypatch):
    """docs/explorer.md's notebook block builds the explorer; its selection is a table of rows."""
    block = python_block(DOCS / "explorer.md", "## In a notebook")
    assert "embviz.explore(es)" in block and "inline=True" in block
    monkeypatch.setenv("EMBVIZ_CACHE", str(tmp_path / "cache"))
    namespace: dict = {}
    exec(compile(block.replace("n=5000", "n=300"), "docs/explorer.md", "exec"), namespace)
    from embviz.selection import Selection

    ex = namespace["ex"]
    assert ex.selection.empty and {"id", "text", "label"} <= set(ex.selection.columns)
    ex.state.selection = Selection([3, 1], n=300, how="box")
    assert ex.selection.index.tolist() == [1, 3]
    assert ex.selection["id"].tolist() == namespace["es"].meta["id"].iloc[[1, 3]].tolist()
