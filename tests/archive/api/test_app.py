"""Pieces of the app that read the raw request: the archived URL in the path."""

from __future__ import annotations

from starlette.requests import Request

from archive.api.app import url_after


def request(raw_path: bytes, query: bytes = b"") -> Request:
    return Request({"type": "http", "path": raw_path.decode("latin-1"), "raw_path": raw_path, "query_string": query})


def test_the_archived_url_is_the_raw_path_after_the_prefix_with_its_query():
    got = url_after(request(b"/demo/http://www.presstv.ir/a%20b", b"x=1&y=%2F"), "/demo/")
    assert got == "http://www.presstv.ir/a%20b?x=1&y=%2F"


def test_bytes_sent_unencoded_beyond_ascii_are_percent_encoded_as_a_browser_sends_them():
    raw = "/demo/http://www.presstv.ir/Detail/1/\u062e\u0628\u0631".encode()
    assert url_after(request(raw, "q=\u00e9".encode()), "/demo/") == (
        "http://www.presstv.ir/Detail/1/%D8%AE%D8%A8%D8%B1?q=%C3%A9"
    )
