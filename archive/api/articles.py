"""What the article pages and the article JSON show: captures on every domain, versions, changes.

Read-only queries on the index, shaped for the web service; the diffs are the ones detect
stored (``changes.diff_html`` is built by ``archive.detect.diff``, which escapes every piece of
article text, so templates may insert it as markup).
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import asdict
from typing import Any

from archive.api.cdx import timestamp_of
from archive.api.compare import compare_query
from archive.api.memento import RAW, Links, uri
from archive.config import Outlet
from archive.detect.noise import applies, describe
from archive.errors import EdittrailError
from archive.index import Index, ListedChange, StoredChange, Version
from archive.index import articles as articles_index
from archive.index import captures as captures_index
from archive.index import noise as noise_index
from archive.index import versions as vx
from archive.read.change_rows import MAX_LIMIT, ChangeFilter, ChangeRow, query_changes, rows_of

SEARCH_LIMIT = 50
MAX_SEARCH_LIMIT = 500
MAX_QUERY_LENGTH = 500


class BadSearchError(EdittrailError):
    """A search the full-text index cannot run (HTTP 400)."""


def article(idx: Index, outlet: Outlet, article_id: str, links: Links, *, cards: bool = True) -> dict[str, Any] | None:
    """The article's row, its captures on every domain (oldest first, each with its version and
    memento URLs), its versions and its changes (newest first, with their cards when ``cards``:
    see :func:`changes`); None when the index has no such article."""
    found = articles_index.article(idx, outlet.name, article_id)
    if found is None:
        return None
    captures = []
    for detected in captures_index.of_article_detected(idx, outlet.name, article_id):
        row = detected.capture
        stamp = timestamp_of(row.fetched_at)
        captures.append(
            {
                "url": row.url,
                "host": row.host,
                "fetched_at": row.fetched_at,
                "timestamp": stamp,
                "status": row.status,
                "record_type": row.record_type,
                "record_id": row.record_id,
                "version": detected.version,
                "outcome": detected.outcome,
                "memento": links.at(stamp, row.url),
                "raw": links.at(stamp, row.url, modifier=RAW),
            }
        )
    versions = [_version_dict(v) for v in vx.versions_of(idx, outlet.name, article_id)]
    state = vx.article_state(idx, outlet.name, article_id)
    return {
        "outlet": outlet.name,
        "article_id": article_id,
        "canonical_url": found.canonical_url,
        "first_seen": found.first_seen,
        "last_seen": found.last_seen,
        "hosts": list(found.hosts),
        "state": state.state,
        "current_version": state.current_version,
        "captures": captures,
        "versions": versions,
        "changes": changes(idx, outlet.name, article_id=article_id, limit=MAX_LIMIT, cards=cards),
        "noise": _noise_for(idx, outlet.name, vx.versions_of(idx, outlet.name, article_id)),
    }


def known(idx: Index, outlet: str, article_id: str) -> bool:
    """Whether the index has the article (by its primary key)."""
    return articles_index.known(idx, outlet, article_id)


def _noise_for(idx: Index, outlet: str, versions: list[Version]) -> list[dict[str, Any]]:
    """The outlet's learned noise that concerns this article's versions (what detection ignored in it)."""
    return [
        entry.as_row() | {"description": describe(entry)}
        for entry in noise_index.learned(idx, outlet)
        if any(applies(entry, v) for v in versions)
    ]


def _version_dict(version: Any) -> dict[str, Any]:
    data = asdict(version)
    data["hashes"] = dict(version.hashes)
    for name in ("body", "captions", "images"):
        data[name] = list(data[name])
    return data


def changes(
    idx: Index,
    outlet: str,
    *,
    kind: str | None = None,
    declared: bool | None = None,
    since: str | None = None,
    limit: int = 200,
    offset: int = 0,
    section: str | None = None,
    host: str | None = None,
    until: str | None = None,
    keyword: str | None = None,
    article_id: str | None = None,
    cards: bool = True,
    scan: int | None = None,
) -> list[dict[str, Any]]:
    """Changes newest first, filtered (``since``/``until``: ISO 8601 UTC, inclusive) and paged in SQL.

    Each row is the stored change with the article's URL (``article_url``), its current headline
    (``current_headline``) and the shown capture's URL (``to_url``), plus what a page shows of it:
    ``card``, the :class:`archive.read.change_rows.ChangeRow` (the edit from the versions, no markup),
    ``memento`` and ``compare``, the paths of the archived version and of the two versions side by side.
    A card reads two versions and diffs them: without ``cards`` (the JSON API) no card is built.
    ``scan`` bounds the unindexed filters' search (``archive.read.change_rows.query_changes``).
    """
    filters = ChangeFilter(
        kind=kind, section=section, declared=declared, host=host, since=since, until=until, keyword=keyword
    )
    listed = query_changes(idx, outlet, filters, limit=limit, offset=offset, article_id=article_id, scan=scan)
    rows = [change.as_row() for change in listed]  # the JSON answer and the templates read dicts
    if cards:
        for row, card in zip(rows, rows_of(idx, outlet, listed), strict=True):
            row["card"] = card
    for row, change in zip(rows, listed, strict=True):
        row["memento"] = memento_path(outlet, change)
        row["compare"] = compare_path(outlet, change)
    return rows


def carded(
    idx: Index, outlet: str, *, article_id: str | None = None, limit: int
) -> list[tuple[ListedChange, ChangeRow]]:
    """The newest changes (of one article when ``article_id`` is given) with their cards, typed:
    for the Atom feeds, which render them as the alerts do and link them with the paths below."""
    listed = query_changes(idx, outlet, ChangeFilter(), limit=limit, article_id=article_id)
    return list(zip(listed, rows_of(idx, outlet, listed), strict=True))


def memento_path(outlet: str, change: ListedChange) -> str | None:
    """The path of the archived capture that showed the change; None when the index lacks it."""
    shown = change.to_url or ""
    return f"/{outlet}/{timestamp_of(change.to_time)}/{uri(shown)}" if shown else None


def compare_path(outlet: str, change: StoredChange) -> str | None:
    """The path of the change's two versions side by side; None unless it joins two versions."""
    if change.from_version is None or change.to_version is None:
        return None
    return f"/{outlet}/article/{change.article_id}/{compare_query(change.from_version, change.to_version)}"


def search(idx: Index, outlet: str, query: str, *, limit: int = SEARCH_LIMIT) -> list[dict[str, Any]]:
    """Versions whose headline or body match (FTS5 syntax: words, "phrases", OR, NOT, prefix*).

    Each hit's ``snippet`` is also given as ``parts``: (text, matched) pairs, so a page can
    highlight matches without inserting any archived text as markup.
    """
    query = query.strip()
    if not query or len(query) > MAX_QUERY_LENGTH:
        raise BadSearchError(f"q must be 1 to {MAX_QUERY_LENGTH} characters of search words")
    if not 1 <= limit <= MAX_SEARCH_LIMIT:
        raise BadSearchError(f"limit must be from 1 to {MAX_SEARCH_LIMIT}")
    try:
        hits = vx.search(idx, query, outlet=outlet, limit=limit)
    except sqlite3.OperationalError as exc:
        if str(exc) == "interrupted":
            raise  # the request's time budget ran out (archive.api.budget), not a bad query
        raise BadSearchError(
            f'q={query!r} is not a valid full-text query ({exc}); quote words with punctuation, e.g. "Sa\'ar" remarks'
        ) from None
    return [hit.as_row() | {"parts": _snippet_parts(hit.snippet)} for hit in hits]  # for the JSON and the page


def plain_words(query: str) -> str:
    """A person's search words as an FTS5 query that cannot be a syntax error: each word quoted."""
    words = re.findall(r"[\w'’-]+", query)
    return " ".join('"' + w.replace('"', '""') + '"' for w in words)


def _snippet_parts(snippet: str) -> list[tuple[str, bool]]:
    parts: list[tuple[str, bool]] = []
    for match in re.finditer(r"\[([^\]]*)\]|([^\[]+)", snippet or ""):
        if match.group(1) is not None:
            parts.append((match.group(1), True))
        else:
            parts.append((match.group(2), False))
    return parts
