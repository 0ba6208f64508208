"""The records a crawl hands to the WARC writer, and what the writer hands back.

Validation here keeps a record's framing intact: a CR or LF inside a header, or a space
inside the method, would make the stored HTTP head say something other than was sent.
It runs for every exchange the crawler writes, so each string is scanned in C (`in`, a
compiled regex), never character by character in Python.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

Headers = tuple[tuple[str, str], ...]
MIN_STATUS, MAX_STATUS = 100, 999
# `\s` on str patterns is exactly str.isspace (both use Py_UNICODE_ISSPACE).
_SPACE = re.compile(r"\s")


@dataclass(frozen=True)
class HttpRequestData:
    """A request as sent. Header names and values are str decoded as ISO-8859-1."""

    method: str
    url: str
    headers: Headers
    body: bytes = b""
    protocol: str = "HTTP/1.1"

    def __post_init__(self) -> None:
        scheme = urlsplit(self.url).scheme.lower()  # cached: the writer splits the URL again
        if scheme not in ("http", "https") or _SPACE.search(self.url):
            raise ValueError(f"not an http(s) URL without whitespace: {self.url!r}")
        _check_token("method", self.method)
        _check_token("protocol", self.protocol)
        check_header_lines(self.headers)


@dataclass(frozen=True)
class HttpResponseData:
    """A response as received: body still Content-Encoded, chunked framing removed."""

    status: int
    reason: str
    headers: Headers
    body: bytes
    protocol: str = "HTTP/1.1"

    def __post_init__(self) -> None:
        if not MIN_STATUS <= self.status <= MAX_STATUS:
            raise ValueError(f"HTTP status {self.status} is not a three-digit code")
        _check_token("protocol", self.protocol)
        if "\r" in self.reason or "\n" in self.reason:
            raise ValueError(f"HTTP reason phrase contains a line break: {self.reason!r}")
        check_header_lines(self.headers)


@dataclass(frozen=True)
class WrittenExchange:
    """Where one exchange landed: enough for the index without re-reading the file."""

    warc_path: Path
    response_offset: int
    response_length: int
    request_offset: int
    request_length: int
    response_record_id: str
    payload_digest: str


def _check_token(what: str, value: str) -> None:
    if not value or _SPACE.search(value):
        raise ValueError(f"HTTP {what} must be one non-empty word: {value!r}")


def check_header_lines(headers: Headers) -> None:
    """Reject CR or LF in a header: it would end the line early, changing it."""
    for name, value in headers:
        if not name or ":" in name or "\r" in name or "\n" in name or "\r" in value or "\n" in value:
            raise ValueError(f"invalid header line {name!r}: {value!r}")
