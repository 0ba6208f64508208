"""Reindex builds aside and swaps in one transaction (reliability audit, defects 2 and 9).

While it runs, readers of the index (the web service, the CLI) must see the whole old
archive, and after it the whole new one: never an empty or partial one. Readers are checked
twice: at every object the rebuild indexes (deterministically, through its progress hook)
and by a thread that counts rows the whole time.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from archive import pipeline
from archive.config import Config, load_config
from archive.index import Index
from archive.index.aside import aside_index, remove_abandoned
from archive.index.quarantine import QuarantineError
from tests.archive.stored_warcs import flip, path_of, record_ids, write_crawl, write_store
from tests.support import write_config

CRAWLS, ARTICLES = 4, 5
COUNTS = {
    "captures": "SELECT count(*) FROM captures WHERE outlet = 'demo'",
    "articles": "SELECT count(*) FROM articles WHERE outlet = 'demo'",
    "versions": "SELECT count(*) FROM versions WHERE outlet = 'demo'",
    "search": "SELECT count(*) FROM versions_fts WHERE versions_fts MATCH 'Idlib'",
}


@pytest.fixture
def config(tmp_path: Path) -> Config:
    config = load_config(write_config(tmp_path, port=8765))
    write_store(config, CRAWLS, ARTICLES)
    pipeline.index(config, "demo")
    pipeline.detect(config, "demo")
    return config


def counts(path: Path) -> dict[str, int]:
    """What a reader sees now, in one read transaction."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        conn.execute("BEGIN")
        return {name: conn.execute(sql).fetchone()[0] for name, sql in COUNTS.items()}


class Reader(threading.Thread):
    """Counts rows over and over until stopped; keeps the smallest it saw."""

    def __init__(self, path: Path) -> None:
        super().__init__(daemon=True)
        self.path, self.stop, self.rounds = path, threading.Event(), 0
        self.least: dict[str, int] = counts(path)

    def run(self) -> None:
        while not self.stop.is_set():
            now = counts(self.path)
            self.least = {k: min(v, now[k]) for k, v in self.least.items()}
            self.rounds += 1


@pytest.fixture
def reader(config: Config) -> Iterator[Reader]:
    thread = Reader(config.index_path)
    thread.start()
    yield thread
    thread.stop.set()
    thread.join(timeout=10)


def test_readers_see_the_whole_archive_all_through_a_reindex(config, reader):
    before = counts(config.index_path)
    assert before["captures"] == CRAWLS * ARTICLES and before["versions"] > 0 and before["search"] > 0
    seen = []
    result = pipeline.reindex(config, "demo", progress=lambda *_: seen.append(counts(config.index_path)))

    assert len(seen) == CRAWLS and all(s == before for s in seen), "a reader saw the rebuild before its swap"
    reader.stop.set()
    reader.join(timeout=10)
    assert reader.rounds > 0 and reader.least == before
    assert counts(config.index_path) == before
    assert result["warcs_indexed"] == CRAWLS and result["quarantined"] == []


def test_a_damaged_object_during_reindex_costs_only_its_unreadable_captures(config, reader):
    keys = sorted(k for k in _keys(config))
    intact = set().union(*(record_ids(path_of(config, k).read_bytes()) for k in keys[1:]))
    readable = intact | flip(path_of(config, keys[0]), 1)
    before = counts(config.index_path)

    with pytest.raises(QuarantineError):
        pipeline.reindex(config, "demo")

    reader.stop.set()
    reader.join(timeout=10)
    assert reader.least["captures"] >= len(readable), "readers saw intact captures go missing"
    with Index(config.index_path, readonly=True) as idx:
        assert {r.record_id for r in idx.captures("demo")} == readable
    assert counts(config.index_path)["articles"] == before["articles"]


def test_objects_indexed_while_a_reindex_runs_are_in_the_rebuilt_rows(config):
    """A crawl's index step is a second writer: what it adds must not be lost by the swap."""
    added: list[str] = []

    def crawl_meanwhile(done: int, total: int, key: str) -> None:
        if not added:
            added.append(write_crawl(config, CRAWLS, ARTICLES))
            pipeline.index(config, "demo")
            pipeline.detect(config, "demo")

    pipeline.reindex(config, "demo", progress=crawl_meanwhile)
    with Index(config.index_path, readonly=True) as idx:
        ids = {r.record_id for r in idx.captures("demo")}
        (versions,) = idx._db.execute("SELECT count(*) FROM versions WHERE outlet = 'demo'").fetchone()
    assert record_ids(path_of(config, added[0]).read_bytes()) <= ids
    assert len(ids) == (CRAWLS + 1) * ARTICLES and versions >= CRAWLS + 1


def test_other_outlets_rows_are_left_alone_and_ids_stay_unique(config):
    unique = {"captures": "record_id", "changes": "change_key"}
    with Index(config.index_path) as idx, idx._db.conn:
        for table in ("captures", "versions", "changes"):
            rows = list(idx._db.table(table).rows_where("outlet = ?", ["demo"]))
            for row in rows:
                row["outlet"] = "other"
                if "id" in row:
                    row["id"] += 100_000
                if table in unique:
                    row[unique[table]] = "other-" + row[unique[table]]
            idx._db.table(table).insert_all(rows)
    with Index(config.index_path, readonly=True) as idx:
        other_before = list(idx._db.query("SELECT * FROM versions WHERE outlet = 'other' ORDER BY id"))

    pipeline.reindex(config, "demo")
    with Index(config.index_path, readonly=True) as idx:
        assert list(idx._db.query("SELECT * FROM versions WHERE outlet = 'other' ORDER BY id")) == other_before
        (unique,) = idx._db.execute("SELECT count(*) = count(DISTINCT id) FROM versions").fetchone()
        assert unique


def test_the_rebuild_file_is_removed_after_a_reindex_and_after_a_killed_one(config, monkeypatch):
    parent = config.index_path.parent
    pipeline.reindex(config, "demo")
    assert not list(parent.glob(".index.sqlite.reindex*"))

    abandoned = parent / ".index.sqlite.reindex@demo@999999999-x"  # no such process
    abandoned.mkdir()
    other_outlet = parent / ".index.sqlite.reindex@demo-2@999999999-x"
    other_outlet.mkdir()
    assert remove_abandoned(config.index_path, "demo") == [abandoned]
    assert other_outlet.exists()

    def fail(*args, **kwargs):
        raise RuntimeError("killed while detecting")

    monkeypatch.setattr("archive.detect.run._detect_batch", fail)
    with pytest.raises(RuntimeError):
        pipeline.reindex(config, "demo")
    assert [p.name for p in parent.glob(".index.sqlite.reindex*")] == [other_outlet.name]
    assert counts(config.index_path)["captures"] == CRAWLS * ARTICLES


def test_a_rebuild_directory_of_a_live_process_is_kept(tmp_path):
    index_path = tmp_path / "index.sqlite"
    with aside_index(index_path, "demo") as first:
        assert remove_abandoned(index_path, "demo") == []  # this process is alive
        assert first.parent.exists()
    assert not first.parent.exists()


def _keys(config: Config) -> list[str]:
    with Index(config.index_path, readonly=True) as idx:
        return [row[0] for row in idx._db.execute("SELECT key FROM warc_objects WHERE outlet = 'demo'")]


def test_the_rebuild_keeps_no_full_text_index_aside_and_the_swap_fills_the_live_one(config):
    """Versions are searched in the live index only: the aside's triggers would index them twice."""
    before = counts(config.index_path)
    triggers: list[int] = []

    def look_aside(done: int, total: int, key: str) -> None:
        for path in config.index_path.parent.glob(f".{config.index_path.name}.reindex@demo@*/{config.index_path.name}"):
            with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
                sql = "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND sql LIKE '%versions_fts%'"
                triggers.append(conn.execute(sql).fetchone()[0])

    pipeline.reindex(config, "demo", progress=look_aside)
    assert len(triggers) == CRAWLS and set(triggers) == {0}
    assert counts(config.index_path)["search"] == before["search"] > 0


def test_the_rebuild_writes_its_aside_without_a_write_ahead_log(config):
    """Nobody keeps the aside if the rebuild dies, so it is written once, not through a WAL and a checkpoint."""
    seen: list[tuple[str, bool]] = []

    def look_aside(done: int, total: int, key: str) -> None:
        for path in config.index_path.parent.glob(f".{config.index_path.name}.reindex@demo@*/{config.index_path.name}"):
            with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
                seen.append((conn.execute("PRAGMA journal_mode").fetchone()[0], Path(f"{path}-wal").exists()))

    pipeline.reindex(config, "demo", progress=look_aside)
    assert seen == [("delete", False)] * CRAWLS
    with sqlite3.connect(config.index_path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
