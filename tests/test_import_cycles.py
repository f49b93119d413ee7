"""No two embviz modules import each other, not even inside a function (issue 28, item 6).

An import inside a function hides a cycle from the interpreter but not from the reader: the
two modules are one unit in disguise. The walk reads every module's imports (top level and
local) with :mod:`ast` and resolves relative ones.
"""

from __future__ import annotations

import ast
from pathlib import Path

import embviz

ROOT = Path(embviz.__file__).parent


def _module_names() -> dict[str, Path]:
    names = {}
    for path in ROOT.rglob("*.py"):
        parts = path.relative_to(ROOT.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        names[name] = path
    return names


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            base = package.split(".")[:len(package.split(".")) - node.level + 1] if node.level \
                else []
            target = ".".join(base + ([node.module] if node.module else []))
            for alias in node.names:
                submodule = f"{target}.{alias.name}"
                found.add(submodule if submodule in modules else target)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {m for m in found if m in modules and m != name and not name.startswith(m + ".")}


def test_no_two_modules_import_each_other():
    modules = _module_names()
    graph = {name: _imports(name, path, modules) for name, path in modules.items()}
    assert len(graph) > 100 and "embviz._validation" in graph["embviz.metrics.report"]
    packages = {n for n, p in modules.items() if p.name == "__init__.py"}
    cycles = sorted((a, b) for a in graph for b in graph[a]
                    if a < b and a in graph[b] and not {a, b} & packages)
    assert not cycles, f"modules importing each other: {cycles}"
