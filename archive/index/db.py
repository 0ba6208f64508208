"""The SQLite index: schema, migrations and every query on it (through sqlite-utils).

The index is a cache of what the WARCs say: every row can be rebuilt from the stored WARC
files (``edittrail reindex``), so nothing here is evidence by itself. One writer adds rows
(the pipeline's index step); readers open the file read-only. Rows are keyed by the WARC
record id, so indexing the same WARC twice changes nothing, and the ``articles`` table is
recomputed from ``captures`` so that incremental indexing and a full rebuild agree exactly.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from dataclasses import fields
from datetime import UTC, datetime
from functools import lru_cache
from operator import attrgetter
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, Self
from urllib.parse import urlsplit

import sqlite_utils
import surt

from archive.config import Outlet, Revisit
from archive.errors import ArchiveIndexError
from archive.index import articles as articles_index
from archive.index import captures as captures_index
from archive.index.articles import Article
from archive.index.chunks import KEY_CHUNK, in_chunks
from archive.index.records import Capture
from archive.index.schema import MIGRATIONS
from archive.index.versions import DERIVED_TABLES
from archive.migrations import migrate, refuse_newer, schema_version
from archive.moments import parse_utc
from archive.plan.revisit import next_due_moment, schedule_key
from archive.warc import WarcRecordInfo

log = logging.getLogger(__name__)

CAPTURE_RECORD_TYPES = frozenset({"response", "revisit"})
# Every table with an outlet column; all of them are rebuilt by reindex.
ALL_OUTLET_TABLES = (
    "captures",
    "articles",
    "warc_objects",
    "quarantine",
    "detect_queue",
    "tallies",
    *DERIVED_TABLES,
)
ASIDE = "aside"
"""The schema name a rebuilt index is attached under while its rows are swapped in."""


def utc_iso(moment: datetime) -> str:
    """ISO 8601 in UTC with a ``Z``: sortable as text, the form WARC-Date uses."""
    utc = moment.astimezone(UTC)
    return f"{utc.year:04d}-{utc:%m-%dT%H:%M:%S}Z"  # %Y leaves years before 1000 unpadded on glibc


@lru_cache(maxsize=1 << 16)
def urlkey(url: str) -> str:
    """The SURT form the CDX API sorts and looks up by; remembered, since every crawl fetches
    the same listing pages and revisits the same articles again."""
    return str(surt.surt(url))


def capture_from_record(outlet: Outlet, warc_key: str, record: WarcRecordInfo) -> Capture | None:
    """A captures row for a response or revisit record; None for every other record type."""
    if record.record_type not in CAPTURE_RECORD_TYPES or not record.target_uri:
        return None
    url = record.target_uri
    return Capture(
        record_id=record.record_id,
        outlet=outlet.name,
        url=url,
        urlkey=urlkey(url),
        host=(urlsplit(url).hostname or "").lower(),
        fetched_at=utc_iso(record.date),
        status=record.status,
        mime=record.mime,
        payload_digest=record.payload_digest,
        record_type=record.record_type,
        warc=warc_key,
        offset=record.offset,
        length=record.length,
        article_id=outlet.article_id(url),
        ip_address=record.ip_address,
    )


def _article_row(
    outlet: Outlet, base: str, article_id: str, rows: list[tuple[str, str, str, str, int | None]]
) -> tuple[Any, ...]:
    """An ``articles`` row from the article's captures (article id, url, host, fetched at, status),
    oldest first; ``base`` is the outlet's primary origin, which the canonical URL is put on."""
    first, last = rows[0][3], rows[-1][3]
    return (
        outlet.name,
        article_id,
        base + urlsplit(rows[0][1]).path,
        first,
        last,
        ",".join(sorted({row[2] for row in rows})),
        len(rows),
        rows[-1][4],
        _next_due(first, last, outlet.revisit),
    )


def _next_due(first_seen: str, last_seen: str, schedule: Revisit) -> str:
    return utc_iso(next_due_moment(parse_utc(first_seen), parse_utc(last_seen), schedule))


CAPTURE_COLUMNS = tuple(f.name for f in fields(Capture))
INSERT_CAPTURE = (
    f"INSERT OR IGNORE INTO captures ({', '.join(CAPTURE_COLUMNS)}) "  # noqa: S608 (the dataclass's fields)
    f"VALUES ({', '.join('?' * len(CAPTURE_COLUMNS))})"
)
_capture_values = attrgetter(*CAPTURE_COLUMNS)
NO_STATUS = -1
"""A capture without an HTTP status (a revisit of a record that had none), as ``tallies`` counts it."""
BUSY_TIMEOUT_SECONDS = 30
WRITER_CACHE_KIB = 64 * 1024
_PLAIN_BEGIN = frozenset({"BEGIN", "BEGIN TRANSACTION", "BEGIN DEFERRED", "BEGIN DEFERRED TRANSACTION"})


class WriteConnection(sqlite3.Connection):
    """The writer's connection: ``with conn:`` is one write transaction, begun IMMEDIATE.

    sqlite-utils 4 commits each write call on its own unless a transaction is already open,
    and opens its own transactions with a plain, deferred ``BEGIN``. So here ``with conn:``
    opens ``BEGIN IMMEDIATE`` (every sqlite-utils call inside joins it as a savepoint, and it
    commits or rolls back as a whole; a nested block joins the outer one), and a plain
    ``BEGIN`` is run as ``BEGIN IMMEDIATE``.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._began: list[bool] = []

    def __enter__(self) -> Self:
        began = not self.in_transaction
        if began:
            super().execute("BEGIN IMMEDIATE")
        self._began.append(began)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> Literal[False]:
        if self._began.pop() and self.in_transaction:
            if kind is None:
                self.commit()
            else:
                self.rollback()
        return False

    def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:
        if " ".join(sql.upper().replace(";", " ").split()) in _PLAIN_BEGIN:
            sql = "BEGIN IMMEDIATE"
        return super().execute(sql, parameters)


def connect(path: Path, *, readonly: bool = False) -> sqlite3.Connection:
    """A connection to the index, set up so readers and the writer never see "database is locked".

    - WAL journal (set by the writer; it is a property of the file): readers read the last
      committed state while the writer writes, and neither blocks the other.
    - busy_timeout: whoever finds the file locked (a second writer, a checkpoint, a reader
      opening while WAL is being set up) waits up to BUSY_TIMEOUT_SECONDS instead of failing.
    - ``BEGIN IMMEDIATE`` for every write transaction (``isolation_level``): the write lock is
      taken when the transaction starts, where busy_timeout applies. A deferred transaction
      that has read first cannot upgrade to a writer once another connection has committed,
      and SQLite fails it at once, without waiting: the classic "database is locked" under WAL.

    - The writer syncs at checkpoints, not at every commit (``synchronous = normal``, safe
      under WAL: a power cut can lose the last transactions, never corrupt the file), and keeps
      ``WRITER_CACHE_KIB`` of pages: the index is rebuilt from the WARCs, and a lost commit is
      redone by the next run (its objects are listed again, its captures queued again), while a
      sync per commit and a small cache made each crawl batch's writes cost more as the archive
      grew.

    The writer's ``with conn:`` block is one such transaction (``WriteConnection``).
    Readers open the file read-only (``mode=ro``); the directory must stay writable for them,
    since WAL readers share the ``-shm`` index beside the database.
    """
    if readonly:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_SECONDS)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level="IMMEDIATE", factory=WriteConnection)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_SECONDS * 1000}")
    if not readonly:
        conn.execute("PRAGMA journal_mode = wal")
        conn.execute("PRAGMA synchronous = normal")
        conn.execute(f"PRAGMA cache_size = -{WRITER_CACHE_KIB}")
    return conn


class Index:
    """The archive's SQLite index. Open one writer per process; readers pass ``readonly=True``.

    The database itself (``_db``) is for the modules of archive/index/ only, which take the
    ``Index`` and own every query on it; tests/test_sql_owners.py fails on a use anywhere else.
    ``any_schema`` (read-only) opens an index of another release as it is, for ``status``,
    which checks the tables it reads itself.
    """

    def __init__(self, path: Path, *, readonly: bool = False, any_schema: bool = False) -> None:
        self.path = path
        self.readonly = readonly
        if readonly and not path.exists():
            raise ArchiveIndexError(f"{path}: no index yet; run a crawl or `edittrail reindex` first")
        self._db = sqlite_utils.Database(connect(path, readonly=readonly))
        if not readonly:
            self.migrate()
        elif not any_schema and (version := self.schema_version()) != len(MIGRATIONS):
            refuse_newer(path, version, MIGRATIONS, ArchiveIndexError)
            raise ArchiveIndexError(
                f"{path}: schema version {version}, this edittrail expects {len(MIGRATIONS)}; "
                "open it once with a writer (any crawl or `edittrail reindex`) to migrate"
            )

    def close(self) -> None:
        self._db.close()

    def transaction(self) -> AbstractContextManager[Any]:
        """One write transaction, begun IMMEDIATE (``WriteConnection``): what is written inside
        commits or rolls back as a whole; a transaction opened inside joins it."""
        return self._db.conn

    def set_progress_handler(self, handler: Callable[[], int] | None, steps: int) -> None:
        """sqlite3's progress handler on the index's connection: a reader's deadline
        (archive.api.budget) stops a statement between ``steps`` virtual-machine steps."""
        self._db.conn.set_progress_handler(handler, steps)

    def __enter__(self) -> Index:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def schema_version(self) -> int:
        return schema_version(self._db.conn)

    def migrate(self) -> None:
        """Apply the migrations this file has not had yet, each in its own transaction (archive.migrations)."""
        migrate(self._db, self.path, MIGRATIONS, ArchiveIndexError)

    def indexed_keys(self, outlet: str, keys: Iterable[str]) -> set[str]:
        """Which of ``keys`` (the store's listing) are indexed: looked up by key, never a walk of every object."""
        return captures_index.indexed_keys(self, outlet, keys, chunk=KEY_CHUNK)

    def add_warc(
        self,
        outlet: Outlet,
        key: str,
        records: Iterable[WarcRecordInfo],
        *,
        size: int,
        sha256: str | None,
        touched: set[str] | None = None,
    ) -> int:
        """Index every capture of one stored WARC in a single transaction; returns its captures.

        The object's rows are replaced, not added to: indexing it again after it changed (a
        quarantined object restored) leaves exactly the rows of what it holds now.
        """
        captures = [c for c in (capture_from_record(outlet, key, r) for r in records) if c is not None]
        now = utc_iso(datetime.now(UTC))
        with self._db.conn:
            before = {
                row[0] for row in self._db.execute("SELECT DISTINCT article_id FROM captures WHERE warc = ?", [key])
            }
            self._db.execute(
                "DELETE FROM detect_queue WHERE record_id IN (SELECT record_id FROM captures WHERE warc = ?)", [key]
            )
            self._tally(key, -1)
            self._db.execute("DELETE FROM captures WHERE warc = ?", [key])
            self._db.conn.executemany(INSERT_CAPTURE, map(_capture_values, captures))
            self._tally(key, +1)
            self._queue_for_detect(key)
            articles = {c.article_id for c in captures if c.article_id}
            self._refresh_articles(outlet, articles | (before - {None}))
            if touched is not None:  # the caller's tally of the articles this run touched
                touched |= articles
            self._db.table("warc_objects").upsert(
                {
                    "key": key,
                    "outlet": outlet.name,
                    "size": size,
                    "sha256": sha256,
                    "stored_at": now,
                    "indexed_at": now,
                    "records": len(captures),
                },
                pk="key",
            )
        log.info("indexed outlet=%s warc=%s captures=%d", outlet.name, key, len(captures))
        return len(captures)

    def _tally(self, key: str, sign: int) -> None:
        """Add (or take away) one object's captures to the per-host, per-status counts."""
        rows = self._db.execute(
            f"SELECT outlet, host, coalesce(status, {NO_STATUS}), count(*) FROM captures WHERE warc = ? "  # noqa: S608
            f"GROUP BY outlet, host, coalesce(status, {NO_STATUS})",
            [key],
        ).fetchall()
        self._db.conn.executemany(
            "INSERT INTO tallies (outlet, host, status, captures) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (outlet, host, status) DO UPDATE SET captures = captures + excluded.captures",
            [(outlet, host, status, sign * n) for outlet, host, status, n in rows],
        )
        self._db.conn.executemany(
            "DELETE FROM tallies WHERE outlet = ? AND host = ? AND status = ? AND captures <= 0",
            [(outlet, host, status) for outlet, host, status, _ in rows],
        )

    def _queue_for_detect(self, key: str) -> None:
        """The object's article captures detect has not settled, queued for it (archive.detect.run)."""
        self._db.execute(
            "INSERT OR IGNORE INTO detect_queue (record_id, outlet, fetched_at) "
            "SELECT c.record_id, c.outlet, c.fetched_at FROM captures c WHERE c.warc = ? AND c.article_id IS NOT NULL "
            "AND NOT EXISTS (SELECT 1 FROM detected d WHERE d.record_id = c.record_id)",
            [key],
        )

    def _refresh_articles(self, outlet: Outlet, article_ids: set[str]) -> None:
        """Recompute article rows from their captures, so any indexing order gives the same rows.
        ``KEY_CHUNK`` articles at a time: one read of their captures, one write of their rows."""
        ids, base = sorted(article_ids), outlet.base_url(outlet.primary)
        for part, marks in in_chunks(ids, KEY_CHUNK):
            captured: dict[str, list[tuple[str, str, str, str, int | None]]] = {}
            for row in self._db.execute(
                "SELECT article_id, url, host, fetched_at, status FROM captures "  # noqa: S608 (placeholders)
                f"WHERE outlet = ? AND article_id IN ({marks}) ORDER BY article_id, fetched_at, url",
                [outlet.name, *part],
            ):
                captured.setdefault(row[0], []).append(row)
            gone = [(outlet.name, article_id) for article_id in part if article_id not in captured]
            self._db.conn.executemany("DELETE FROM articles WHERE outlet = ? AND article_id = ?", gone)
            self._db.conn.executemany(
                "INSERT OR REPLACE INTO articles (outlet, article_id, canonical_url, first_seen, last_seen, hosts, "
                "captures, last_status, next_due) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [_article_row(outlet, base, article_id, rows) for article_id, rows in captured.items()],
            )

    def _record_schedule(self, outlet: Outlet) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO revisit_schedules (outlet, schedule) VALUES (?, ?)",
            [outlet.name, schedule_key(outlet.revisit)],
        )

    def follow_schedule(self, outlet: Outlet) -> int:
        """Recompute every article's next revisit moment when the outlet's schedule changed; returns how many.

        The moments are stored when articles are captured; a schedule edited in the config
        makes them stale, and this (run by the plan step before it reads the due articles) is
        the one time the outlet's articles are all walked for it. Only this records the schedule
        as applied: the index step computes the moments of the articles it touches, which says
        nothing of the others (an index upgraded to migration 6 has none yet).
        """
        row = self._db.execute("SELECT schedule FROM revisit_schedules WHERE outlet = ?", [outlet.name]).fetchone()
        if row is not None and row[0] == schedule_key(outlet.revisit):
            return 0
        with self._db.conn:
            rows = self._db.execute(
                "SELECT article_id, first_seen, last_seen FROM articles WHERE outlet = ?", [outlet.name]
            ).fetchall()
            self._db.conn.executemany(
                "UPDATE articles SET next_due = ? WHERE outlet = ? AND article_id = ?",
                [(_next_due(first, last, outlet.revisit), outlet.name, aid) for aid, first, last in rows],
            )
            self._record_schedule(outlet)
        log.info("revisit schedule applied outlet=%s articles=%d", outlet.name, len(rows))
        return len(rows)

    def due_articles(self, outlet: Outlet, now: datetime) -> list[str]:
        """Canonical URLs of the articles due for a revisit at ``now``, earliest due first, at most
        ``max_per_run``: read through the ``(outlet, next_due)`` index, however many articles there are."""
        rows = self._db.execute(
            "SELECT canonical_url FROM articles WHERE outlet = ? AND next_due <= ? ORDER BY next_due LIMIT ?",
            [outlet.name, utc_iso(now), outlet.revisit.max_per_run],
        )
        return [row[0] for row in rows]

    def clear(self, outlet: str) -> None:
        """Forget every row of one outlet."""
        with self._db.conn:
            for table in ALL_OUTLET_TABLES:
                self._db.execute(f"DELETE FROM {table} WHERE outlet = ?", [outlet])  # noqa: S608 (fixed table names)

    def stop_full_text(self) -> None:
        """Keep no full-text index of versions in this file from now on: for a rebuild aside,
        whose versions are never searched there and get their full text in the live index
        when they are swapped in (its own triggers, :func:`_swap_table`). Filling it cost a
        rebuild about a fifth of each new version's insert."""
        conn = self._db.conn
        triggers = conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'versions' "
            "AND sql LIKE '%versions_fts%'"
        ).fetchall()
        with conn:
            for (name,) in triggers:
                conn.execute(f'DROP TRIGGER "{name}"')

    def make_disposable(self) -> None:
        """Write this file with its rollback journal in memory and no syncs, not through a
        write-ahead log: for a rebuild aside, which nobody keeps if the process dies (the next
        rebuild removes it, :mod:`archive.index.aside`). Transactions still roll back. Through
        the WAL every page was written twice (the log, then the checkpoint): 4% of a rebuild's
        time on the bench corpus, in alternated fresh runs. (A catch-up before the swap opens
        the file again as any index, in WAL mode: rare, and only slower.)"""
        conn = self._db.conn
        mode = conn.execute("PRAGMA journal_mode = memory").fetchone()[0]
        if mode != "memory":  # SQLite answers with the mode it kept
            raise ArchiveIndexError(f"{self.path}: could not leave journal mode {mode} for a rebuild aside")
        conn.execute("PRAGMA synchronous = off")

    def object_keys(self, outlet: str) -> set[str]:
        """The outlet's WARC objects the index knows of: indexed, or quarantined."""
        return _object_keys(self._db.conn, outlet)

    def swap_outlet(self, rebuilt: Path, outlet: str, *, ignore: Iterable[str] = ()) -> set[str]:
        """Replace every row of the outlet with those of the index file ``rebuilt``, in one transaction.

        Readers (WAL) see the outlet's old rows until the commit and the new ones after it:
        never an empty or half-built archive. A writer that indexed objects here while
        ``rebuilt`` was built would lose them, so the swap is made only when ``rebuilt`` knows
        every object this index knows (``ignore``: those it leaves out on purpose); otherwise
        nothing changes and the keys it lacks are returned, to be added to it first.
        """
        conn = self._db.conn
        conn.execute(f"ATTACH DATABASE ? AS {ASIDE}", [str(rebuilt)])
        try:
            with conn:
                behind = _object_keys(conn, outlet) - _object_keys(conn, outlet, ASIDE) - set(ignore)
                if not behind:
                    for table in ALL_OUTLET_TABLES:
                        _swap_table(conn, table, outlet)
        finally:
            conn.execute(f"DETACH DATABASE {ASIDE}")
        if not behind:
            log.info("index rows swapped in outlet=%s from=%s", outlet, rebuilt)
        return behind

    def captures(self, outlet: str | None = None) -> Iterator[Capture]:
        return captures_index.in_key_order(self, outlet)

    def articles(self, outlet: str | None = None) -> Iterator[Article]:
        return articles_index.in_key_order(self, outlet)

    def last_capture(self, url: str) -> Capture | None:
        """The newest capture of exactly this URL (any outlet), or None: what a revisit refers to."""
        return captures_index.last_of_url(self, urlkey(url), url)

    def summary(self, outlet: str) -> dict[str, Any]:
        """Counts for the end-of-run report: articles, captures per host and status, WARC objects."""
        q = self._db.execute
        tallies = q("SELECT host, status, captures FROM tallies WHERE outlet = ? AND captures > 0", [outlet]).fetchall()
        per_host: dict[str, int] = {}
        per_status: dict[int, int] = {}
        for host, status, n in tallies:
            per_host[host] = per_host.get(host, 0) + n
            per_status[status] = per_status.get(status, 0) + n
        return {
            "articles": q("SELECT count(*) FROM articles WHERE outlet = ?", [outlet]).fetchone()[0],
            "captures": sum(per_host.values()),
            "captures_per_host": dict(sorted(per_host.items())),
            "status_counts": {str(None if k == NO_STATUS else k): v for k, v in sorted(per_status.items())},
            "warc_objects": [
                {"key": k, "size": s, "records": r}
                for k, s, r in q("SELECT key, size, records FROM warc_objects WHERE outlet = ? ORDER BY key", [outlet])
            ],
        }


def _object_keys(conn: sqlite3.Connection, outlet: str, schema: str = "main") -> set[str]:
    query = (
        f"SELECT key FROM {schema}.warc_objects WHERE outlet = ? "  # noqa: S608 (fixed schema names)
        f"UNION SELECT key FROM {schema}.quarantine WHERE outlet = ?"
    )
    return {row[0] for row in conn.execute(query, [outlet, outlet])}


def _swap_table(conn: sqlite3.Connection, table: str, outlet: str) -> None:
    """The outlet's rows of ``table`` replaced by the attached rebuild's.

    A table with an ``id`` key (versions, changes) numbers its rows in one sequence for all
    outlets, so the rebuilt rows get new ids here, in the order they had there; nothing
    refers to those ids. Triggers (the full-text index of versions) follow as for any write.
    """
    here = [row[1] for row in conn.execute(f"PRAGMA main.table_info({table})")]
    there = {row[1] for row in conn.execute(f"PRAGMA {ASIDE}.table_info({table})")}
    columns = ", ".join(f'"{c}"' for c in here if c in there and c != "id")
    order = " ORDER BY id" if "id" in there else ""
    conn.execute(f"DELETE FROM main.{table} WHERE outlet = ?", [outlet])  # noqa: S608 (fixed table names)
    conn.execute(
        f"INSERT INTO main.{table} ({columns}) SELECT {columns} FROM {ASIDE}.{table} WHERE outlet = ?{order}",  # noqa: S608
        [outlet],
    )
