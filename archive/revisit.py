"""The decaying revisit schedule: which known articles the plan step fetches again.

Articles are edited most in their first hours, so an article is due at first_seen + each
configured offset (default +15 min, +1 h, +3 h, +10 h, +1 day, +7 days) and then every week;
it is due now when one of those moments has passed since it was last fetched. Retracted and
redirected articles stay on the schedule: a restoration is news too.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from archive.config import Revisit


def parse_utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def last_due_moment(first_seen: datetime, now: datetime, schedule: Revisit) -> datetime | None:
    """The latest scheduled revisit moment at or before ``now``, or None if none has come yet."""
    latest = None
    for offset in schedule.offsets:
        moment = first_seen + timedelta(seconds=offset)
        if moment > now:
            return latest
        latest = moment
    start = first_seen + timedelta(seconds=schedule.offsets[-1] if schedule.offsets else 0)
    if start > now:
        return latest
    periods = int((now - start).total_seconds() // schedule.then_every)
    return start + timedelta(seconds=periods * schedule.then_every)


def is_due(first_seen: datetime, last_seen: datetime, now: datetime, schedule: Revisit) -> bool:
    moment = last_due_moment(first_seen, now, schedule)
    return moment is not None and moment > last_seen


def due_articles(articles: Iterable[dict[str, str]], now: datetime, schedule: Revisit) -> list[str]:
    """Canonical URLs of due articles, the most overdue first, at most ``max_per_run``."""
    due = []
    for row in articles:
        first, last = parse_utc(row["first_seen"]), parse_utc(row["last_seen"])
        if is_due(first, last, now, schedule):
            due.append((last, row["canonical_url"]))
    due.sort()
    return [url for _, url in due[: schedule.max_per_run]]
