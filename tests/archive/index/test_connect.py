"""How index connections are set up so readers and the one writer never meet "database is locked"."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from archive.index import Index
from archive.index.db import BUSY_TIMEOUT_SECONDS


def test_the_writer_uses_wal_a_busy_timeout_and_immediate_transactions(tmp_path: Path) -> None:
    with Index(tmp_path / "index.sqlite") as idx:
        conn = idx._db.conn
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert conn.execute("PRAGMA busy_timeout").fetchone() == (BUSY_TIMEOUT_SECONDS * 1000,)
        assert conn.isolation_level == "IMMEDIATE"


def test_a_write_transaction_holds_the_write_lock_from_its_start(tmp_path: Path) -> None:
    path = tmp_path / "index.sqlite"
    with Index(path) as idx:
        other = sqlite3.connect(path, timeout=0)
        with idx._db.conn:
            idx._db.execute("DELETE FROM captures WHERE outlet = 'none'")  # opens BEGIN IMMEDIATE
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
        other.execute("BEGIN IMMEDIATE")  # free again after the commit
        other.rollback()
        other.close()


def test_a_reader_reads_during_a_write_transaction_and_cannot_write(tmp_path: Path) -> None:
    path = tmp_path / "index.sqlite"
    with Index(path) as idx, idx._db.conn:
        idx._db.execute("DELETE FROM captures WHERE outlet = 'none'")
        with Index(path, readonly=True) as reader:
            assert reader._db.execute("PRAGMA busy_timeout").fetchone() == (BUSY_TIMEOUT_SECONDS * 1000,)
            assert list(reader.captures()) == []
            with pytest.raises(sqlite3.OperationalError, match="readonly"):
                reader._db.execute("DELETE FROM captures")


def test_a_with_block_is_one_transaction_even_across_sqlite_utils_calls(tmp_path: Path) -> None:
    path = tmp_path / "index.sqlite"
    with Index(path) as idx:
        row = {"key": "k", "outlet": "demo", "size": 1, "sha256": None, "stored_at": "x", "indexed_at": "x"}
        with pytest.raises(RuntimeError), idx._db.conn:
            idx._db.table("warc_objects").insert(row | {"records": 0})  # commits on its own outside a block
            raise RuntimeError("fails half-way")
        assert idx._db.execute("SELECT count(*) FROM warc_objects").fetchone() == (0,)
        with idx._db.conn, idx._db.conn:  # a nested block joins the outer one
            idx._db.table("warc_objects").insert(row | {"records": 1})
        assert idx._db.execute("SELECT records FROM warc_objects").fetchall() == [(1,)]
        assert not idx._db.conn.in_transaction
