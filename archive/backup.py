"""Index backup: a consistent snapshot of the SQLite index, kept in the outlet's object store.

The index can be rebuilt from the WARCs, but a rebuild of a large archive takes hours and
loses nothing only if every WARC is still there; a snapshot next to the WARCs means a lost
machine is back with one download. SQLite's online backup API copies a consistent state
while crawls keep writing (WAL readers never block the writer), and the copy is checked with
``PRAGMA integrity_check`` before it is stored.
"""

from __future__ import annotations

import logging
import sqlite3
import tempfile
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

from archive.config import Config
from archive.errors import ArchiveIndexError
from archive.storage import StoredObject
from archive.storage.s3_settings import S3Credentials

log = logging.getLogger(__name__)
BACKUP_PREFIX = "backups/"


def backup_key(outlet: str, moment: datetime) -> str:
    """``backups/<outlet>/index-20261125T105500Z.sqlite``: sortable, one per second at most.

    The outlet is in the key because outlets may share a store and all back up the one shared
    index: without it, two maintenance runs in the same second would claim the same key for
    snapshots with different bytes.
    """
    return f"{BACKUP_PREFIX}{outlet}/index-{moment.astimezone(UTC):%Y%m%dT%H%M%SZ}.sqlite"


def snapshot_index(index_path: Path, target: Path) -> None:
    """Copy the live index to ``target`` with the online backup API, as one self-contained file."""
    if not index_path.exists():
        raise ArchiveIndexError(f"{index_path}: no index to back up; run a crawl or `edittrail reindex` first")
    with (
        closing(sqlite3.connect(f"file:{index_path}?mode=ro", uri=True, timeout=30)) as source,
        closing(sqlite3.connect(target)) as copy,
    ):
        source.backup(copy)
        copy.execute("PRAGMA journal_mode = DELETE")  # no -wal file needed beside the copy
        result = copy.execute("PRAGMA integrity_check").fetchone()[0]
    if result != "ok":
        raise ArchiveIndexError(f"{index_path}: the snapshot fails SQLite's integrity check ({result}); not stored")


def backup_index(
    config: Config, outlet_name: str, *, credentials: S3Credentials | None = None, now: datetime | None = None
) -> StoredObject:
    """Snapshot the index into the outlet's store as ``backups/<outlet>/index-<UTC time>.sqlite``.

    Create-only like every put: a second backup in the same second with the same bytes is the
    same object; restore one by downloading it to ``settings.index``.
    """
    from archive.pipeline import store_for

    outlet = config.outlet(outlet_name)
    store = store_for(config, outlet, credentials)
    key = backup_key(outlet.name, now or datetime.now(UTC))
    config.data_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=config.data_dir, prefix=".backup-") as tmp:
        snapshot = Path(tmp) / Path(key).name
        snapshot_index(config.index_path, snapshot)
        stored = store.put(snapshot, key)
    log.info("index backed up outlet=%s key=%s bytes=%d store=%s", outlet.name, key, stored.size, store.url)
    return stored
