"""Edit activity over a date window, for the outlet page's pictures: changes per day by kind and
by declared/silent, and the articles edited most.

Each statement reads the changes of the window only, through the ``(outlet, to_time)`` index
(a change counts on the day its new version was seen, ``to_time``), so the page costs the same
on an archive of years as on one of a week; ``tests/archive/index/test_activity.py`` checks the
plans.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from archive.index import Index

WINDOWS = (7, 30, 90, 365)
"""The windows (days) the page offers; the default is 30."""
DEFAULT_DAYS = 30
TOP_ARTICLES = 10


@dataclass(frozen=True)
class Window:
    """The days ``first``..``last`` (UTC dates, inclusive) and the ISO bounds that select them."""

    days: int
    first: str
    last: str

    @property
    def since(self) -> str:
        return f"{self.first}T00:00:00Z"

    @property
    def before(self) -> str:
        """The first instant after the window (an exclusive bound)."""
        return (datetime.fromisoformat(self.last) + timedelta(days=1)).strftime("%Y-%m-%dT00:00:00Z")

    def dates(self) -> list[str]:
        start = datetime.fromisoformat(self.first)
        return [(start + timedelta(days=n)).strftime("%Y-%m-%d") for n in range(self.days)]


def window(days: int, now: datetime | None = None) -> Window:
    """The last ``days`` days up to and including today (UTC)."""
    today = (now or datetime.now(UTC)).astimezone(UTC).date()
    first = today - timedelta(days=days - 1)
    return Window(days, first.isoformat(), today.isoformat())


@dataclass(frozen=True)
class DayCount:
    """How many changes of one kind, declared or silent, were seen on one day."""

    day: str
    kind: str
    declared: bool
    changes: int


@dataclass(frozen=True)
class Edited:
    """One of the most-edited articles of the window."""

    article_id: str
    changes: int
    silent: int
    last: str
    headline: str | None
    """The headline the outlet shows now (None if no version was extracted)."""


def per_day(index: Index, outlet: str, span: Window) -> list[DayCount]:
    """Changes per day, kind and declared/silent in the window (days without changes left out)."""
    db = index._db
    rows = db.execute(
        "SELECT substr(to_time, 1, 10) AS day, kind, declared, count(*) FROM changes "
        "WHERE outlet = ? AND to_time >= ? AND to_time < ? GROUP BY day, kind, declared ORDER BY day, kind",
        [outlet, span.since, span.before],
    )
    return [DayCount(day, kind, bool(declared), n) for day, kind, declared, n in rows]


def most_edited(index: Index, outlet: str, span: Window, limit: int = TOP_ARTICLES) -> list[Edited]:
    """The ``limit`` articles with the most changes in the window (latest change first among equals),
    with the headline each shows now."""
    db = index._db
    rows = db.execute(
        "SELECT article_id, count(*) AS n, sum(declared = 0), max(to_time) AS last FROM changes "
        "WHERE outlet = ? AND to_time >= ? AND to_time < ? GROUP BY article_id ORDER BY n DESC, last DESC LIMIT ?",
        [outlet, span.since, span.before, limit],
    ).fetchall()
    headlines = current_headlines(index, outlet, [row[0] for row in rows])
    return [Edited(a, n, silent or 0, last, headlines.get(a)) for a, n, silent, last in rows]


def current_headlines(index: Index, outlet: str, article_ids: Sequence[str]) -> dict[str, str]:
    """The headline of each article's current version (its newest when none is marked current),
    one primary-key lookup per article."""
    db = index._db
    found = {}
    for article_id in article_ids:
        row = db.execute(
            "SELECT headline FROM versions WHERE outlet = ? AND article_id = ? AND version <= coalesce("
            "(SELECT current_version FROM article_state WHERE outlet = ? AND article_id = ?), 2147483647) "
            "ORDER BY version DESC LIMIT 1",
            [outlet, article_id, outlet, article_id],
        ).fetchone()
        if row is not None and row[0]:
            found[article_id] = row[0]
    return found


def latest_change(index: Index, outlet: str) -> str | None:
    """When the outlet's newest change was seen (for a window without any), None if it has none."""
    db = index._db
    row = db.execute("SELECT to_time FROM changes WHERE outlet = ? ORDER BY to_time DESC LIMIT 1", [outlet]).fetchone()
    return row[0] if row else None
