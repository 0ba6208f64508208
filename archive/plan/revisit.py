"""The decaying revisit schedule: which known articles the plan step fetches again.

Articles are edited most in their first hours, so an article is due at first_seen + each
configured offset (default +15 min, +1 h, +3 h, +10 h, +1 day, +7 days) and then every week;
it is due now when one of those moments has passed since it was last fetched. Retracted and
redirected articles stay on the schedule: a restoration is news too.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from archive.config import Revisit


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


def next_due_moment(first_seen: datetime, last_seen: datetime, schedule: Revisit) -> datetime:
    """The first scheduled revisit moment after ``last_seen``: the article is due once it has passed.

    ``is_due(first, last, now)`` is exactly ``next_due_moment(first, last) <= now``, and this
    moment does not depend on ``now``, so the index stores it (``articles.next_due``) when an
    article is captured and the plan step reads the due articles through an index instead of
    judging every article it knows.
    """
    for offset in schedule.offsets:
        moment = first_seen + timedelta(seconds=offset)
        if moment > last_seen:
            return moment
    start = first_seen + timedelta(seconds=schedule.offsets[-1] if schedule.offsets else 0)
    if start > last_seen:
        return start
    periods = int((last_seen - start).total_seconds() // schedule.then_every) + 1
    return start + timedelta(seconds=periods * schedule.then_every)


def schedule_key(schedule: Revisit) -> str:
    """What ``next_due_moment`` depends on, as text: stored next to the moments it computed."""
    return json.dumps({"offsets": list(schedule.offsets), "then_every": schedule.then_every})


def is_due(first_seen: datetime, last_seen: datetime, now: datetime, schedule: Revisit) -> bool:
    moment = last_due_moment(first_seen, now, schedule)
    return moment is not None and moment > last_seen
