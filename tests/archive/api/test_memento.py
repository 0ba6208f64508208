"""Memento pieces by RFC 7089's examples: Accept-Datetime, HTTP dates, TimeMap and Link syntax."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from archive.api.memento import (
    BadDatetimeError,
    Links,
    Memento,
    closest,
    http_date,
    live_at,
    memento_headers,
    parse_accept_datetime,
    timemap,
    uri,
)

LINKS = Links("http://arxiv.example.net/web/")


def memento(url: str, moment: datetime) -> Memento:
    return Memento(url, moment.strftime("%Y%m%d%H%M%S"), moment, {})


FOUND = [
    memento("http://a.example.org/", datetime(2000, 6, 20, 18, 2, 59, tzinfo=UTC)),
    memento("http://a.example.org/", datetime(2001, 9, 11, 20, 36, 10, tzinfo=UTC)),
    memento("http://b.example.org/", datetime(2009, 10, 27, 20, 49, 54, tzinfo=UTC)),
]


def test_accept_datetime_is_rfc_1123_and_anything_else_is_refused():
    assert parse_accept_datetime("Tue, 11 Sep 2001 20:35:00 GMT") == datetime(2001, 9, 11, 20, 35, tzinfo=UTC)
    for bad in ("2001-09-11T20:35:00Z", "Tue, 11 Sep 2001 20:35:00 +0000", "Tue, 11 Sep 01 20:35:00 GMT", ""):
        with pytest.raises(BadDatetimeError):
            parse_accept_datetime(bad)


def test_http_dates_are_rfc_1123_in_gmt():
    assert http_date(datetime(2000, 6, 20, 18, 2, 59, tzinfo=UTC)) == "Tue, 20 Jun 2000 18:02:59 GMT"


def test_negotiation_picks_the_closest_and_live_at_the_last_before():
    assert closest(FOUND, datetime(2001, 9, 11, 20, 35, tzinfo=UTC)) is FOUND[1]
    assert closest(FOUND, datetime(1990, 1, 1, tzinfo=UTC)) is FOUND[0]
    assert closest(FOUND, datetime(2030, 1, 1, tzinfo=UTC)) is FOUND[-1]
    assert live_at(FOUND, datetime(2005, 1, 1, tzinfo=UTC)) is FOUND[1]
    assert live_at(FOUND, datetime(1999, 1, 1, tzinfo=UTC)) is None


def test_timemap_follows_the_rfc_example():
    text = timemap(LINKS, "http://a.example.org/", FOUND)
    assert text.splitlines() == [
        '<http://a.example.org/>; rel="original",',
        '<http://arxiv.example.net/web/timemap/link/http://a.example.org/>; rel="self"; '
        'type="application/link-format"; from="Tue, 20 Jun 2000 18:02:59 GMT"; until="Tue, 27 Oct 2009 20:49:54 GMT",',
        '<http://arxiv.example.net/web/http://a.example.org/>; rel="timegate",',
        '<http://arxiv.example.net/web/20000620180259/http://a.example.org/>; rel="first memento"; '
        'datetime="Tue, 20 Jun 2000 18:02:59 GMT",',
        '<http://arxiv.example.net/web/20010911203610/http://a.example.org/>; rel="memento"; '
        'datetime="Tue, 11 Sep 2001 20:36:10 GMT",',
        '<http://arxiv.example.net/web/20091027204954/http://b.example.org/>; rel="last memento"; '
        'datetime="Tue, 27 Oct 2009 20:49:54 GMT"',
    ]


def test_a_memento_links_its_original_timegate_timemap_and_neighbours():
    headers = memento_headers(LINKS, "http://a.example.org/", FOUND, FOUND[1])
    assert headers["Memento-Datetime"] == "Tue, 11 Sep 2001 20:36:10 GMT"
    link = headers["Link"]
    assert link.startswith(
        '<http://a.example.org/>; rel="original", <http://arxiv.example.net/web/http://a.example.org/>; rel="timegate"'
    )
    assert 'rel="prev first memento"' in link and 'rel="next last memento"' in link and 'rel="memento"' in link


def test_urls_in_links_are_uris_that_cannot_end_the_link_target_or_break_the_header():
    assert uri("http://a.example.org/Detail/1/%D8%AE?q=1&r=2#f") == "http://a.example.org/Detail/1/%D8%AE?q=1&r=2#f"
    assert uri("http://a.example.org/خبر") == "http://a.example.org/%D8%AE%D8%A8%D8%B1"
    smuggled = 'http://a.example.org/x>; rel="memento", <http://evil.example/'
    link = timemap(LINKS, smuggled, FOUND[:1])
    assert "<http://evil.example/" not in link and "%3E" in link and "%22memento%22" in link
    link.encode("ascii")  # a header value: no character outside ASCII
