"""The fast timestamp conversions of the CDX and Memento answers agree with the standard library's."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime

import pytest

from archive.api.cdx import CdxQueryError, datetime_of, timestamp_of
from archive.api.memento import http_date

MOMENTS = [
    datetime(1000, 1, 1, tzinfo=UTC) + timedelta(seconds=s) for s in range(0, 8_999 * 365 * 86_400, 9_876_543_211)
]
MOMENTS += [datetime(2024, 2, 29, 23, 59, 59, tzinfo=UTC), datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)]


@pytest.mark.parametrize("moment", MOMENTS)
def test_the_conversions_agree_with_strptime_strftime_and_format_datetime(moment):
    stamp = moment.strftime("%Y%m%d%H%M%S")
    iso = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert datetime_of(stamp) == datetime.strptime(stamp + "+0000", "%Y%m%d%H%M%S%z")
    assert timestamp_of(iso) == re.sub(r"\D", "", iso)[:14] == stamp
    assert http_date(moment) == format_datetime(moment, usegmt=True)
    if 1000 < moment.year < 9999:
        assert http_date(moment.astimezone(timezone(timedelta(hours=-5)))) == format_datetime(moment, usegmt=True)


@pytest.mark.parametrize(
    "stamp", ["20261332000000", "20260230000000", "2026113", "abcdefghijklmn", "٢٠٢٦١١٢٥١٠٥٥٠٠", ""]
)
def test_a_timestamp_that_is_no_date_is_a_cdx_query_error(stamp):
    with pytest.raises(CdxQueryError):
        datetime_of(stamp, name="closest")


def test_a_fetched_at_in_another_form_still_gives_its_digits():
    assert timestamp_of("2026-11-25 10:55:00+00:00") == "20261125105500"
