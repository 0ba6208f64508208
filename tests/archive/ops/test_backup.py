"""Backups: online SQLite snapshots of the index, alerts and mirrors files, checked, stored create-only."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from archive.alerts import Deliveries
from archive.config import load_config, store_for
from archive.errors import ArchiveIndexError
from archive.index import Index
from archive.mirrors.state import MirrorState, mirrors_db_path
from archive.ops.backup import backup_databases, backup_key, snapshot_database
from tests.support import write_config

NOW = datetime(2026, 11, 25, 10, 55, 0, tzinfo=UTC)


@pytest.fixture
def config(tmp_path: Path):
    config = load_config(write_config(tmp_path, port=8765))
    with Index(config.index_path) as idx, idx._db.conn:
        idx._db["captures"].insert(
            {
                "record_id": "<urn:uuid:1>",
                "outlet": "demo",
                "url": "http://www.presstv.ir/",
                "urlkey": "ir,presstv)/",
                "host": "www.presstv.ir",
                "fetched_at": "2026-11-25T10:00:00Z",
                "record_type": "response",
                "warc": "warcs/demo/x.warc.gz",
                "offset": 0,
                "length": 10,
            }
        )
    return config


def test_the_backup_is_a_complete_index_in_the_outlets_store(config, tmp_path):
    (stored,) = backup_databases(config, "demo", now=NOW)  # no alerts or mirrors file yet
    store = store_for(config, config.outlet("demo"))
    assert stored.key == "backups/demo/index-20261125T105500Z.sqlite" == backup_key("demo", NOW)
    assert [o.key for o in store.list("backups/")] == [stored.key]
    restored = tmp_path / "restored.sqlite"
    with store.open(stored.key) as stream:
        restored.write_bytes(stream.read())
    with Index(restored, readonly=True) as idx:  # opens as an index: right schema version
        assert [r.record_id for r in idx.captures("demo")] == ["<urn:uuid:1>"]
    with sqlite3.connect(restored) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # no -wal file needed


def test_a_snapshot_is_taken_while_a_writer_holds_a_transaction(config, tmp_path):
    writer = sqlite3.connect(config.index_path)
    try:
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("UPDATE captures SET status = 500")  # not committed
        snapshot_database(config.index_path, tmp_path / "snap.sqlite")
    finally:
        writer.rollback()
        writer.close()
    with sqlite3.connect(tmp_path / "snap.sqlite") as db:
        assert db.execute("SELECT status FROM captures").fetchall() == [(None,)]


def test_backing_up_twice_in_one_second_is_one_object(config):
    first = backup_databases(config, "demo", now=NOW)
    assert backup_databases(config, "demo", now=NOW) == first
    store = store_for(config, config.outlet("demo"))
    assert len(list(store.list("backups/"))) == 1
    assert not any(config.data_dir.glob(".backup-*"))  # the temporary copy is gone


def test_outlets_sharing_a_store_back_up_to_their_own_keys_in_the_same_second(config):
    """Both shipped outlets use file://data/store and the one index: each gets its own key, even
    though the index changed between the two snapshots (same key, other bytes would be refused)."""
    (demo,) = backup_databases(config, "demo", now=NOW)
    with Index(config.index_path) as idx, idx._db.conn:
        idx._db.execute("UPDATE captures SET status = 200")
    (presstv,) = backup_databases(config, "presstv", now=NOW)
    assert (demo.key, presstv.key) == (
        "backups/demo/index-20261125T105500Z.sqlite",
        "backups/presstv/index-20261125T105500Z.sqlite",
    )
    assert demo.sha256 != presstv.sha256
    store = store_for(config, config.outlet("presstv"))
    assert [o.key for o in store.list("backups/")] == [demo.key, presstv.key]


def test_no_index_no_backup(tmp_path):
    config = load_config(write_config(tmp_path, port=8765))
    with pytest.raises(ArchiveIndexError, match="no index to back up"):
        backup_databases(config, "demo", now=NOW)


def test_the_alerts_and_mirrors_files_are_backed_up_beside_the_index(config, tmp_path):
    """Neither can be rebuilt from the WARCs: what subscribers were sent, and the domains' history."""
    deliveries = Deliveries(config.alerts_db)
    deliveries.record("change:1", "ops", "demo", ok=True)
    deliveries.close()
    with MirrorState(mirrors_db_path(config.data_dir)) as state:
        state.add_candidate("demo", "presstv.tv", "2026-11-25T10:00:00Z", "footer of www.presstv.ir")
    stored = backup_databases(config, "demo", now=NOW)
    assert [s.key for s in stored] == [
        "backups/demo/index-20261125T105500Z.sqlite",
        "backups/demo/alerts-20261125T105500Z.sqlite",
        "backups/demo/mirrors-20261125T105500Z.sqlite",
    ]
    store = store_for(config, config.outlet("demo"))
    restored = tmp_path / "restored"
    restored.mkdir()
    for obj in stored[1:]:
        with store.open(obj.key) as stream:
            (restored / obj.key.split("/")[-1]).write_bytes(stream.read())
    restored_deliveries = Deliveries(restored / "alerts-20261125T105500Z.sqlite")
    assert restored_deliveries.sent("change:1", "ops")
    restored_deliveries.close()
    with MirrorState(restored / "mirrors-20261125T105500Z.sqlite") as state:
        assert [c["host"] for c in state.candidates("demo")] == ["presstv.tv"]


def test_a_damaged_alerts_file_fails_the_backup_and_stores_nothing_for_it(config):
    config.alerts_db.write_bytes(b"SQLite format 3\x00" + b"\x00" * 84 + b"not a database" * 200)
    with pytest.raises(ArchiveIndexError, match=r"alerts\.sqlite: cannot be backed up \(file is not a database\)"):
        backup_databases(config, "demo", now=NOW)
    store = store_for(config, config.outlet("demo"))
    assert not [o.key for o in store.list("backups/") if "alerts" in o.key]
