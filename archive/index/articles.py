"""Queries on the ``articles`` table: one row per article the index has captures of.

The row is recomputed from the article's captures by the index step (``Index.add_warc``), so
it says where the article lives (its canonical URL), when it was first and last fetched and
on which hosts. Every lookup here is by the primary key ``(outlet, article_id)``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from archive.index import Index


@dataclass(frozen=True)
class Article:
    """What the index knows of one article from its captures (not its text: see the versions)."""

    outlet: str
    article_id: str
    canonical_url: str | None
    first_seen: str | None
    last_seen: str | None
    hosts: tuple[str, ...]
    """Every host the article was fetched from (the ``hosts`` column, comma-separated)."""
    captures: int = 0
    last_status: int | None = None


def _article(row: Mapping[str, Any]) -> Article:
    return Article(
        outlet=row["outlet"],
        article_id=row["article_id"],
        canonical_url=row["canonical_url"],
        first_seen=row["first_seen"],
        last_seen=row["last_seen"],
        hosts=tuple(row["hosts"].split(",")) if row["hosts"] else (),
        captures=row["captures"] or 0,
        last_status=row["last_status"],
    )


def article(index: Index, outlet: str, article_id: str) -> Article | None:
    """The article's row; None when the index has no such article."""
    db = index._db
    rows = list(db.query("SELECT * FROM articles WHERE outlet = ? AND article_id = ?", [outlet, article_id]))
    return _article(rows[0]) if rows else None


def in_key_order(index: Index, outlet: str | None = None) -> Iterator[Article]:
    """Every article (of one outlet, or of all), by outlet and id: a whole-table walk, for checks
    that compare two indexes and for tools, never for a crawl's own work."""
    where, params = ("WHERE outlet = ?", [outlet]) if outlet else ("", [])
    query = f"SELECT * FROM articles {where} ORDER BY outlet, article_id"  # noqa: S608 (constant parts)
    yield from map(_article, index._db.query(query, params))


def known(index: Index, outlet: str, article_id: str) -> bool:
    """Whether the index has the article: one primary-key probe, no row read."""
    db = index._db
    found = db.execute("SELECT 1 FROM articles WHERE outlet = ? AND article_id = ?", [outlet, article_id]).fetchone()
    return found is not None


def canonical_url(index: Index, outlet: str, article_id: str) -> str | None:
    """The article's canonical URL; None when the index has no such article or no URL for it
    (callers then fall back on the URL of a version)."""
    db = index._db
    row = db.execute(
        "SELECT canonical_url FROM articles WHERE outlet = ? AND article_id = ?", [outlet, article_id]
    ).fetchone()
    return str(row[0]) if row and row[0] else None
