"""What the article pages and the article JSON show: captures on every domain, versions, changes.

Read-only queries on the index, shaped for the web service; the diffs are the ones detect
stored (``changes.diff_html`` is built by ``archive.diff``, which escapes every piece of
article text, so templates may insert it as markup).
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import asdict
from typing import Any

import sqlite_utils

from archive.api.cdx import timestamp_of
from archive.api.memento import RAW, Links
from archive.changes import CHANGE_KINDS, Version
from archive.config import Outlet
from archive.errors import EdittrailError
from archive.index import noise as noise_index
from archive.index import versions as vx
from archive.noise import applies, describe

SEARCH_LIMIT = 50
MAX_SEARCH_LIMIT = 500
MAX_QUERY_LENGTH = 500


class BadSearchError(EdittrailError):
    """A search the full-text index cannot run (HTTP 400)."""


def article(db: sqlite_utils.Database, outlet: Outlet, article_id: str, links: Links) -> dict[str, Any] | None:
    """The article's row, its captures on every domain (oldest first, each with its version and
    memento URLs), its versions and its changes (newest first); None when the index has no such article."""
    rows = list(db.query("SELECT * FROM articles WHERE outlet = ? AND article_id = ?", [outlet.name, article_id]))
    if not rows:
        return None
    captures = []
    for row in db.query(
        "SELECT c.*, d.version AS version, d.outcome AS outcome FROM captures c "
        "LEFT JOIN detected d ON d.record_id = c.record_id "
        "WHERE c.outlet = ? AND c.article_id = ? ORDER BY c.fetched_at, c.record_id",
        [outlet.name, article_id],
    ):
        stamp = timestamp_of(row["fetched_at"])
        captures.append(
            {
                "url": row["url"],
                "host": row["host"],
                "fetched_at": row["fetched_at"],
                "timestamp": stamp,
                "status": row["status"],
                "record_type": row["record_type"],
                "record_id": row["record_id"],
                "version": row["version"],
                "outcome": row["outcome"],
                "memento": links.at(stamp, row["url"]),
                "raw": links.at(stamp, row["url"], modifier=RAW),
            }
        )
    versions = [_version_dict(v) for v in vx.versions_of(db, outlet.name, article_id)]
    state = vx.article_state(db, outlet.name, article_id)
    return {
        "outlet": outlet.name,
        "article_id": article_id,
        "canonical_url": rows[0]["canonical_url"],
        "first_seen": rows[0]["first_seen"],
        "last_seen": rows[0]["last_seen"],
        "hosts": rows[0]["hosts"].split(",") if rows[0]["hosts"] else [],
        "state": state["state"],
        "current_version": state["current_version"],
        "captures": captures,
        "versions": versions,
        "changes": vx.changes(db, outlet=outlet.name, article_id=article_id),
        "noise": _noise_for(db, outlet.name, vx.versions_of(db, outlet.name, article_id)),
    }


def _noise_for(db: sqlite_utils.Database, outlet: str, versions: list[Version]) -> list[dict[str, Any]]:
    """The outlet's learned noise that concerns this article's versions (what detection ignored in it)."""
    return [
        entry | {"description": describe(entry)}
        for entry in noise_index.learned(db, outlet)
        if any(applies(entry, v) for v in versions)
    ]


def _version_dict(version: Any) -> dict[str, Any]:
    data = asdict(version)
    data["hashes"] = dict(version.hashes)
    for name in ("body", "captions", "images"):
        data[name] = list(data[name])
    return data


def changes(
    db: sqlite_utils.Database,
    outlet: str,
    *,
    kind: str | None = None,
    declared: bool | None = None,
    since: str | None = None,
    limit: int = 200,
) -> list[dict[str, Any]]:
    """Changes newest first, filtered by kind, declared/silent and time (ISO 8601 UTC, inclusive)."""
    if kind is not None and kind not in CHANGE_KINDS:
        raise BadSearchError(f"kind {kind!r} is not one of {', '.join(CHANGE_KINDS)}")
    return vx.changes(db, outlet=outlet, kind=kind, since=since, declared=declared, limit=limit)


def search(db: sqlite_utils.Database, outlet: str, query: str, *, limit: int = SEARCH_LIMIT) -> list[dict[str, Any]]:
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
        hits = vx.search(db, query, outlet=outlet, limit=limit)
    except sqlite3.OperationalError as exc:
        if str(exc) == "interrupted":
            raise  # the request's time budget ran out (archive.api.budget), not a bad query
        raise BadSearchError(
            f'q={query!r} is not a valid full-text query ({exc}); quote words with punctuation, e.g. "Sa\'ar" remarks'
        ) from None
    for hit in hits:
        hit["parts"] = _snippet_parts(hit["snippet"])
    return hits


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
