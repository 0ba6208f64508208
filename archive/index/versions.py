"""Queries on article versions, changes and the detect stage's bookkeeping.

Like every table of the index, these are derived from the WARCs (detect re-extracts from
the stored records), so ``reindex`` can drop and rebuild them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, fields
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import sqlite_utils

from archive.index.captures import C_COLUMNS
from archive.index.chunks import in_chunks
from archive.index.records import ArticleState, Capture, Change, HostState, SearchHit, StoredChange, Version

if TYPE_CHECKING:
    from archive.index import Index

DERIVED_TABLES = (
    "versions",
    "changes",
    "detected",
    "host_state",
    "article_state",
    "noise_learned",
)


_VERSION_COLUMNS = tuple(f.name for f in fields(Version))


def version_row(version: Version) -> dict[str, Any]:
    """The version's columns (a shallow read: ``asdict`` would copy every paragraph deep, per version)."""
    row = {name: getattr(version, name) for name in _VERSION_COLUMNS}
    row["hashes"] = json.dumps(dict(version.hashes), sort_keys=True)
    row["body"] = "\n\n".join(version.body)
    row["captions"] = json.dumps(list(version.captions))
    row["images"] = json.dumps(list(version.images))
    row["section_ids"] = json.dumps(list(version.section_ids))
    return row


def version_from_row(row: dict[str, Any]) -> Version:
    return Version(
        outlet=row["outlet"],
        article_id=row["article_id"],
        version=row["version"],
        record_id=row["record_id"],
        host=row["host"],
        url=row["url"],
        fetched_at=row["fetched_at"],
        whole_hash=row["whole_hash"],
        hashes=json.loads(row["hashes"]),
        headline=row["headline"] or "",
        lead=row["lead"] or "",
        body=tuple(p for p in (row["body"] or "").split("\n\n") if p),
        captions=tuple(json.loads(row["captions"] or "[]")),
        images=tuple(json.loads(row["images"] or "[]")),
        section=row["section"] or "",
        byline=row["byline"] or "",
        published=row["published"],
        last_update=row["last_update"],
        slug=row["slug"] or "",
        extractor=row["extractor"] or "",
        section_ids=tuple(json.loads(row.get("section_ids") or "[]")),
    )


def _one(db: sqlite_utils.Database, sql: str, params: list[Any]) -> dict[str, Any] | None:
    rows = list(db.query(sql, params))
    return rows[0] if rows else None


def versions_of(index: Index, outlet: str, article_id: str) -> list[Version]:
    db = index._db
    rows = db.query("SELECT * FROM versions WHERE outlet = ? AND article_id = ? ORDER BY version", [outlet, article_id])
    return [version_from_row(row) for row in rows]


def _of_articles(index: Index, sql: str, outlet: str, article_ids: list[str]) -> Iterator[dict[str, Any]]:
    """The rows of ``sql`` (``... WHERE outlet = ? AND article_id IN ({})``) for every article id, a chunk at a time."""
    for ids, marks in in_chunks(article_ids):
        yield from index._db.query(sql.format(marks), [outlet, *ids])


def versions_of_articles(index: Index, outlet: str, article_ids: list[str]) -> dict[str, list[Version]]:
    """Every version of each article, in order, by article id (a crawl batch's articles in a few statements)."""
    found: dict[str, list[Version]] = {article_id: [] for article_id in article_ids}
    sql = "SELECT * FROM versions WHERE outlet = ? AND article_id IN ({}) ORDER BY article_id, version"
    for row in _of_articles(index, sql, outlet, article_ids):
        found[row["article_id"]].append(version_from_row(row))
    return found


def host_states_of_articles(index: Index, outlet: str, article_ids: list[str]) -> dict[str, dict[str, HostState]]:
    """What each host last showed of each article, by article id, then host."""
    found: dict[str, dict[str, HostState]] = {article_id: {} for article_id in article_ids}
    sql = "SELECT * FROM host_state WHERE outlet = ? AND article_id IN ({})"
    for row in _of_articles(index, sql, outlet, article_ids):
        found[row["article_id"]][row["host"]] = HostState.from_row(row)
    return found


def article_states(index: Index, outlet: str, article_ids: list[str]) -> dict[str, ArticleState]:
    """Each article's state, by article id (an article never seen has the empty one)."""
    found = {article_id: ArticleState(outlet, article_id) for article_id in article_ids}
    sql = "SELECT * FROM article_state WHERE outlet = ? AND article_id IN ({})"
    for row in _of_articles(index, sql, outlet, article_ids):
        found[row["article_id"]] = ArticleState.from_row(row)
    return found


def version_number(index: Index, outlet: str, article_id: str, number: int) -> Version | None:
    db = index._db
    row = _one(
        db, "SELECT * FROM versions WHERE outlet = ? AND article_id = ? AND version = ?", [outlet, article_id, number]
    )
    return version_from_row(row) if row else None


def latest_version(index: Index, outlet: str, article_id: str) -> Version | None:
    db = index._db
    row = _one(
        db,
        "SELECT * FROM versions WHERE outlet = ? AND article_id = ? ORDER BY version DESC LIMIT 1",
        [outlet, article_id],
    )
    return version_from_row(row) if row else None


def add_version(index: Index, version: Version) -> None:
    db = index._db
    row = version_row(version)
    columns = ", ".join(row)
    db.execute(f"INSERT INTO versions ({columns}) VALUES ({', '.join('?' * len(row))})", list(row.values()))  # noqa: S608 (the dataclass's fields)


def add_change(index: Index, change: Change) -> bool:
    """Insert unless a change with the same key exists; True when it was new."""
    db = index._db
    before = db.execute("SELECT count(*) FROM changes WHERE change_key = ?", [change.key]).fetchone()[0]
    if before:
        return False
    row = asdict(change)
    row["change_key"] = change.key
    row["detected_at"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    row["declared"] = int(change.declared)
    row["details"] = json.dumps(dict(change.details), sort_keys=True)
    db.table("changes").insert(row)
    return True


def pending_captures(index: Index, outlet: str) -> Iterator[Capture]:
    """Article captures detect has not looked at yet, in the order they were fetched.

    Read from the queue the index step fills (``detect_queue``), so a run reads its new
    captures, however many the archive holds.
    """
    rows = index._db.execute(
        f"SELECT {C_COLUMNS} FROM detect_queue q JOIN captures c ON c.record_id = q.record_id "  # noqa: S608 (fixed columns)
        "WHERE q.outlet = ? ORDER BY q.fetched_at, q.record_id",
        [outlet],
    )
    yield from (Capture(*row) for row in rows)


def pending_captures_in(index: Index, outlet: str, warcs: list[str]) -> list[Capture]:
    """Article captures detect has not looked at yet, of these WARC objects only, in fetch order:
    what a rebuild's index step has just added (archive.detect.following)."""
    found: list[Capture] = []
    for keys, marks in in_chunks(warcs):
        found += (
            Capture(*row)
            for row in index._db.execute(
                f"SELECT {C_COLUMNS} FROM captures c JOIN detect_queue q ON q.record_id = c.record_id "  # noqa: S608 (placeholders)
                f"WHERE c.warc IN ({marks}) AND q.outlet = ?",
                [*keys, outlet],
            )
        )
    return sorted(found, key=lambda capture: (capture.fetched_at, capture.record_id))


def mark_all_detected(index: Index, marks: Iterable[tuple[Capture, str, int | None]]) -> None:
    """Record what detect made of each capture, and take them off the queue (a batch's in two statements)."""
    rows = [(c.record_id, c.outlet, c.article_id, version, outcome) for c, outcome, version in marks]
    conn = index._db.conn
    conn.executemany(
        "INSERT OR REPLACE INTO detected (record_id, outlet, article_id, version, outcome) VALUES (?, ?, ?, ?, ?)", rows
    )
    conn.executemany("DELETE FROM detect_queue WHERE record_id = ?", [(row[0],) for row in rows])


def detected_version(index: Index, record_id: str) -> int | None:
    db = index._db
    row = _one(db, "SELECT version FROM detected WHERE record_id = ?", [record_id])
    return row["version"] if row else None


def set_host_states(index: Index, outlet: str, shown: Iterable[tuple[str, HostState]]) -> None:
    """What each host shows of each article now, as (article id, state), replacing what it showed
    before (a batch's in one statement)."""
    index._db.conn.executemany(
        "INSERT OR REPLACE INTO host_state (outlet, article_id, host, state, version, record_id, since, since_record, "
        "redirect_to) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                outlet,
                article_id,
                state.host,
                state.state,
                state.version,
                state.record_id,
                state.since,
                state.since_record,
                state.redirect_to,
            )
            for article_id, state in shown
        ],
    )


def article_state(index: Index, outlet: str, article_id: str) -> ArticleState:
    db = index._db
    row = _one(db, "SELECT * FROM article_state WHERE outlet = ? AND article_id = ?", [outlet, article_id])
    if row is None:
        return ArticleState(outlet, article_id)
    return ArticleState.from_row(row)


def set_article_state(
    index: Index,
    outlet: str,
    article_id: str,
    *,
    state: str,
    record_id: str,
    redirect_to: str | None = None,
) -> None:
    """The article's fate (gone, redirect), keeping the version it showed last."""
    db = index._db
    db.execute(
        "INSERT INTO article_state (outlet, article_id, state, redirect_to, record_id) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT (outlet, article_id) DO UPDATE SET state = excluded.state, "
        "redirect_to = excluded.redirect_to, record_id = excluded.record_id",
        [outlet, article_id, state, redirect_to, record_id],
    )


def set_current_version(
    index: Index,
    outlet: str,
    article_id: str,
    version: int,
    *,
    since: str | None = None,
    record_id: str | None = None,
) -> ArticleState:
    """The article is live and shows ``version``, since ``since`` (the capture ``record_id`` first showed it);
    returns its row as written (every column is set here, so the caller need not read it back)."""
    db = index._db
    db.execute(
        "INSERT INTO article_state (outlet, article_id, state, current_version, current_since, transition_record, "
        "record_id) VALUES (?, ?, 'live', ?, ?, ?, ?) "
        "ON CONFLICT (outlet, article_id) DO UPDATE SET state = 'live', redirect_to = NULL, "
        "current_version = excluded.current_version, current_since = excluded.current_since, "
        "transition_record = excluded.transition_record, record_id = excluded.record_id",
        [outlet, article_id, version, since, record_id, record_id],
    )
    return ArticleState(
        outlet,
        article_id,
        state="live",
        redirect_to=None,
        record_id=record_id,
        current_version=version,
        current_since=since,
        transition_record=record_id,
    )


def current_version(index: Index, outlet: str, article_id: str) -> Version | None:
    """The version the outlet shows now; the latest when none was recorded."""
    number = article_state(index, outlet, article_id).current_version
    if number is not None:
        return version_number(index, outlet, article_id, number)
    return latest_version(index, outlet, article_id)


def add_served_by(
    index: Index, outlet: str, article_id: str, to_record: str, joined: Sequence[tuple[str, str]]
) -> None:
    """Hosts that caught up with the version the change(s) ending at ``to_record`` introduced:
    (host, first seen), in the order they are added. One read of the changes for them all: a
    batch's first sight of an article has every mirror catch up at once, and no change to join."""
    db = index._db
    rows = db.execute(
        "SELECT id, details FROM changes WHERE outlet = ? AND article_id = ? AND to_record = ?",
        [outlet, article_id, to_record],
    ).fetchall()
    for change_id, raw in rows:
        details = json.loads(raw or "{}")
        served = details.get("served_by")
        if served is None:
            continue
        added = False
        for host, first_seen in joined:
            if not any(entry["host"] == host for entry in served):
                served.append({"host": host, "first_seen": first_seen})
                added = True
        if added:
            db.execute("UPDATE changes SET details = ? WHERE id = ?", [json.dumps(details, sort_keys=True), change_id])


def changed_to(index: Index, outlet: str, article_id: str, version: int) -> bool:
    """Whether a recorded change of the article ends at ``version``: it was the current version
    once, so showing it again is a revert or a re-edit rather than a new edit. Stops at the first
    such change."""
    db = index._db
    row = db.execute(
        "SELECT 1 FROM changes WHERE outlet = ? AND article_id = ? AND to_version = ? LIMIT 1",
        [outlet, article_id, version],
    ).fetchone()
    return row is not None


def divergence_reported(index: Index, outlet: str, article_id: str, host: str, reference: int, other: int) -> bool:
    db = index._db
    row = db.execute(
        "SELECT 1 FROM changes WHERE outlet = ? AND article_id = ? AND kind = 'mirror_divergence' "
        "AND host = ? AND from_version = ? AND to_version = ?",
        [outlet, article_id, host, reference, other],
    ).fetchone()
    return row is not None


def changes(
    index: Index,
    *,
    outlet: str | None = None,
    since: str | None = None,
    kind: str | None = None,
    article_id: str | None = None,
    declared: bool | None = None,
    limit: int | None = None,
) -> list[StoredChange]:
    """Changes, newest first, filtered. With ``limit``, only that many rows are read (through the
    ``(outlet, to_time)`` index), however long the history."""
    db = index._db
    where, params = [], []
    declared_flag = None if declared is None else int(declared)
    for column, value in (("outlet", outlet), ("kind", kind), ("article_id", article_id), ("declared", declared_flag)):
        if value is not None:
            where.append(f"{column} = ?")
            params.append(value)
    if since is not None:
        where.append("to_time >= ?")
        params.append(since)
    sql = "SELECT * FROM changes" + (" WHERE " + " AND ".join(where) if where else "")  # noqa: S608 (fixed columns)
    sql += " ORDER BY to_time DESC, id DESC" + (f" LIMIT {int(limit)}" if limit else "")
    return [StoredChange.from_row(row) for row in db.query(sql, params)]


def changes_detected_since(index: Index, outlet: str, since: str | None) -> list[StoredChange]:
    """Changes detect recorded at or after ``since`` (all of them when None), oldest first.

    Read through the ``(outlet, detected_at)`` index: the alert stage's cost follows the
    changes of its run, not the outlet's history.
    """
    db = index._db
    if since is None:
        rows = db.query("SELECT * FROM changes WHERE outlet = ? ORDER BY to_time, id", [outlet])
    else:
        rows = db.query(
            "SELECT * FROM changes WHERE outlet = ? AND detected_at >= ? ORDER BY detected_at, id", [outlet, since]
        )
    return sorted(map(StoredChange.from_row, rows), key=lambda change: (change.to_time, change.id))


def change_keys(index: Index, outlet: str) -> list[str]:
    """Every change key of the outlet: a channel's history on its first sight (once per channel)."""
    db = index._db
    return [
        row[0] for row in db.execute("SELECT change_key FROM changes WHERE outlet = ? ORDER BY to_time, id", [outlet])
    ]


def search(index: Index, query: str, *, outlet: str | None = None, limit: int = 50) -> list[SearchHit]:
    """Full-text search over every version's headline and body (FTS5 syntax)."""
    db = index._db
    sql = (
        "SELECT v.outlet, v.article_id, v.version, v.fetched_at, v.host, v.headline, "
        "snippet(versions_fts, 1, '[', ']', '…', 12) AS snippet "
        "FROM versions_fts JOIN versions v ON v.rowid = versions_fts.rowid WHERE versions_fts MATCH ?"
    )
    params: list[Any] = [query]
    if outlet:
        sql += " AND v.outlet = ?"
        params.append(outlet)
    sql += " ORDER BY rank LIMIT ?"
    params.append(limit)
    return [SearchHit.from_row(row) for row in db.query(sql, params)]


def clear_derived(index: Index, outlet: str, *, keep_noise: bool = False) -> None:
    """Forget what detect made of the outlet's captures (they are all pending again)."""
    db = index._db
    for table in DERIVED_TABLES:
        if keep_noise and table.startswith("noise_"):
            continue
        db.execute(f"DELETE FROM {table} WHERE outlet = ?", [outlet])  # noqa: S608 (fixed table names)
    db.execute(
        "INSERT OR IGNORE INTO detect_queue (record_id, outlet, fetched_at) "
        "SELECT record_id, outlet, fetched_at FROM captures WHERE outlet = ? AND article_id IS NOT NULL",
        [outlet],
    )
