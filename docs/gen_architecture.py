"""Write the public names of every embviz module into ``docs/architecture.md``.

Each public module and subpackage of ``embviz`` (a name without a leading ``_``) is imported,
and every name in its ``__all__`` is listed with the first paragraph of its docstring (for a
constant, the ``#:`` comment above its assignment), grouped by the module that defines it.
The list goes between the two marker comments in ``docs/architecture.md``; the prose around
them is left as written.

    python docs/gen_architecture.py           # rewrite the generated section
    python docs/gen_architecture.py --check   # exit 1 if the committed file is stale

``tests/test_docs.py`` runs the check. The generator imports every subpackage, Panel included.
"""

from __future__ import annotations

import argparse
import ast
import importlib
import inspect
import pkgutil
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "docs" / "architecture.md"
BEGIN = "<!-- BEGIN GENERATED: public names (python docs/gen_architecture.py) -->"
END = "<!-- END GENERATED -->"


def public_modules() -> list[str]:
    """``embviz`` and its public top-level modules and subpackages, sorted by name."""
    import embviz

    names = [info.name for info in pkgutil.iter_modules(embviz.__path__)]
    return ["embviz"] + [f"embviz.{n}" for n in sorted(names) if not n.startswith("_")]


def _plain(text: str) -> str:
    """Sphinx roles and double backticks as Markdown code; one line; pipes escaped."""
    text = re.sub(r":[a-z]+:`~?([^`]+)`", r"`\1`", text)
    text = text.replace("``", "`")
    return " ".join(text.split()).replace("|", "\\|")


def _first_paragraph(doc: str | None) -> str:
    return _plain(inspect.cleandoc(doc).split("\n\n")[0]) if doc else ""


def _constant_comments(module_name: str) -> dict[str, tuple[str, str]]:
    """name -> (defining module, ``#:`` comment) for module-level assignments under a module."""
    module = importlib.import_module(module_name)
    files = [(module_name, Path(module.__file__))]
    if hasattr(module, "__path__"):
        files += [(f"{module_name}.{info.name}", Path(module.__path__[0]) / f"{info.name}.py")
                  for info in pkgutil.iter_modules(module.__path__) if not info.ispkg]
    found: dict[str, tuple[str, str]] = {}
    for name, path in files:
        lines = path.read_text().splitlines()
        for node in ast.parse("\n".join(lines)).body:
            targets = (node.targets if isinstance(node, ast.Assign)
                       else [node.target] if isinstance(node, ast.AnnAssign) else [])
            comment, row = [], node.lineno - 2
            while row >= 0 and lines[row].startswith("#:"):
                comment.insert(0, lines[row][2:].strip())
                row -= 1
            for target in targets:
                if isinstance(target, ast.Name) and target.id not in found:
                    found[target.id] = (name, " ".join(comment))
    return found


def _entries(module_name: str) -> list[tuple[str, str, str]]:
    """(defining module, name, summary) for each name in a module's ``__all__``."""
    module = importlib.import_module(module_name)
    constants = _constant_comments(module_name)
    rows = []
    for name in module.__all__:
        obj = getattr(module, name)
        if inspect.isclass(obj) or inspect.isroutine(obj):
            home = obj.__module__
            doc = obj.__doc__
            if doc and doc.startswith(f"{obj.__name__}("):  # a dataclass's generated signature
                doc = None
            summary = _first_paragraph(doc)
        else:
            home, comment = constants.get(name, (module_name, ""))
            summary = _plain(comment) or f"`{obj!r}`"[:80]
        rows.append((home, name, summary or "(no docstring)"))
    return rows


def generate() -> str:
    """The generated section, markers included."""
    parts = [BEGIN, ""]
    for module_name in public_modules():
        module = importlib.import_module(module_name)
        if not hasattr(module, "__all__"):
            continue
        parts += [f"### `{module_name}`", "", _first_paragraph(module.__doc__), ""]
        groups: dict[str, list[tuple[str, str]]] = {}
        for home, name, summary in _entries(module_name):
            groups.setdefault(home, []).append((name, summary))
        for home in sorted(groups):
            if home != module_name:
                parts += [f"#### `{home}`", ""]
            parts += ["| name | what it is |", "|---|---|"]
            parts += [f"| `{name}` | {summary} |" for name, summary in sorted(groups[home])]
            parts.append("")
    parts.append(END)
    return "\n".join(parts)


def updated(text: str) -> str:
    """``text`` with its generated section replaced by a fresh one."""
    if text.count(BEGIN) != 1 or text.count(END) != 1:
        raise ValueError(f"{TARGET.name} needs exactly one {BEGIN!r} and one {END!r}")
    head, rest = text.split(BEGIN)
    _, tail = rest.split(END)
    return head + generate() + tail


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="do not write; exit 1 if docs/architecture.md is stale")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    text = TARGET.read_text()
    new = updated(text)
    if args.check:
        if new != text:
            print(f"{TARGET.relative_to(ROOT)} is stale: run python docs/gen_architecture.py",
                  file=sys.stderr)
            return 1
        return 0
    if new != text:
        TARGET.write_text(new)
        print(f"wrote {TARGET.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
