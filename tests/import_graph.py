"""The import graph of archive/, read from the source with ``ast`` (nothing is imported): for
the layering tests (no cycle) and the service's own (who may import the app)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


CORE_MODULES = {module_name(path): path for path in sorted((ROOT / "archive").rglob("*.py"))}


def imported(name: str, path: Path) -> Iterator[str]:
    """The archive modules ``name`` imports, at its top or inside a function; not those it
    imports only for type checking (``if TYPE_CHECKING:``), which never run."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in _runtime_nodes(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in CORE_MODULES else base for a in node.names]
        else:
            continue
        for target in targets:
            while target and target not in CORE_MODULES:
                target = target.rpartition(".")[0]
            if target and target != name:
                yield target


def _runtime_nodes(node: ast.AST) -> Iterator[ast.AST]:
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
            for other in child.orelse:
                yield other
                yield from _runtime_nodes(other)
            continue
        yield child
        yield from _runtime_nodes(child)


def cycles(graph: dict[str, list[str]]) -> list[list[str]]:
    """One cycle through each module that is on one, found by depth-first search."""
    found: list[list[str]] = []
    done: set[str] = set()

    def visit(name: str, trail: list[str]) -> None:
        if name in trail:
            found.append([*trail[trail.index(name) :], name])
            return
        if name in done:
            return
        for target in graph.get(name, []):
            visit(target, [*trail, name])
        done.add(name)

    for name in sorted(graph):
        visit(name, [])
    return found


def import_graph() -> dict[str, list[str]]:
    """Each archive module and the archive modules it imports (at its top or inside a function)."""
    return {name: sorted(set(imported(name, path))) for name, path in CORE_MODULES.items()}
