"""Backups: consistent snapshots of edittrail's SQLite files, kept in the outlet's object store.

Three files hold state. The index can be rebuilt from the WARCs, but a rebuild of a large
archive takes hours and loses nothing only if every WARC is still there. The other two cannot
be rebuilt at all: ``alerts.sqlite`` is what each subscriber was already sent (without it a
restored machine re-alerts or, worse, stays silent on a new channel's history rule), and
``mirrors.sqlite`` is the domains' history and the operators' accept/reject decisions. A
snapshot of each next to the WARCs means a lost machine is back with a few downloads.

SQLite's online backup API copies a consistent state while crawls keep writing (WAL readers
never block the writer), and each copy is checked with SQLite's integrity check before it is
stored (archive.index.snapshot).
"""

from __future__ import annotations

import logging
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from archive.config import Config, store_for
from archive.errors import ArchiveIndexError
from archive.index import snapshot as sqlite_snapshot
from archive.mirrors.state import mirrors_db_path
from archive.storage import StoredObject
from archive.storage.s3_settings import S3Credentials

log = logging.getLogger(__name__)
BACKUP_PREFIX = "backups/"


def backup_key(outlet: str, moment: datetime, database: str = "index") -> str:
    """``backups/<outlet>/index-20261125T105500Z.sqlite``: sortable, one per second at most.

    The outlet is in the key because outlets may share a store and all back up the one shared
    index: without it, two maintenance runs in the same second would claim the same key for
    snapshots with different bytes.
    """
    return f"{BACKUP_PREFIX}{outlet}/{database}-{moment.astimezone(UTC):%Y%m%dT%H%M%SZ}.sqlite"


def databases(config: Config) -> dict[str, Path]:
    """The SQLite files a backup copies, by the name their snapshots carry."""
    return {"index": config.index_path, "alerts": config.alerts_db, "mirrors": mirrors_db_path(config.data_dir)}


def require_index(index_path: Path) -> None:
    if not index_path.exists():
        raise ArchiveIndexError(f"{index_path}: no index to back up; run a crawl or `edittrail reindex` first")


def snapshot_database(path: Path, target: Path) -> None:
    """Copy a live SQLite file to ``target`` with the online backup API, checked before it is used
    (archive.index.snapshot)."""
    sqlite_snapshot.snapshot(path, target)


def backup_databases(
    config: Config, outlet_name: str, *, credentials: S3Credentials | None = None, now: datetime | None = None
) -> tuple[StoredObject, ...]:
    """Snapshot the index, and the alerts and mirrors files where they exist, into the outlet's store.

    Keys are ``backups/<outlet>/<index|alerts|mirrors>-<UTC time>.sqlite``, all with the same
    time so one backup's files are found together. Create-only like every put: a second backup
    in the same second with the same bytes is the same object. The index must exist (a backup
    of nothing is an operator's mistake worth hearing about); the other two appear with the
    first alert channel and the first mirror probe, and are skipped until then. Restore each
    by downloading it to its path (``edittrail backup --help`` lists them).
    """
    outlet = config.outlet(outlet_name)
    store = store_for(config, outlet, credentials)
    moment = now or datetime.now(UTC)
    stored: list[StoredObject] = []
    config.data_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=config.data_dir, prefix=".backup-") as tmp:
        for name, path in databases(config).items():
            if name == "index":
                require_index(path)
            elif not path.exists():
                log.info("backup skips %s: %s does not exist yet", name, path)
                continue
            key = backup_key(outlet.name, moment, name)
            snapshot = Path(tmp) / Path(key).name
            snapshot_database(path, snapshot)
            obj = store.put(snapshot, key)
            stored.append(obj)
            log.info("%s backed up outlet=%s key=%s bytes=%d store=%s", name, outlet.name, key, obj.size, store.url)
    return tuple(stored)
