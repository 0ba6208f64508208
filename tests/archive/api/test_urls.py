"""A client's URL is read in one place: pywb's lenient forms are accepted, and anything the index
lookups could not use is a BadUrlError (HTTP 400), never a ValueError from urllib.parse (HTTP 500)."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
import surt
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archive.api.urls import MAX_URL_LENGTH, BadUrlError, archived_url
from archive.config import load_config
from tests.support import write_config


@pytest.fixture(scope="module")
def outlet(tmp_path_factory):
    return load_config(write_config(tmp_path_factory.mktemp("urls"), port=8765)).outlet("demo")


@pytest.mark.parametrize(
    ("given_url", "stored"),
    [
        ("example.com/a", "http://example.com/a"),
        ("https:/example.com/a", "https://example.com/a"),
        ("HTTP://Example.com/a", "http://Example.com/a"),
        ("example.com:8080/a", "http://example.com:8080/a"),
        ("localhost:8080", "http://localhost:8080"),
        ("[::1]:8080/x", "http://[::1]:8080/x"),
        ("  http://www.presstv.ir/  ", "http://www.presstv.ir/"),
        ("example.com/?from=http://other.example/", "http://example.com/?from=http://other.example/"),
        ("http%3A%2F%2Fwww.presstv.ir%2FDetail%2F%25D8%25AE", "http://www.presstv.ir/Detail/%D8%AE"),
        ("HTTPS%3a//www.presstv.ir/a", "https://www.presstv.ir/a"),
        ("http://\u0645\u062b\u0627\u0644.example/", "http://xn--mgbh0fb.example/"),  # as Scrapy fetched it
        (
            "http://www.presstv.ir/Detail/2026/1/1/1/\u062e\u0628\u0631",
            "http://www.presstv.ir/Detail/2026/1/1/1/%D8%AE%D8%A8%D8%B1",
        ),
        ("http://www.presstv.ir/a?q=\u00e9t\u00e9", "http://www.presstv.ir/a?q=%C3%A9t%C3%A9"),
        (
            "http://www.presstv.ir/Detail/2026/1/1/1/%D8%AE%D8%A8%D8%B1",
            "http://www.presstv.ir/Detail/2026/1/1/1/%D8%AE%D8%A8%D8%B1",
        ),
    ],
)
def test_lenient_forms_are_read_as_pywb_reads_them(given_url, stored):
    assert archived_url(given_url) == stored


@pytest.mark.parametrize(
    ("given_url", "fragment"),
    [
        ("file:%2F%2F%2Fetc%2Fpasswd", "not an http(s) URL"),  # the audit's replay 500
        ("file:///etc/passwd", "not an http(s) URL"),
        ("javascript:alert(1)", "not an http(s) URL"),  # the audit's TimeMap 500
        ("javascript%3Aalert%281%29", "not an http(s) URL"),
        ("http%3A%2F%2Fwww.presstv.ir%2F%0D%0ASet-Cookie:%20a=1", "whitespace or control"),
        ("http://www.presstv.ir%3Cscript%3E/", "not a host name"),
        ("http://[fe80::1%25eth0]/", "not a host name"),
        ("ftp://www.presstv.ir/", "not an http(s) URL"),
        ("http://[::1", "not a valid URL"),  # the audit's CDX 500 (Invalid IPv6 URL)
        ("http://[::1/x", "not a valid URL"),
        ("http://[not-ipv6]/", "not a valid URL"),
        ("http://a:b@c:99999/", "not a valid URL"),  # the audit's CDX 500 (port out of range)
        ("http://www.presstv.ir:65536/", "not a valid URL"),
        ("http://www.presstv.ir:-1/", "not a valid URL"),
        ("http://www.presstv.ir:alert(1)/", "not a valid URL"),
        ("http://x:8080:80/", "not a valid URL"),
        ("http://", "with a host name"),
        ("http:///path", "with a host name"),
        ("", "empty"),
        ("http://www.presstv.ir/a b", "whitespace or control"),
        ("http://www.presstv.ir/\x00", "whitespace or control"),
        ("http://www.presstv.ir/\r\nSet-Cookie: x=1", "whitespace or control"),
        ("http://www.presstv.ir/" + "a" * MAX_URL_LENGTH, "characters long"),
    ],
)
def test_what_the_lookups_cannot_use_is_a_bad_url_error_naming_the_problem(given_url, fragment):
    with pytest.raises(BadUrlError, match="url") as caught:
        archived_url(given_url)
    assert fragment in str(caught.value)


def test_the_message_names_the_parameter_and_quotes_a_long_url_shortened():
    with pytest.raises(BadUrlError) as caught:
        archived_url("ftp://x/" + "a" * 5000, name="url-r")
    assert str(caught.value).startswith("url-r 'ftp://x/") and len(str(caught.value)) < 400


HOSTILE_PIECES = st.sampled_from(
    [
        *["http", "https", "ftp", "javascript", ":", "//", "/", "[", "]", "::1", "@", "%", "%2F", "%3A", "%zz"],
        *["?", "#", "\\", "99999", "65535", "0", "-1", "www.presstv.ir", "xn--", "..", ".", "a" * 70, "\u0660"],
        *["\u00e9", "\x00", " ", "\u2028"],
    ]
)


@settings(max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(st.lists(HOSTILE_PIECES, max_size=12).map("".join), st.text(max_size=60)))
def test_any_text_is_either_a_url_every_lookup_can_use_or_a_bad_url_error(outlet, text):
    try:
        url = archived_url(text)
    except BadUrlError:
        return
    parts = urlsplit(url)
    assert parts.scheme.lower() in ("http", "https") and parts.hostname
    assert parts.port is None or 0 <= parts.port <= 65535
    surt.surt(url)
    outlet.article_id(url)
