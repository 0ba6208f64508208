"""A snapshot of a live SQLite file is a whole, self-contained copy, or an error that says so."""

from __future__ import annotations

import sqlite3

import pytest

from archive.errors import ArchiveIndexError
from archive.index import Index
from archive.index.snapshot import snapshot


def test_a_snapshot_of_a_wal_index_needs_no_wal_file_beside_it(tmp_path):
    with Index(tmp_path / "i.sqlite") as idx:
        snapshot(idx.path, tmp_path / "copy.sqlite")
    with sqlite3.connect(tmp_path / "copy.sqlite") as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    assert not (tmp_path / "copy.sqlite-wal").exists()


def test_a_file_that_is_no_database_cannot_be_snapshotted(tmp_path):
    (tmp_path / "junk.sqlite").write_bytes(b"not a database at all" * 100)
    with pytest.raises(ArchiveIndexError, match=r"junk\.sqlite: cannot be backed up"):
        snapshot(tmp_path / "junk.sqlite", tmp_path / "copy.sqlite")
