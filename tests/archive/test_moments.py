"""Times read from text (``archive.moments``): the archive's stored times, and the times a user
gives to the web's and the CLI's filters, whose errors name the parameter."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import click
import pytest

from archive.cli.research import moment_option
from archive.moments import BadTimeError, parse_iso, parse_utc, stamp_moment, user_moment, utc_bound


def test_a_stored_time_with_z_is_utc_and_one_without_a_zone_stays_as_written():
    assert parse_iso("2026-11-25T10:55:00Z") == datetime(2026, 11, 25, 10, 55, tzinfo=UTC)
    assert parse_iso("2026-11-25T12:55:00+02:00").utcoffset() == timedelta(hours=2)
    assert parse_iso("2026-11-25T10:55:00").tzinfo is None
    assert parse_utc("2026-11-25T12:55:00.250+02:00") == datetime(2026, 11, 25, 10, 55, 0, 250_000, tzinfo=UTC)
    assert parse_utc("2026-11-25T10:55:00Z").tzinfo is UTC
    with pytest.raises(ValueError):
        parse_iso("yesterday")


def test_a_timestamp_is_read_from_its_fourteen_ascii_digits():
    assert stamp_moment("20261125105500") == datetime(2026, 11, 25, 10, 55, tzinfo=UTC)
    for bad in ("2026112510550", "20261325105500", "２０２６１１２５１０５５００", "2026-11-25T10:55"):
        with pytest.raises(ValueError):
            stamp_moment(bad)


def test_dates_given_alone_bound_whole_days_and_bad_ones_name_the_parameter():
    assert utc_bound("since", "2026-11-20") == "2026-11-20T00:00:00Z"
    assert utc_bound("until", "2026-11-20", upper=True) == "2026-11-20T23:59:59Z"
    assert utc_bound("since", "2026-11-20T14:00+02:00") == "2026-11-20T12:00:00Z"
    assert utc_bound("since", None) is None
    assert utc_bound("since", "") is None
    with pytest.raises(BadTimeError, match=r"^until='yesterday' is not an ISO 8601 date or time, e\.g\. 2026-11-20"):
        utc_bound("until", "yesterday", upper=True)


def test_a_time_bound_past_the_calendar_is_a_bad_filter_naming_the_parameter():
    with pytest.raises(BadTimeError, match=r"^since='0001-01-01T00:00\+01:00' falls outside the years 1 to 9999"):
        utc_bound("since", "0001-01-01T00:00+01:00")
    with pytest.raises(BadTimeError, match="until="):
        utc_bound("until", "9999-12-31T23:00-05:00", upper=True)


def test_an_upper_bound_includes_the_whole_unit_it_is_given_to():
    assert utc_bound("until", "2026-12-03T22:44", upper=True) == "2026-12-03T22:44:59Z"
    assert utc_bound("until", "2026-12-03T22", upper=True) == "2026-12-03T22:59:59Z"
    assert utc_bound("until", "2026-12-03T22:44:10Z", upper=True) == "2026-12-03T22:44:10Z"
    assert utc_bound("since", "2026-12-03T22:44") == "2026-12-03T22:44:00Z"
    assert utc_bound("until", " 20261203 ", upper=True) == "2026-12-03T23:59:59Z"


@pytest.mark.parametrize(
    ("given", "moment"),
    [
        ("2026-11-20", datetime(2026, 11, 20, tzinfo=UTC)),
        ("2026-11-20T08:00", datetime(2026, 11, 20, 8, tzinfo=UTC)),
        ("2026-11-20T08:00Z", datetime(2026, 11, 20, 8, tzinfo=UTC)),
        (" 2026-11-20T10:00+02:00 ", datetime(2026, 11, 20, 8, tzinfo=UTC)),
        ("2026", datetime(2026, 1, 1, tzinfo=UTC)),
        ("2026112008", datetime(2026, 11, 20, 8, tzinfo=UTC)),
        ("20261120080000", datetime(2026, 11, 20, 8, tzinfo=UTC)),
    ],
)
def test_a_user_moment_is_iso_8601_or_a_timestamp_padded_down_in_utc(given, moment):
    found = user_moment(given, "--at")
    assert found == moment
    assert found.tzinfo is UTC


@pytest.mark.parametrize(
    "given", ["yesterday", "20261320", "202611200800001", "٢٠٢٦", "0001-01-01T00:00+01:00", "9999-12-31T23:00-05:00"]
)
def test_a_user_moment_that_is_no_time_names_the_option(given):
    with pytest.raises(BadTimeError) as info:
        user_moment(given, "--from")
    assert str(info.value) == f"--from {given!r} is not an ISO 8601 time (2026-11-20T08:00Z) or a timestamp"


def test_the_cli_gives_a_bad_moment_as_a_usage_error_with_the_same_message():
    assert moment_option("2026-11-20", "--at") == datetime(2026, 11, 20, tzinfo=UTC)
    with pytest.raises(click.BadParameter) as info:
        moment_option("yesterday", "--at")
    assert info.value.message == "--at 'yesterday' is not an ISO 8601 time (2026-11-20T08:00Z) or a timestamp"
