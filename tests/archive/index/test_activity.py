"""Edit activity over a window of days: counts per day, kind and declared/silent, the most-edited
articles with their current headline, and plans that read the window only (issue 13).

The changes are rows of a real index; the outlet's other changes (before the window, another
outlet's) must neither be counted nor walked.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from archive.index import Index, activity
from tests.archive.index.query_plans import collecting, findings

NOW = datetime(2025, 3, 31, 12, tzinfo=UTC)


def change(number: int, article_id: str, kind: str, declared: bool, to_time: str, outlet: str = "demo") -> dict:
    return {
        "change_key": f"k{number}",
        "outlet": outlet,
        "article_id": article_id,
        "kind": kind,
        "declared": int(declared),
        "host": "www.presstv.ir",
        "to_record": f"r{number}",
        "to_time": to_time,
    }


@pytest.fixture
def index_path(tmp_path):
    path = tmp_path / "index.sqlite"
    with Index(path) as idx:
        idx._db["changes"].insert_all(
            [
                change(1, "100", "headline", False, "2025-03-31T10:00:00Z"),
                change(2, "100", "body", True, "2025-03-31T11:00:00Z"),
                change(3, "100", "headline", False, "2025-03-25T08:00:00Z"),
                change(4, "200", "date", False, "2025-03-25T09:00:00Z"),
                change(5, "300", "headline", True, "2025-03-02T00:00:00Z"),  # day 30 of 30: in
                change(6, "300", "headline", True, "2025-03-01T23:59:59Z"),  # the day before: out
                change(7, "100", "headline", False, "2025-03-31T09:00:00Z", outlet="other"),
            ]
        )
        idx._db["versions"].insert_all(
            [
                {
                    "outlet": "demo",
                    "article_id": "100",
                    "version": v,
                    "record_id": f"v{v}",
                    "whole_hash": "h",
                    "headline": f"headline {v}",
                }
                for v in (1, 2, 3)
            ]
        )
        idx._db["article_state"].insert({"outlet": "demo", "article_id": "100", "state": "live", "current_version": 2})
    return path


def test_the_window_is_the_last_days_up_to_today_inclusive():
    span = activity.window(30, NOW)
    assert (span.first, span.last) == ("2025-03-02", "2025-03-31")
    assert (span.since, span.before) == ("2025-03-02T00:00:00Z", "2025-04-01T00:00:00Z")
    assert len(span.dates()) == 30 and span.dates()[-1] == "2025-03-31"


def test_changes_are_counted_per_day_kind_and_declared_within_the_window_and_outlet(index_path):
    with Index(index_path, readonly=True) as idx:
        counts = activity.per_day(idx, "demo", activity.window(30, NOW))
    assert [(c.day, c.kind, c.declared, c.changes) for c in counts] == [
        ("2025-03-02", "headline", True, 1),
        ("2025-03-25", "date", False, 1),
        ("2025-03-25", "headline", False, 1),
        ("2025-03-31", "body", True, 1),
        ("2025-03-31", "headline", False, 1),
    ]
    with Index(index_path, readonly=True) as idx:
        week = activity.per_day(idx, "demo", activity.window(7, NOW))
    assert {c.day for c in week} == {"2025-03-25", "2025-03-31"}


def test_the_most_edited_articles_come_first_with_the_headline_they_show_now(index_path):
    with Index(index_path, readonly=True) as idx:
        edited = activity.most_edited(idx, "demo", activity.window(30, NOW))
    assert [(e.article_id, e.changes, e.silent) for e in edited] == [("100", 3, 2), ("200", 1, 1), ("300", 1, 0)]
    assert edited[0].headline == "headline 2"  # the current version, not the newest
    assert edited[0].last == "2025-03-31T11:00:00Z"
    assert edited[1].headline is None  # no version extracted


def test_the_latest_change_is_found_for_a_window_without_any(index_path):
    with Index(index_path, readonly=True) as idx:
        assert activity.per_day(idx, "demo", activity.window(7, datetime(2026, 1, 1, tzinfo=UTC))) == []
        assert activity.latest_change(idx, "demo") == "2025-03-31T11:00:00Z"
        assert activity.latest_change(idx, "nobody") is None


def test_the_activity_queries_read_the_window_not_the_archive(index_path, monkeypatch):
    with collecting(monkeypatch) as traced, Index(index_path, readonly=True) as idx:
        span = activity.window(30, NOW)
        activity.per_day(idx, "demo", span)
        activity.most_edited(idx, "demo", span)
        activity.latest_change(idx, "demo")
    statements = [s for s in traced.distinct() if "changes" in s or "versions" in s]
    assert len(statements) >= 4, statements
    assert findings(index_path, statements) == {}
