"""A wall-time budget per request, so that no query can keep a worker thread (or the server) busy.

A CDX query over a whole domain with a filter, or a TimeMap of a URL with very many captures,
is work proportional to what the client asked for. Each request gets a :class:`Deadline`:
SQLite checks it while it runs a statement (a progress handler, which aborts the statement),
and the Python loops over the rows check it once per row. Past the deadline the request
ends with :class:`QueryTimeoutError` (HTTP 503 with Retry-After) instead of running on.

Regular expressions written by clients are never run by Python's ``re`` (whose backtracking can
take exponential time while holding the GIL, which no deadline can interrupt): the CDX
filters use RE2 (``archive.api.cdx``), which matches in linear time.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Protocol, TypeVar

from archive.errors import EdittrailError

QUERY_SECONDS = 5.0
"""The budget of one CDX, TimeMap or TimeGate/memento lookup."""
REQUEST_SECONDS = 30.0
"""The budget of any other request's index work (article pages, search, changes)."""
_SQLITE_STEPS = 10_000
"""SQLite virtual-machine steps between two looks at the clock (a few milliseconds at most)."""

T = TypeVar("T")


class Interruptible(Protocol):
    """What a deadline guards: an SQLite connection, or the index (archive.index.Index)."""

    def set_progress_handler(self, handler: Callable[[], int] | None, steps: int, /) -> None: ...


class QueryTimeoutError(EdittrailError):
    """A request ran out of its time budget and was stopped (HTTP 503); the message says how to narrow it."""


class Deadline:
    """A moment after which the request's work stops; ``clock`` is injectable for tests."""

    def __init__(self, seconds: float, *, what: str = "the query", clock: Callable[[], float] = time.monotonic):
        self.seconds = seconds
        self.what = what
        self._clock = clock
        self._end = clock() + seconds

    @property
    def expired(self) -> bool:
        return self._clock() > self._end

    def check(self) -> None:
        """Raise QueryTimeoutError once the budget is spent."""
        if self.expired:
            raise self.error()

    def error(self) -> QueryTimeoutError:
        return QueryTimeoutError(
            f"{self.what} ran longer than its budget of {self.seconds:g} s and was stopped; narrow it "
            "(an exact url or a longer prefix, from= and to=, a smaller limit=, fewer or simpler filters) "
            "or try again when the server is less busy"
        )

    def each(self, items: Iterable[T]) -> Iterator[T]:
        """``items``, checking the budget before each one."""
        for item in items:
            self.check()
            yield item

    @contextmanager
    def guard(self, conn: Interruptible) -> Iterator[None]:
        """SQLite statements on ``conn`` (a connection, the index) abort once the budget is spent
        (as QueryTimeoutError)."""
        conn.set_progress_handler(lambda: 1 if self.expired else 0, _SQLITE_STEPS)
        try:
            yield
        except sqlite3.OperationalError as exc:
            if "interrupted" in str(exc) and self.expired:
                raise self.error() from None
            raise
        finally:
            conn.set_progress_handler(None, 0)
