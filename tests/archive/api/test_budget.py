"""A request's time budget stops SQLite statements and Python loops over rows alike."""

from __future__ import annotations

import sqlite3
import time

import pytest

from archive.api.budget import Deadline, QueryTimeoutError


class Ticking:
    """A clock that advances one second each time it is read."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        self.now += 1.0
        return self.now


def test_a_deadline_lets_work_through_until_its_budget_is_spent():
    deadline = Deadline(3, what="the CDX query", clock=Ticking())
    taken = []
    with pytest.raises(QueryTimeoutError, match="the CDX query ran longer than its budget of 3 s") as caught:
        for item in deadline.each(range(100)):
            taken.append(item)
    assert taken == [0, 1, 2] and "narrow it" in str(caught.value)


def test_a_sqlite_statement_past_the_budget_is_stopped_not_left_running():
    conn = sqlite3.connect(":memory:")
    endless = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n"
    started = time.monotonic()
    with pytest.raises(QueryTimeoutError), Deadline(0.2).guard(conn):
        conn.execute(endless).fetchall()
    assert time.monotonic() - started < 5
    assert conn.execute("SELECT 1").fetchone() == (1,)  # the handler is gone: the connection works on


def test_other_sqlite_errors_pass_through_the_guard():
    conn = sqlite3.connect(":memory:")
    with pytest.raises(sqlite3.OperationalError, match="no such table"), Deadline(60).guard(conn):
        conn.execute("SELECT * FROM nowhere")
