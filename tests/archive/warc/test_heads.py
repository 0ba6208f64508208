"""parse_head reads every head exactly as warcio's StatusAndHeadersParser does."""

from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from warcio.statusandheaders import (  # type: ignore[import-untyped]
    StatusAndHeadersParser,
    StatusAndHeadersParserException,
)

from archive.warc.heads import HeadLineError, parse_head

WARC_VERSIONS = ["WARC/1.1", "WARC/1.0", "WARC/0.18", "WARC/0.17"]


def warcio(data: bytes, versions: list[str]) -> object:
    stream = io.BytesIO(data)
    try:
        head = StatusAndHeadersParser(versions, verify=bool(versions)).parse(stream)
    except EOFError:
        return "EOF"
    except StatusAndHeadersParserException as exc:
        return ("bad first line", exc.statusline)
    return head.protocol, head.statusline, head.headers, stream.tell()


def ours(data: bytes, versions: list[str]) -> object:
    stream = io.BytesIO(data)
    try:
        head = parse_head(stream.readline, versions)
    except EOFError:
        return "EOF"
    except HeadLineError as exc:
        return ("bad first line", exc.statusline)
    return head.protocol, head.statusline, head.headers, stream.tell()


CASES = [
    b"",
    b"\r\n",
    b"WARC/1.1\r\nWARC-Type: response\r\nContent-Length: 5\r\n\r\nhello",
    b"warc/1.0\r\nA:b\r\n\r\n",
    b"WARC/1.10 extra\r\nA: b\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nSet-Cookie: a\r\nset-cookie: b\r\nX:  spaced  \r\n\r\nbody",
    b"HTTP/1.1 200\nA: 1\n continued\n\tagain\nB: 2\n\nbody",
    b"HTTP/1.1 200 OK\r\nno colon here\r\n folded\r\nC: 3\r\n   \r\nD: 4\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nCaf\xe9: d\xe9j\xe0\r\nUTF: \xc3\xa9\r\nNBSP: x\xa0\r\n\xa0\r\nAfter: 1\r\n\r\n",
    b"GET /a HTTP/1.1\r\nHost: o.example\r\nEmpty:\r\n : blank name\r\nName \t: v\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nA: 1",
    b"NOT A WARC\r\n\r\n",
]


@pytest.mark.parametrize("data", CASES)
@pytest.mark.parametrize("versions", [WARC_VERSIONS, []], ids=["warc", "http"])
def test_known_heads_parse_as_warcio_parses_them(data: bytes, versions: list[str]) -> None:
    assert ours(data, versions) == warcio(data, versions)


PIECES = [b"A", b"b", b"WARC/1.1", b"HTTP/1.1", b":", b" ", b"\t", b"\r", b"\xe9", b"\xc3\xa9", b"\xa0", b"\x85"]
LINE = st.lists(st.sampled_from(PIECES), max_size=6).map(b"".join)


@settings(max_examples=400, deadline=None)
@given(st.lists(LINE, max_size=8), st.sampled_from([b"\n", b"\r\n"]), st.booleans())
def test_any_head_parses_as_warcio_parses_it(lines: list[bytes], newline: bytes, warc: bool) -> None:
    data = newline.join(lines) + newline + newline + b"rest"
    versions = WARC_VERSIONS if warc else []
    assert ours(data, versions) == warcio(data, versions)


def test_get_is_the_first_header_of_that_name_in_any_case() -> None:
    head = parse_head(io.BytesIO(b"HTTP/1.1 200 OK\r\nSet-Cookie: a\r\nset-cookie: b\r\n\r\n").readline)
    assert head.get("SET-COOKIE") == "a" and head.get("Content-Type") is None
