"""Routers and error pages read what they share from ``archive.api.deps``, and only the entry
points import the app that includes them (that no archive module is on an import cycle,
this package's included, is tests/test_layering.py's test)."""

from __future__ import annotations

from tests.import_graph import import_graph

ENTRY_POINTS = {"archive.api", "archive.api.workers"}
"""The modules that may import ``archive.api.app``: they hand its ``create_app`` to a caller."""
GRAPH = import_graph()


def test_only_the_entry_points_import_the_app():
    importers = {name for name, targets in GRAPH.items() if "archive.api.app" in targets}
    assert importers <= ENTRY_POINTS, sorted(importers - ENTRY_POINTS)
    assert "archive.api.app" in GRAPH["archive.api"]  # from archive.api.app import create_app


def test_routers_read_what_they_share_from_deps():
    for router in ("archive.api.ui", "archive.api.ui_outlet", "archive.api.ui_article", "archive.api.failures"):
        assert "archive.api.deps" in GRAPH[router], router
