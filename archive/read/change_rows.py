"""Changes as rows a person can read: the web's change cards and the CSV / JSON Lines exports.

A stored change carries its summary and diff in ``[-removed-]{+added+}`` markup, fine for a
terminal but not for a reader or a spreadsheet. Each row here is rebuilt from the two
versions the change joins (``changes.from_version`` / ``to_version``): the edit, a plain-text
summary and the diff as ``- ``/``+ `` lines, as ``archive.read.change_edits`` builds them. The web
page (``archive.api.ui``), its exports and the CLI's ``edittrail changes --format csv|jsonl`` all
read :func:`change_rows`, so they agree.

The CSV is made safe for spreadsheets: a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab
or a carriage return (archived text can; every ``diff_text`` starts with ``- `` or ``+ ``) is
written with a leading ``'``, as OWASP advises against formula injection, so a spreadsheet shows
it as text. The JSON Lines keep every value raw, for programs.

The query (``archive.index.changes``, where ``ChangeFilter`` lives; it is re-exported here)
filters and pages in SQL (``LIMIT``/``OFFSET`` over the ``(outlet, to_time)`` index, newest
first); the versions of the page's rows are then read by their unique key.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from dataclasses import dataclass, fields
from typing import Any, TextIO

from archive.detect.changes import CHANGE_KINDS
from archive.errors import EdittrailError
from archive.index import Index, ListedChange, StoredChange, Version
from archive.index import changes as index_changes
from archive.index import versions as vx
from archive.index.changes import ChangeFilter as ChangeFilter
from archive.read.change_edits import Block, diff_lines, edit_of, plain_summary

MAX_LIMIT = 5000
SCAN_LIMIT = 20000
"""How many of the newest changes (within the date bounds, of the kind when one is given) a web
page's filter on section, declared, host or keyword searches: those filters have no index, and
a filter that matches nothing would otherwise walk the outlet's every change. The page says so
(:func:`scan_reached`). The kind is read through its own index and needs no bound."""


class BadFilterError(EdittrailError):
    """A filter or page the change rows cannot be read with; the message names the parameter."""


@dataclass(frozen=True)
class ChangeRow:
    """One change as the exports write it, with its edit for the web page (not exported)."""

    outlet: str
    article_id: str
    url: str
    headline: str
    kind: str
    declared: bool
    hosts: tuple[str, ...]
    section: str
    from_version: int | None
    to_version: int | None
    from_time: str | None
    to_time: str
    detected_at: str | None
    summary: str
    diff_text: str
    to_record: str
    to_url: str
    """The URL of the capture that showed the change (the memento's URL, on its host)."""
    edit: tuple[Block, ...] = ()


FIELDS: tuple[str, ...] = tuple(f.name for f in fields(ChangeRow) if f.name not in ("edit", "to_record", "to_url"))
"""The exported columns, in order."""


def change_rows(
    idx: Index,
    outlet: str,
    filters: ChangeFilter,
    *,
    limit: int,
    offset: int = 0,
    scan: int | None = None,
) -> list[ChangeRow]:
    """The outlet's changes matching ``filters``, newest first, ``limit`` of them after ``offset``
    (among the newest ``scan`` changes in the date bounds when given: see :func:`query_changes`)."""
    return rows_of(idx, outlet, query_changes(idx, outlet, filters, limit=limit, offset=offset, scan=scan))


def rows_of(idx: Index, outlet: str, changes: Iterable[StoredChange]) -> list[ChangeRow]:
    """The rows of changes (``query_changes`` rows, or changes read alone), each version read once by its key."""
    cache: dict[tuple[str, int], Version | None] = {}

    def version(article_id: str, number: int | None) -> Version | None:
        if number is None:
            return None
        if (article_id, number) not in cache:
            cache[article_id, number] = vx.version_number(idx, outlet, article_id, number)
        return cache[article_id, number]

    return [row_of(c, version(c.article_id, c.from_version), version(c.article_id, c.to_version)) for c in changes]


def check_filter(filters: ChangeFilter) -> None:
    """Raise :class:`BadFilterError` naming the parameter when a filter cannot match by construction."""
    if filters.kind is not None and filters.kind not in CHANGE_KINDS:
        raise BadFilterError(f"kind={filters.kind!r} is not one of {', '.join(CHANGE_KINDS)}")
    if filters.since and filters.until and filters.since > filters.until:
        raise BadFilterError(f"since={filters.since} is after until={filters.until}: nothing can match")
    if filters.keyword is not None and len(filters.keyword) > 200:
        raise BadFilterError("keyword must be at most 200 characters")


def query_changes(
    idx: Index,
    outlet: str,
    filters: ChangeFilter,
    *,
    limit: int,
    offset: int = 0,
    article_id: str | None = None,
    scan: int | None = None,
) -> list[ListedChange]:
    """The changes (with the article's URL, its current headline and the shown capture's URL),
    filtered and paged in SQL, of one article when ``article_id`` is given.
    Raises :class:`BadFilterError` before any query for a filter or page that cannot be read.

    With ``scan``, the filters without an index (everything but the outlet, the article and the
    dates) look only at the newest ``scan`` changes within the dates: the web's bound on the work
    of one page (the CLI's export reads them all; see ``archive.index.changes.change_page``)."""
    check_filter(filters)
    if not 1 <= limit <= MAX_LIMIT:
        raise BadFilterError(f"limit must be from 1 to {MAX_LIMIT}")
    if offset < 0:
        raise BadFilterError("offset must be 0 or more")
    return index_changes.change_page(idx, outlet, filters, limit=limit, offset=offset, article_id=article_id, scan=scan)


def scan_reached(idx: Index, outlet: str, filters: ChangeFilter, scan: int) -> bool:
    """Whether a ``scan``-bounded query left older changes within the dates unsearched."""
    return index_changes.scan_reached(idx, outlet, filters, scan)


def row_of(change: StoredChange, before: Version | None, after: Version | None) -> ChangeRow:
    """The row of one change (a ``query_changes`` row, or a change read alone) given the versions it joins."""
    edit = edit_of(change, before, after)
    article_url, current_headline, to_url = _joined(change)
    return ChangeRow(
        outlet=change.outlet,
        article_id=change.article_id,
        url=article_url or (after.url if after else "") or "",
        headline=current_headline or (after.headline if after else "") or "",
        kind=change.kind,
        declared=change.declared,
        hosts=hosts_of(change),
        section=change.section or "",
        from_version=change.from_version,
        to_version=change.to_version,
        from_time=change.from_time,
        to_time=change.to_time,
        detected_at=change.detected_at,
        summary=plain_summary(change, before, after, edit),
        diff_text=diff_lines(edit),
        to_record=change.to_record,
        to_url=to_url or "",
        edit=edit,
    )


def _joined(change: StoredChange) -> tuple[str | None, str | None, str | None]:
    """The article's URL, its current headline and the shown capture's URL a listed change carries;
    a change read alone (the demo's, by when detect recorded it) has none of them."""
    if isinstance(change, ListedChange):
        return change.article_url, change.current_headline, change.to_url
    return None, None, None


def hosts_of(change: StoredChange) -> tuple[str, ...]:
    """The hosts that showed the change: where it was seen, the ones that caught up with it,
    and for a divergence the two domains that disagree."""
    details = change.details
    named = [*details.get("hosts", []), change.host or "", *(s["host"] for s in details.get("served_by", []))]
    return tuple(dict.fromkeys(h for h in named if h))


def _exported(row: ChangeRow) -> dict[str, Any]:
    return {name: getattr(row, name) for name in FIELDS}


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: object) -> object:
    """A CSV cell a spreadsheet will not run: text starting with ``= + - @``, a tab or a carriage
    return gets a leading ``'`` (OWASP's advice against CSV injection); anything else as is."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def write_csv(rows: Iterable[ChangeRow], out: TextIO) -> None:
    """The rows as CSV with a header row: hosts joined by a space, declared as true/false,
    absent values empty, and every cell made spreadsheet-safe (:func:`spreadsheet_safe`: a
    ``diff_text`` starting ``- `` reads ``'- ``). ``out`` should be opened with ``newline=""`` and UTF-8."""
    writer = csv.writer(out)
    writer.writerow(FIELDS)
    for row in rows:
        values = _exported(row)
        values["hosts"] = " ".join(row.hosts)
        values["declared"] = "true" if row.declared else "false"
        writer.writerow([spreadsheet_safe("" if values[name] is None else values[name]) for name in FIELDS])


def write_jsonl(rows: Iterable[ChangeRow], out: TextIO) -> None:
    """The rows as JSON Lines: one object a line, hosts a list, non-ASCII text kept as is."""
    for row in rows:
        values = _exported(row)
        values["hosts"] = list(row.hosts)
        out.write(json.dumps(values, ensure_ascii=False) + "\n")
