"""The service's kept read-only connections see every commit, a replaced file, and a schema change."""

from __future__ import annotations

import os
import shutil
import sqlite3
import threading
from contextlib import closing
from pathlib import Path

import pytest

from archive.api.readers import CACHE_KIB, Readers
from archive.config import Config, load_config
from archive.errors import ArchiveIndexError
from archive.index import Index
from archive.index.schema import MIGRATIONS
from bench.cdx import generate
from tests.support import write_config


@pytest.fixture
def config(tmp_path: Path) -> Config:
    config = load_config(write_config(tmp_path, port=8765))
    generate(config, 200, sample_size=10)
    return config


def copy_without_rows(index: Path, copy: Path, rows: int) -> None:
    """A copy of the index (another file) with its first ``rows`` captures deleted."""
    with closing(sqlite3.connect(index)) as source, closing(sqlite3.connect(copy)) as target:
        source.backup(target)
        with target:
            target.execute("DELETE FROM captures WHERE rowid IN (SELECT rowid FROM captures LIMIT ?)", [rows])


def count(index: Index) -> int:
    return int(index._db.execute("SELECT count(*) FROM captures").fetchone()[0])


def test_a_thread_keeps_its_connection_between_requests_and_threads_do_not_share_one(config):
    readers = Readers(config.index_path)
    first = readers.get()
    assert readers.get() is first
    other: list[Index] = []
    thread = threading.Thread(target=lambda: other.append(readers.get()))
    thread.start()
    thread.join()
    assert other[0] is not first


def test_a_kept_connection_sees_rows_the_writer_commits_later(config):
    readers = Readers(config.index_path)
    before = count(readers.get())
    with Index(config.index_path) as writer, writer._db.conn:
        writer._db.execute("DELETE FROM captures WHERE rowid IN (SELECT rowid FROM captures LIMIT 50)")
    assert count(readers.get()) == before - 50


def test_an_index_replaced_by_another_file_is_reopened(config, tmp_path):
    readers = Readers(config.index_path)
    kept = readers.get()
    before = count(kept)
    copy_without_rows(config.index_path, tmp_path / "other.sqlite", 50)
    os.replace(tmp_path / "other.sqlite", config.index_path)
    fresh = readers.get()
    assert fresh is not kept and count(fresh) == before - 50


def test_a_missing_index_is_the_same_error_as_opening_it(config):
    readers = Readers(config.index_path)
    readers.get()
    shutil.rmtree(config.index_path.parent)
    with pytest.raises(ArchiveIndexError, match="no index yet"):
        readers.get()


def test_a_schema_version_this_edittrail_does_not_expect_is_refused_until_migrated(config):
    readers = Readers(config.index_path)
    before = count(readers.get())
    with closing(sqlite3.connect(config.index_path)) as conn, conn:
        conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) - 1}")
    with pytest.raises(ArchiveIndexError, match="schema version"):
        readers.get()
    with closing(sqlite3.connect(config.index_path)) as conn, conn:
        conn.execute(f"PRAGMA user_version = {len(MIGRATIONS)}")
    assert count(readers.get()) == before


def test_a_kept_connection_holds_no_transaction_between_requests(config):
    readers = Readers(config.index_path)
    index = readers.get()
    list(index._db.query("SELECT * FROM captures LIMIT 3"))  # a statement left unfinished by a limit
    assert not index._db.conn.in_transaction
    with Index(config.index_path) as writer, writer._db.conn:  # the writer is not kept waiting
        writer._db.execute("DELETE FROM captures")
    assert count(readers.get()) == 0


def test_a_kept_connection_has_a_small_page_cache(config):
    index = Readers(config.index_path).get()
    assert index._db.execute("PRAGMA cache_size").fetchone()[0] == -CACHE_KIB
