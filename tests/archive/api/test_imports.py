"""The service's modules import each other without a cycle: routers and error pages read what
they share from ``archive.api.deps``, and only the entry points import the app that includes them.

Read from the source with ``ast`` (every ``import`` and ``from``, also those inside functions),
so one interpreter checks the whole package without importing it.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import archive.api

PACKAGE = Path(archive.api.__file__).parent
ENTRY_POINTS = {"archive.api", "archive.api.workers"}
"""The modules that may import ``archive.api.app``: they hand its ``create_app`` to a caller."""


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent.parent).with_suffix("").parts
    return ".".join(parts).removesuffix(".__init__")


MODULES = {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def imported(name: str, path: Path) -> Iterator[str]:
    """The modules of the package that ``name`` imports: ``from archive.api import cdx`` is
    ``archive.api.cdx``, ``from archive.api.cdx import datetime_of`` is ``archive.api.cdx``."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base for alias in node.names]
        else:
            continue
        for target in targets:
            while target and target not in MODULES:
                target = target.rpartition(".")[0]
            if target:
                yield target


GRAPH = {name: sorted(set(imported(name, path)) - {name}) for name, path in MODULES.items()}


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


def test_the_service_modules_import_each_other_without_a_cycle():
    assert len(MODULES) > 20, sorted(MODULES)
    assert [" -> ".join(cycle) for cycle in cycles(GRAPH)] == []


def test_only_the_entry_points_import_the_app():
    importers = {name for name, targets in GRAPH.items() if "archive.api.app" in targets}
    assert importers <= ENTRY_POINTS, sorted(importers - ENTRY_POINTS)


def test_routers_read_what_they_share_from_deps():
    for router in ("archive.api.ui", "archive.api.ui_outlet", "archive.api.ui_article", "archive.api.failures"):
        assert "archive.api.deps" in GRAPH[router], router


def test_a_cycle_is_found_however_it_is_imported():
    assert cycles({"a": ["b"], "b": ["c"], "c": ["a"]}) == [["a", "b", "c", "a"]]
    assert cycles({"a": ["b"], "b": [], "c": ["b"]}) == []
    graph = {name: sorted(set(imported(name, path))) for name, path in MODULES.items()}
    assert "archive.api.app" in graph["archive.api"]  # from archive.api.app import create_app
    assert "archive.api.articles" in graph["archive.api.app"]  # from archive.api import articles
