"""Numbered schema steps for the project's SQLite files: the index, alerts.sqlite and mirrors.sqlite.

Each file counts the steps it has had in SQLite's ``user_version``; each database keeps its
steps beside its own code (``archive.index.schema.MIGRATIONS``, ``archive.alerts.store.STEPS``,
``archive.mirrors.state.STEPS``). Opening a file for writing runs the steps it has not had,
each in its own ``BEGIN IMMEDIATE`` transaction together with the new ``user_version``, so a
crash leaves the file at a step boundary and a second writer opening it at the same time
waits, reads the version again and runs nothing twice. A file whose version is higher than
the steps this code knows was written by a newer edittrail and is refused, not guessed at.

Step 1 of alerts.sqlite and mirrors.sqlite is the schema the releases before numbered steps
made, creating only what is missing: such a file (``user_version`` 0) is marked version 1
unchanged, and one an older release left without a later table gets that table.
Never edit a step that has shipped: add the next one.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import sqlite_utils

from archive.errors import EdittrailError

log = logging.getLogger(__name__)

Step = Callable[[sqlite_utils.Database], None]


class SchemaError(EdittrailError):
    """A SQLite file of the archive has a schema this edittrail cannot use."""


def schema_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def refuse_newer(path: Path, version: int, steps: Sequence[Step], error: type[EdittrailError] = SchemaError) -> None:
    """Raise ``error`` when the file at ``path`` has had more steps than this code knows."""
    if version > len(steps):
        raise error(
            f"{path}: schema version {version} is newer than this edittrail, which knows versions up to "
            f"{len(steps)}; a newer edittrail wrote it: upgrade edittrail to open it (or restore a backup "
            "made by this version)"
        )


def migrate(
    db: sqlite_utils.Database,
    path: Path,
    steps: Sequence[Step],
    error: type[EdittrailError] = SchemaError,
) -> int:
    """Run the steps ``db`` has not had, one transaction each; return how many ran."""
    if schema_version(db.conn) == len(steps):
        return 0  # the common case: no write lock taken
    ran = 0
    while True:
        with _immediate(db.conn):
            version = schema_version(db.conn)  # again, under the lock: another writer may have migrated
            refuse_newer(path, version, steps, error)
            if version == len(steps):
                return ran
            steps[version](db)
            db.conn.execute(f"PRAGMA user_version = {version + 1}")
        ran += 1
        log.info("schema migrated path=%s version=%d", path, version + 1)


@contextmanager
def _immediate(conn: sqlite3.Connection) -> Iterator[None]:
    """One write transaction, begun IMMEDIATE (sqlite-utils calls inside join it)."""
    if conn.in_transaction:
        raise RuntimeError("a schema step cannot run inside an open transaction")
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        if conn.in_transaction:
            conn.rollback()
        raise
    conn.commit()
