"""A consistent, checked copy of a live SQLite file: what ``edittrail backup`` stores.

SQLite's online backup API copies a consistent state while a writer keeps writing (WAL readers
never block the writer); the copy is made self-contained (rollback journal, no ``-wal`` file
beside it) and must pass ``PRAGMA integrity_check`` before anyone stores it. The same copy
serves the index, ``alerts.sqlite`` and ``mirrors.sqlite``: it knows no table of any of them.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from archive.errors import ArchiveIndexError


def snapshot(path: Path, target: Path) -> None:
    """Copy the SQLite file ``path`` to ``target`` with the online backup API, checked before it is used
    (ArchiveIndexError when it cannot be read or the copy is not whole)."""
    try:
        with (
            closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=30)) as source,
            closing(sqlite3.connect(target)) as copy,
        ):
            source.backup(copy)
            copy.execute("PRAGMA journal_mode = DELETE")  # no -wal file needed beside the copy
            result = copy.execute("PRAGMA integrity_check").fetchone()[0]
    except sqlite3.Error as exc:
        raise ArchiveIndexError(
            f"{path}: cannot be backed up ({exc}); restore it from an earlier backup in the store"
        ) from exc
    if result != "ok":
        raise ArchiveIndexError(f"{path}: the snapshot fails SQLite's integrity check ({result}); not stored")
