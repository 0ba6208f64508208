"""Queries on ``warc_objects`` for the screens that report on the store: ``edittrail status`` and the demo.

``edittrail status`` reads whatever index exists, without migrating it, so it first asks
which tables the file has (:func:`tables`): an index made before a table existed reads as
empty there rather than failing. The index step's own reading and writing of stored objects
is in ``archive.index.db`` and ``archive.index.objects``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from archive.index import Index


def tables(index: Index) -> set[str]:
    """The names of the file's tables (full-text tables and their shadow tables among them)."""
    db = index._db
    return {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def object_sizes(index: Index, outlet: str) -> dict[str, int]:
    """The outlet's stored WARC objects the index knows: key → size in bytes (0 when unrecorded)."""
    db = index._db
    rows = db.execute("SELECT key, size FROM warc_objects WHERE outlet = ?", [outlet])
    return {key: int(size or 0) for key, size in rows}


def objects_stored_since(index: Index, outlet: str, since: str) -> list[tuple[str, int]]:
    """(key, size) of the outlet's WARC objects stored at or after ``since``, by key: what one run
    stored, when the archive is kept from run to run."""
    db = index._db
    rows = db.execute(
        "SELECT key, size FROM warc_objects WHERE outlet = ? AND stored_at >= ? ORDER BY key", [outlet, since]
    )
    return [(key, size) for key, size in rows]
