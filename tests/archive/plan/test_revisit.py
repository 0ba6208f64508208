from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from archive.config import Revisit
from archive.config.tables import MAX_DURATION
from archive.plan.revisit import is_due, last_due_moment, next_due_moment

T0 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
DEFAULT = Revisit()


@pytest.mark.parametrize(
    ("age", "expected"),
    [
        (timedelta(minutes=10), None),
        (timedelta(minutes=15), timedelta(minutes=15)),
        (timedelta(minutes=59), timedelta(minutes=15)),
        (timedelta(hours=2), timedelta(hours=1)),
        (timedelta(hours=9), timedelta(hours=3)),
        (timedelta(hours=11), timedelta(hours=10)),
        (timedelta(days=3), timedelta(days=1)),
        (timedelta(days=8), timedelta(days=7)),
        (timedelta(days=20), timedelta(days=14)),
        (timedelta(days=22), timedelta(days=21)),
    ],
)
def test_default_schedule_decays_then_goes_weekly(age, expected):
    moment = last_due_moment(T0, T0 + age, DEFAULT)
    assert moment == (T0 + expected if expected is not None else None)


def test_due_only_when_a_moment_passed_since_the_last_fetch():
    now = T0 + timedelta(hours=2)
    assert is_due(T0, T0 + timedelta(minutes=30), now, DEFAULT)  # the 1 h moment came after it
    assert not is_due(T0, T0 + timedelta(minutes=70), now, DEFAULT)  # fetched after the 1 h moment


@settings(max_examples=400, deadline=None)
@given(
    offsets=st.lists(st.integers(0, 30 * 86400), max_size=6).map(sorted),
    every=st.integers(1, 30 * 86400),
    since_first=st.integers(0, 400 * 86400),
    since_last=st.integers(0, 60 * 86400),
)
def test_the_stored_next_due_moment_says_exactly_what_is_due_says(offsets, every, since_first, since_last):
    """The plan step reads ``next_due <= now`` from the index instead of judging each article:
    the two must agree for every schedule, article age and last fetch."""
    schedule = Revisit(offsets=[f"{o}s" for o in offsets], then_every=f"{every}s")
    first = T0
    last = first + timedelta(seconds=since_first)
    moment = next_due_moment(first, last, schedule)
    assert moment > last
    for now in (last, moment - timedelta(seconds=1), moment, moment + timedelta(seconds=since_last)):
        assert is_due(first, last, now, schedule) == (moment <= now)


def test_revisit_config_rejects_unordered_offsets():
    with pytest.raises(ValueError, match="increasing order"):
        Revisit(offsets=("1h", "15m"))


@pytest.mark.parametrize(
    "bad",
    [
        {"offsets": ("1s", 99999999999999999999999)},  # passed check-config, then crawl died in OverflowError
        {"offsets": ("3651d",)},
        {"then_every": 10**23},
        {"then_every": "9999999999w"},
        {"offsets": 5},
        {"offsets": (1.5,)},
        {"offsets": (True,)},
        {"then_every": 1.5},
        {"then_every": "0s"},
        {"max_per_run": 10**22},
        {"max_per_run": True},
    ],
)
def test_revisit_config_refuses_wrong_types_and_unbounded_values(bad):
    with pytest.raises(ValidationError) as info:
        Revisit(**bad)
    assert all(error["type"] != "assertion_error" for error in info.value.errors())


def test_the_longest_schedule_allowed_computes_without_overflow():
    longest = Revisit(offsets=("1s", "3650d"), then_every="3650d", max_per_run=1_000_000)
    assert longest.offsets == (1, MAX_DURATION) and longest.then_every == MAX_DURATION
    now = T0 + timedelta(days=20 * 365)
    assert last_due_moment(T0, now, longest) == T0 + timedelta(seconds=2 * MAX_DURATION)
    assert is_due(T0, T0, T0 + timedelta(seconds=1), longest)
