"""The captures family: lookups of ``captures`` rows, the ``warc_objects`` they sit in, and what
detect recorded for them (``detected``), for the stages that read the index.

Rows come back as the records of archive.index.records (issue 14): a :class:`Capture` per
captures row, built positionally from the row's tuple (the columns named in the order of its
fields, so no row dict is built per capture), or a narrower record where a lookup reads fewer
columns (:class:`CdxCapture`) or more (:class:`DetectedCapture`). Every lookup is bounded by
an index of the schema (archive.index.schema), named in its docstring; the few that walk an
outlet do so on purpose and say so.
``tests/archive/index/test_query_plans.py`` judges the plans of those a crawl cycle runs.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

import sqlite_utils
import surt

from archive.index.chunks import in_chunks
from archive.index.records import Capture, CdxCapture, DetectedCapture
from archive.moments import parse_iso
from archive.warc.records import RevisitOf

if TYPE_CHECKING:
    from archive.index import Index

_COLUMNS = ", ".join(f'"{f.name}"' for f in fields(Capture))
"""A captures row's columns in the order of :class:`Capture`'s fields: ``Capture(*row)`` builds it."""
C_COLUMNS = ", ".join(f'c."{f.name}"' for f in fields(Capture))
"""The same, of the captures table aliased ``c`` (in a join)."""
_CDX_COLUMNS = ", ".join(f'"{f.name}"' for f in fields(CdxCapture))
"""The columns a CDX line shows, in the order of :class:`CdxCapture`'s fields."""


@dataclass(frozen=True)
class IndexedObject:
    """A stored WARC object as the index recorded it when it indexed the object."""

    key: str
    size: int
    sha256: str | None


def indexed_keys(index: Index, outlet: str, keys: Iterable[str], *, chunk: int) -> set[str]:
    """Which of ``keys`` (the store's listing) are indexed: looked up by key, ``chunk`` keys per
    statement, never a walk of every object."""
    db = index._db
    found = set[str]()
    for part, marks in in_chunks(list(keys), chunk):
        rows = db.execute(
            f"SELECT key FROM warc_objects WHERE key IN ({marks}) "  # noqa: S608 (placeholders)
            "AND outlet = ? AND indexed_at IS NOT NULL",
            [*part, outlet],
        )
        found.update(row[0] for row in rows)
    return found


def indexed_objects(index: Index, outlet: str) -> list[IndexedObject]:
    """Every WARC object of the outlet the index holds rows of: the audit compares each with the
    store, so this walks the outlet's objects (one row per object, never per capture)."""
    db = index._db
    rows = db.query("SELECT key, size, sha256 FROM warc_objects WHERE outlet = ?", [outlet])
    return [IndexedObject(row["key"], row["size"], row["sha256"]) for row in rows]


def _captures(db: sqlite_utils.Database, where: str, params: Sequence[Any]) -> Iterator[Capture]:
    """The captures rows ``where`` (the statement's text after ``FROM captures``) selects, as
    records, streamed: each built from its tuple, so a long walk builds no row dicts."""
    for row in db.execute(f"SELECT {_COLUMNS} FROM captures {where}", params):  # noqa: S608 (constant parts)
        yield Capture(*row)


def _first(captures: Iterator[Capture]) -> Capture | None:
    return next(captures, None)


def in_object(index: Index, warc: str) -> list[Capture]:
    """The captures rows of one WARC object, through the ``captures(warc)`` index."""
    return list(_captures(index._db, "WHERE warc = ?", [warc]))


def rows_without_object(index: Index, outlet: str) -> list[tuple[str, int]]:
    """(warc, captures) for each object the outlet's captures point at but ``warc_objects`` lacks,
    by key: a stale index. The audit's check walks the outlet's captures on purpose."""
    db = index._db
    return [
        (row["warc"], row["n"])
        for row in db.query(
            "SELECT warc, count(*) AS n FROM captures WHERE outlet = ? AND warc NOT IN "
            "(SELECT key FROM warc_objects) GROUP BY warc ORDER BY warc",
            [outlet],
        )
    ]


def in_key_order(index: Index, outlet: str | None = None) -> Iterator[Capture]:
    """Every capture (of one outlet, or of all), in CDX order, streamed: a whole walk on purpose,
    for checks, tests and tools that compare an index with another."""
    db = index._db
    where, params = ("WHERE outlet = ?", [outlet]) if outlet else ("", [])
    yield from _captures(db, f"{where} ORDER BY urlkey, fetched_at, record_id", params)


def last_of_url(index: Index, urlkey: str, url: str) -> Capture | None:
    """The newest capture of exactly ``url`` (any outlet), or None: what a revisit refers to.
    One probe of the ``(urlkey, fetched_at)`` index from its newest end."""
    db = index._db
    return _first(
        _captures(db, "WHERE urlkey = ? AND url = ? ORDER BY fetched_at DESC, record_id LIMIT 1", [urlkey, url])
    )


def by_record_id(index: Index, record_id: str) -> Capture | None:
    """The captures row of one WARC-Record-ID (its primary key), or None."""
    db = index._db
    return _first(_captures(db, "WHERE record_id = ?", [record_id]))


def payload_holder(index: Index, url: str) -> tuple[int, RevisitOf] | None:
    """(status, the record holding the payload) of the newest capture of exactly ``url`` in earlier
    crawls, for the crawl's revisit decision (:class:`archive.warc.PreviousCaptures`); None when
    there is none or it holds no payload. Two probes of the ``urlkey`` indexes."""
    key = str(surt.surt(url))
    row = last_of_url(index, key, url)
    if row is None or row.status is None or not row.payload_digest:
        return None
    digest = row.payload_digest  # the original's too: itself, or a response found by this digest
    original = (
        row if row.record_type == "response" else newest_response_with_payload(index, key, url, digest, row.fetched_at)
    )
    if original is None:
        return None
    return int(row.status), RevisitOf(original.url, parse_iso(original.fetched_at), original.record_id, digest)


def newest_response_with_payload(
    index: Index, urlkey: str, url: str, payload_digest: str | None, at_or_before: str
) -> Capture | None:
    """The newest ``response`` row of exactly ``url`` with ``payload_digest`` fetched at or before
    ``at_or_before``: what a revisit edittrail wrote refers to. Bounded by the URL's key (the
    ``urlkey`` indexes), so it reads one URL's captures, never the outlet's."""
    db = index._db
    return _first(
        _captures(
            db,
            "WHERE urlkey = ? AND url = ? AND payload_digest = ? AND record_type = 'response' "
            "AND fetched_at <= ? ORDER BY fetched_at DESC, record_id LIMIT 1",
            [urlkey, url, payload_digest, at_or_before],
        )
    )


def first_response_with_payload(index: Index, urlkey: str, payload_digest: str | None, url: str) -> Capture | None:
    """The oldest ``response`` row of exactly ``url`` with ``payload_digest``: the record holding
    a revisit's payload, for detect to extract. Bounded by the URL's key (the ``urlkey`` indexes)."""
    db = index._db
    return _first(
        _captures(
            db,
            "WHERE urlkey = ? AND payload_digest = ? AND url = ? AND record_type = 'response' "
            "ORDER BY fetched_at, record_id LIMIT 1",
            [urlkey, payload_digest, url],
        )
    )


def revisits_without_earlier_original(index: Index, record_ids: list[str]) -> int:
    """How many of these captures are revisits (HTTP 200) with no ``response`` of the same URL and
    payload fetched at or before them: a rebuild cannot settle those before the whole index is
    built (archive.detect.following). Bounded by the record ids and each revisit's URL key."""
    missing = 0
    for ids, marks in in_chunks(record_ids):
        missing += index._db.execute(
            f"SELECT count(*) FROM captures r WHERE r.record_id IN ({marks}) "  # noqa: S608 (placeholders)
            "AND r.record_type = 'revisit' AND r.status = 200 AND NOT EXISTS "
            "(SELECT 1 FROM captures o WHERE o.urlkey = r.urlkey AND o.payload_digest = r.payload_digest "
            "AND o.url = r.url AND o.record_type = 'response' AND o.fetched_at <= r.fetched_at)",
            list(ids),
        ).fetchone()[0]
    return int(missing)


def captured_since(index: Index, outlet: str, article_id: str | None, since: str) -> bool:
    """Whether the article has any capture (any domain, any status) fetched at or after ``since``:
    one probe of the ``(outlet, article_id, fetched_at)`` index (a None article has none)."""
    db = index._db
    row = db.execute(
        "SELECT 1 FROM captures WHERE outlet = ? AND article_id = ? AND fetched_at >= ? LIMIT 1",
        [outlet, article_id, since],
    ).fetchone()
    return row is not None


def of_article(index: Index, outlet: str, article_id: str) -> Iterator[Capture]:
    """The article's captures on every domain, oldest first, streamed (a caller's deadline can stop
    it between rows); through the ``(outlet, article_id, fetched_at)`` index."""
    yield from _captures(
        index._db, "WHERE outlet = ? AND article_id = ? ORDER BY fetched_at, record_id", [outlet, article_id]
    )


def of_urlkey(index: Index, outlet: str, urlkey: str) -> Iterator[Capture]:
    """The outlet's captures of one SURT key, oldest first, streamed; through the
    ``(urlkey, fetched_at)`` index."""
    db = index._db
    yield from _captures(db, "WHERE outlet = ? AND urlkey = ? ORDER BY fetched_at, record_id", [outlet, urlkey])


def for_cdx(
    index: Index,
    outlet: str,
    since: str,
    until: str,
    *,
    article_id: str | None = None,
    start: str = "",
    end: str | None = None,
    reverse: bool = False,
) -> Iterator[CdxCapture]:
    """The captures a CDX query selects, in CDX order (reversed on request), streamed: those of
    ``article_id`` when one is given, else of the SURT key ``start`` (``end`` None) or of the
    key range [``start``, ``end``), fetched within [``since``, ``until``] (ISO, inclusive).
    Only the columns a CDX line shows are read, each row's tuple made a :class:`CdxCapture`:
    this is the CDX server's hot path.

    ``+outlet`` keeps SQLite off the ``(outlet, article_id)`` index for URL-key queries, whose
    ``(urlkey, fetched_at)`` index answers a prefix/host/domain range in order (bench/cdx.py).
    """
    db = index._db
    where = ["outlet = ?" if article_id is not None else "+outlet = ?", "fetched_at >= ?", "fetched_at <= ?"]
    params: list[Any] = [outlet, since, until]
    if article_id is not None:
        where.append("article_id = ?")
        params.append(article_id)
    elif end is None:
        where.append("urlkey = ?")
        params.append(start)
    else:
        where.append("urlkey >= ? AND urlkey < ?")
        params += [start, end]
    direction = "DESC" if reverse else ""
    sql = (
        f"SELECT {_CDX_COLUMNS} FROM captures WHERE {' AND '.join(where)} "  # noqa: S608 (fixed clauses, values bound)
        f"ORDER BY urlkey {direction}, fetched_at {direction}, record_id {direction}"
    )
    for row in db.execute(sql, params):
        yield CdxCapture(*row)


def of_outlet(
    index: Index,
    outlet: str,
    article_ids: Sequence[str] = (),
    since: str | None = None,
    until: str | None = None,
) -> list[Capture]:
    """The outlet's captures, oldest first: of the given articles only when any are named, fetched
    within [``since``, ``until``] (ISO, inclusive; open where None). What an export copies; with
    no article named it reads every capture of the outlet, as the export asked for."""
    db = index._db
    where, params = ["outlet = ?"], [outlet]
    if article_ids:
        where.append(f"article_id IN ({', '.join('?' * len(article_ids))})")
        params += article_ids
    if since is not None:
        where.append("fetched_at >= ?")
        params.append(since)
    if until is not None:
        where.append("fetched_at <= ?")
        params.append(until)
    return list(_captures(db, f"WHERE {' AND '.join(where)} ORDER BY fetched_at, record_id", params))


def of_article_detected(index: Index, outlet: str, article_id: str) -> Iterator[DetectedCapture]:
    """The article's captures on every domain, oldest first, each with what detect made of it
    (``version``, ``outcome``; None when not detected yet): the article page's list, by the
    ``(outlet, article_id)`` index and the ``detected`` key."""
    db = index._db
    rows = db.execute(
        f"SELECT {C_COLUMNS}, d.version, d.outcome FROM captures c "  # noqa: S608 (constant parts)
        "LEFT JOIN detected d ON d.record_id = c.record_id "
        "WHERE c.outlet = ? AND c.article_id = ? ORDER BY c.fetched_at, c.record_id",
        [outlet, article_id],
    )
    for *capture, version, outcome in rows:
        yield DetectedCapture(Capture(*capture), version, outcome)


def hosts_statuses_articles(index: Index, warc: str) -> Iterator[tuple[str, int, str | None]]:
    """(host, status, article id) of every capture in one WARC object: what a run's files hold,
    for the demo's summary, by the ``warc`` index."""
    db = index._db
    yield from db.execute("SELECT host, status, article_id FROM captures WHERE warc = ?", [warc])


def headline_shown(index: Index, record_id: str) -> str | None:
    """The headline of the version detect found in one capture (None if it found none): the
    ``detected`` row by its key, then the version by ``(outlet, article_id, version)``."""
    db = index._db
    row = db.execute(
        "SELECT v.headline FROM detected d JOIN versions v ON v.outlet = d.outlet AND "
        "v.article_id = d.article_id AND v.version = d.version WHERE d.record_id = ?",
        [record_id],
    ).fetchone()
    return row[0] if row else None


def data_version(index: Index) -> int:
    """SQLite's ``data_version`` of this connection: it changes when another connection commits,
    so a kept reader can tell cheaply that the index changed under it."""
    db = index._db
    return int(db.execute("PRAGMA data_version").fetchone()[0])


def limit_cache(index: Index, kib: int) -> None:
    """Cap this connection's page cache at ``kib`` KiB (a kept reader's; the writer's is set by ``connect``)."""
    db = index._db
    db.execute(f"PRAGMA cache_size = -{kib}")
