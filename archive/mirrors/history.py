"""Each domain's states over time, read from ``mirrors.sqlite`` for the web service's domains page.

Read-only on purpose (the probe, the crawls and operators write that file and migrate its schema;
its queries, these read-only ones too, live in ``archive.mirrors.state``; a file of a newer
schema is refused):
the page reads the summaries the writers keep, a row per host (``domain_states``) and a row per
transition (``domain_transitions``), never the observations. A domain's span in a state runs from
the transition into it to the next transition, the last one to the host's latest observation.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from archive.errors import EdittrailError
from archive.migrations import refuse_newer, schema_version
from archive.mirrors.state import STEPS, has_summaries, last_checked, newest_transitions

MAX_EVENTS = 2000
"""Transitions read per outlet at most (the newest); a domain flapping for years stays one page."""


class HistoryError(EdittrailError):
    """``mirrors.sqlite`` exists but could not be read."""


@dataclass(frozen=True)
class Event:
    """A domain moved from one state to another (``before`` None: its first observation)."""

    host: str
    before: str | None
    after: str
    at: str
    detail: str


@dataclass(frozen=True)
class Span:
    """A domain in one state from ``start`` until ``end`` (its latest observation for the last span)."""

    host: str
    state: str
    shown: str
    """The state as recorded, with a redirect's target (``redirect to example.org``)."""
    start: str
    end: str
    ongoing: bool


@dataclass(frozen=True)
class History:
    hosts: list[str]
    """In failover order (the hosts first probed first)."""
    spans: list[Span]
    events: list[Event]
    """Newest first."""
    truncated: bool
    """Only the newest ``MAX_EVENTS`` transitions were read."""


def state_of(shown: str) -> str:
    """The state's name without a redirect's target (``redirect to x`` is ``redirect``)."""
    return shown.split(" ", 1)[0] if shown else "unknown"


def read_history(path: Path, outlet: str, limit: int = MAX_EVENTS) -> History | None:
    """The outlet's domain history, or None when no probe or crawl has written ``path`` yet."""
    if not path.exists():
        return None
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=5)
    except sqlite3.Error as exc:
        raise HistoryError(f"{path}: cannot open the mirrors history read-only ({exc})") from exc
    try:
        refuse_newer(path, schema_version(conn), STEPS, HistoryError)
        if not has_summaries(conn):
            return History([], [], [], False)
        latest = last_checked(conn, outlet)
        newest = newest_transitions(conn, outlet, limit + 1)
    except sqlite3.Error as exc:
        raise HistoryError(f"{path}: cannot read the mirrors history ({exc})") from exc
    finally:
        conn.close()
    truncated = len(newest) > limit
    events = [Event(t.host, t.before, t.after, t.at, t.detail or "") for t in newest[:limit]]
    checked = dict(latest)
    hosts = [host for host, _ in latest] + sorted({e.host for e in events} - set(checked))
    return History(hosts, spans_of(events, checked), events, truncated)


def spans_of(events: list[Event], checked: dict[str, str]) -> list[Span]:
    """Each host's spans from its transitions (newest first, as recorded), the last one ending at its
    latest observation."""
    spans = []
    for host in dict.fromkeys(e.host for e in events):
        mine = [e for e in reversed(events) if e.host == host]
        for index, event in enumerate(mine):
            last = index + 1 == len(mine)
            end = max(checked.get(host, event.at), event.at) if last else mine[index + 1].at
            spans.append(Span(host, state_of(event.after), event.after, event.at, end, last))
    return spans
