"""Times read from text: the archive's own stored times, and the times a user gives.

Stored times (WARC-Date, the index's ``fetched_at``, ``2026-11-25T10:55:00Z``) are ISO 8601 with
a ``Z``: :func:`parse_iso` reads one as written, :func:`parse_utc` as an aware UTC datetime.

A user gives a time to the web's and the CLI's filters (``since``, ``until``, ``--from``,
``--at``): ISO 8601, a date alone being its midnight and a time without a zone being UTC.
:func:`utc_bound` makes one the index's UTC text, an upper bound including the whole unit it
is given to; :func:`user_moment` also takes a 1-14 digit timestamp as the CDX API does. What
cannot be read is a :class:`BadTimeError` naming the parameter: the web answers it with a 400,
the CLI as a usage error (``click.BadParameter``).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from archive.errors import EdittrailError

PAD_DOWN, PAD_UP = "10000101000000", "29991231235959"
"""What pads a 1-14 digit timestamp to 14 as pywb does, as a lower and as an upper bound."""
_PRECISION = re.compile(r"^\d{4}-?\d{2}-?\d{2}(?:[T ](\d{2})(?::?(\d{2}))?(?::?(\d{2}))?)?")


class BadTimeError(EdittrailError):
    """A time a user gave that is no time, or falls outside the years 1 to 9999 in UTC."""


def parse_iso(text: str) -> datetime:
    """An ISO 8601 time as written, ``Z`` being UTC; naive when it names no zone."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def parse_utc(text: str) -> datetime:
    """A stored ISO 8601 UTC time (``2026-11-25T10:55:00Z``) as an aware UTC datetime."""
    return parse_iso(text).astimezone(UTC)


def stamp_moment(stamp: str) -> datetime:
    """A 14-digit timestamp (``20261125105500``) as an aware UTC datetime; ValueError when it is no date.

    Built from the digits, not by ``strptime``, which was a fifth of a TimeMap's time (one per memento)."""
    t = stamp
    if len(t) != len(PAD_DOWN) or not t.isascii() or not t.isdigit():
        raise ValueError(t)
    return datetime(int(t[0:4]), int(t[4:6]), int(t[6:8]), int(t[8:10]), int(t[10:12]), int(t[12:14]), tzinfo=UTC)


def _given(text: str) -> datetime:
    """A user's ISO 8601 time, aware: one without a zone is UTC."""
    moment = parse_iso(text)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def user_moment(value: str, option: str) -> datetime:
    """ISO 8601 (a date alone is its midnight, no zone is UTC) or a 1-14 digit timestamp (padded
    down: ``2026`` is its first second), as an aware UTC datetime."""
    text = value.strip()
    try:
        if text.isascii() and text.isdigit() and len(text) <= len(PAD_DOWN):
            return stamp_moment(text + PAD_DOWN[len(text) :])
        return _given(text).astimezone(UTC)
    except (ValueError, OverflowError):  # OverflowError: year 1 or 9999 moved by the zone
        raise BadTimeError(f"{option} {value!r} is not an ISO 8601 time (2026-11-20T08:00Z) or a timestamp") from None


def utc_bound(name: str, value: str | None, *, upper: bool = False) -> str | None:
    """A user-given time bound (the web's and the CLI's ``since``/``until``) as the index's UTC text.

    Given with ``upper``, the bound includes the whole unit it is given to: ``until=2026-11-20``
    that day, ``until=2026-11-20T14:05`` that minute (to ``14:05:59``). A time without a zone
    is UTC. A value that is not ISO 8601, or that falls outside years 1 to 9999 once in UTC, is a
    :class:`BadTimeError` naming ``name``."""
    if not value:
        return None
    text = value.strip()
    try:
        moment = _given(text)
        if upper:
            moment += _unit(text) - timedelta(seconds=1)
        return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        raise BadTimeError(
            f"{name}={value!r} is not an ISO 8601 date or time, e.g. 2026-11-20 or 2026-11-20T14:00Z"
        ) from None
    except OverflowError:
        raise BadTimeError(f"{name}={value!r} falls outside the years 1 to 9999 in UTC") from None


def _unit(text: str) -> timedelta:
    """The precision ``text`` is given to: a day, an hour, a minute, or a second (or finer)."""
    match = _PRECISION.match(text)
    if match is None or match[1] is None:
        return timedelta(days=1)
    if match[2] is None:
        return timedelta(hours=1)
    return timedelta(minutes=1) if match[3] is None else timedelta(seconds=1)
