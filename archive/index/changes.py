"""The read side's queries on ``changes`` and ``versions``: filtered pages of changes, their counts.

The web's change list, its exports and the CLI read changes through :func:`change_page`,
which filters and pages in SQL over the ``(outlet, to_time)`` index, newest first. Filters
with no index (section, declared, host, keyword) can be bounded to the newest changes
within the dates (``scan``), so that a filter matching nothing does not walk the outlet's
every change; :func:`scan_reached` says whether that bound left older changes unsearched.

Detection's own bookkeeping on these tables (adding versions and changes, the detect queue,
host and article state) is in ``archive.index.versions``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from archive.index.records import ListedChange

if TYPE_CHECKING:
    from archive.index import Index


@dataclass(frozen=True)
class ChangeFilter:
    """Which changes to list; None means any. ``since``/``until`` are ISO 8601 UTC texts
    (``2026-11-20T00:00:00Z``) bounding the capture that showed the change, both inclusive;
    ``keyword`` matches, case-insensitively, the current headline or the change's text."""

    kind: str | None = None
    section: str | None = None
    declared: bool | None = None
    host: str | None = None
    since: str | None = None
    until: str | None = None
    keyword: str | None = None


def change_page(
    index: Index,
    outlet: str,
    filters: ChangeFilter,
    *,
    limit: int,
    offset: int = 0,
    article_id: str | None = None,
    scan: int | None = None,
) -> list[ListedChange]:
    """The changes (with the article's URL, its current headline and the shown capture's URL),
    newest first, ``limit`` of them after ``offset``, of one article when ``article_id`` is given.
    The caller checks the filters and the page first.

    With ``scan``, the filters without an index (everything but the outlet, the article, the kind
    and the dates) look only at the newest ``scan`` changes within the dates: the web's bound on the work
    of one page (the CLI's export reads them all)."""
    db = index._db
    where: list[str] = ["c.outlet = ?"]
    params: list[Any] = [outlet]
    for column, value in (("c.article_id", article_id), ("c.kind", filters.kind), ("c.section", filters.section)):
        if value is not None:
            where.append(f"{column} = ?")
            params.append(value)
    if filters.declared is not None:
        where.append("c.declared = ?")
        params.append(int(filters.declared))
    if filters.since:
        where.append("c.to_time >= ?")
        params.append(filters.since)
    if filters.until:
        where.append("c.to_time <= ?")
        params.append(filters.until)
    if filters.host:
        where.append(
            "(c.host = ? OR EXISTS (SELECT 1 FROM json_each(c.details, '$.served_by') s "
            "WHERE json_extract(s.value, '$.host') = ?) OR EXISTS (SELECT 1 FROM json_each(c.details, '$.hosts') h "
            "WHERE h.value = ?))"
        )
        params += [filters.host] * 3
    if filters.keyword:
        pattern = "%" + filters.keyword.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        where.append(
            "(cur.headline LIKE ? ESCAPE '\\' OR c.summary LIKE ? ESCAPE '\\' OR c.diff_text LIKE ? ESCAPE '\\')"
        )
        params += [pattern] * 3
    sql = (
        (  # noqa: S608 (fixed clauses; every value is a parameter)
            "SELECT c.*, a.canonical_url AS article_url, cur.headline AS current_headline, cap.url AS to_url "
            "FROM changes c "
            "LEFT JOIN articles a ON a.outlet = c.outlet AND a.article_id = c.article_id "
            "LEFT JOIN article_state st ON st.outlet = c.outlet AND st.article_id = c.article_id "
            "LEFT JOIN versions cur ON cur.outlet = c.outlet AND cur.article_id = c.article_id AND cur.version = "
            "COALESCE(st.current_version, (SELECT max(m.version) FROM versions m "
            "WHERE m.outlet = c.outlet AND m.article_id = c.article_id)) "
            "LEFT JOIN captures cap ON cap.record_id = c.to_record "
            "WHERE "
        )
        + " AND ".join(where)
        + " ORDER BY c.to_time DESC, c.id DESC LIMIT ? OFFSET ?"
    )
    if scan is not None and article_id is None and unindexed(filters):
        newest, bounds = _newest(filters)
        sql = sql.replace("FROM changes c ", f"FROM ({newest} LIMIT {int(scan)}) c ", 1)
        params = [outlet, *bounds, *params]
    return [ListedChange.from_row(row) for row in db.query(sql, [*params, limit, offset])]


def unindexed(filters: ChangeFilter) -> bool:
    """Whether a filter needs what no index has (section, declared, host, keyword): only those
    are bounded by a ``scan``. The kind has its index, ``(outlet, kind, to_time)``."""
    f = filters
    return any(v is not None for v in (f.section, f.declared, f.host)) or bool(f.keyword)


def _newest(filters: ChangeFilter) -> tuple[str, list[str]]:
    """The outlet's changes (of the kind, when one is asked for) within the dates, newest first,
    as the ``(outlet, to_time)`` or ``(outlet, kind, to_time)`` index reads them."""
    sql, bounds = "SELECT * FROM changes WHERE outlet = ?", list[str]()
    if filters.kind is not None:
        sql, bounds = sql + " AND kind = ?", [*bounds, filters.kind]
    if filters.since:
        sql, bounds = sql + " AND to_time >= ?", [*bounds, filters.since]
    if filters.until:
        sql, bounds = sql + " AND to_time <= ?", [*bounds, filters.until]
    return sql + " ORDER BY to_time DESC, id DESC", bounds


def scan_reached(index: Index, outlet: str, filters: ChangeFilter, scan: int) -> bool:
    """Whether a ``scan``-bounded :func:`change_page` left older changes within the dates unsearched:
    counts at most ``scan + 1`` of the newest, so the answer costs no more than the page did."""
    db = index._db
    if not unindexed(filters):
        return False
    newest, bounds = _newest(filters)
    sql = f"SELECT count(*) FROM ({newest} LIMIT ?)"  # noqa: S608 (fixed clauses; values are parameters)
    found = db.execute(sql, [outlet, *bounds, scan + 1]).fetchone()[0]
    return bool(found > scan)


def count_detected_before(index: Index, outlet: str, moment: str) -> int:
    """How many of the outlet's changes were detected before ``moment`` (or at an unknown time):
    what earlier runs found, for the demo's printout of one run."""
    db = index._db
    found = db.execute(
        "SELECT count(*) FROM changes WHERE outlet = ? AND (detected_at IS NULL OR detected_at < ?)",
        [outlet, moment],
    ).fetchone()[0]
    return int(found)


def new_versions_per_warc(index: Index, outlet: str, since: str) -> list[tuple[str, int]]:
    """(WARC key, count) of the outlet's versions fetched at or after ``since``, by the WARC file
    of the capture that showed them: what each crawl run added, for ``edittrail status``."""
    db = index._db
    rows = db.execute(
        "SELECT c.warc, count(*) FROM versions v JOIN captures c ON c.record_id = v.record_id "
        "WHERE v.outlet = ? AND v.fetched_at >= ? GROUP BY c.warc",
        [outlet, since],
    )
    return [(warc, n) for warc, n in rows]


def changes_per_warc(index: Index, outlet: str, since: str) -> list[tuple[str, int]]:
    """(WARC key, count) of the outlet's changes shown at or after ``since``, by the WARC file of
    the capture that showed them: what each crawl run found, for ``edittrail status``."""
    db = index._db
    rows = db.execute(
        "SELECT c.warc, count(*) FROM changes x JOIN captures c ON c.record_id = x.to_record "
        "WHERE x.outlet = ? AND x.to_time >= ? GROUP BY c.warc",
        [outlet, since],
    )
    return [(warc, n) for warc, n in rows]
