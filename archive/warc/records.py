"""WARC records as bytes, laid out exactly as warcio's `RecordBuilder` and `WARCWriter` write them.

warcio's general path builds header objects, digests through wrappers and creates a writer
per record, which costs more than compressing the record; here a record is built in one
pass from what the crawler has: header order, SHA-1 base32 digests, Content-Type,
Content-Length and the CRLF CRLF after the block are warcio's (tests/archive/warc/
test_writer_compat.py compares the bytes with warcio's own builder). `archive.warc.writer`
compresses each record and writes it.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

from warcio.recordbuilder import RecordBuilder

from archive.warc.exchange import HttpRequestData, HttpResponseData

WARC_VERSION = "WARC/1.1"
ORIG_TRANSFER_ENCODING = "X-Archive-Orig-Transfer-Encoding"
REVISIT_PROFILE = str(RecordBuilder.REVISIT_PROFILE_1_1)
_CONTENT_TYPES: Mapping[str, str] = RecordBuilder.WARC_RECORDS
RECORD_END = b"\r\n\r\n"


@dataclass(frozen=True)
class RevisitOf:
    """The earlier record that holds a payload a new response repeats byte for byte.

    A revisit record names it by WARC-Refers-To (its record id, when known),
    WARC-Refers-To-Target-URI and WARC-Refers-To-Date (its WARC-Date), and carries its
    WARC-Payload-Digest: the identical-payload-digest profile of WARC/1.1.
    """

    target_uri: str
    date: datetime
    record_id: str | None
    payload_digest: str


def payload_digest(body: bytes) -> str:
    """The WARC-Payload-Digest warcio writes for a body: ``sha1:`` + base32 SHA-1 of the bytes as
    received (still content-encoded). The crawler compares it with the last capture's before
    deciding between a response and a revisit record."""
    return sha1_digest(body)


def record_bytes(fields: list[str], record_type: str, http_head: bytes, payload: bytes) -> bytes:
    """One uncompressed record: `fields` (the WARC headers up to the payload digest, as
    "Name: value"), then the block digest, Content-Type and Content-Length warcio adds, the
    block (`http_head` + `payload`) and CRLF CRLF. `fields` is extended in place."""
    block = hashlib.sha1(http_head, usedforsecurity=False)
    block.update(payload)
    fields.append(f"WARC-Block-Digest: sha1:{b32(block.digest())}")
    fields.append(f"Content-Type: {_CONTENT_TYPES[record_type]}")
    fields.append(f"Content-Length: {len(http_head) + len(payload)}")
    warc_head = (WARC_VERSION + "\r\n" + "\r\n".join(fields) + "\r\n\r\n").encode()
    return warc_head + http_head + payload + RECORD_END


def revisit_fields(record_id: str, common: list[str], original: RevisitOf) -> list[str]:
    """The WARC headers warcio's `create_revisit_record` writes, in its order (WARC/1.1 profile)."""
    fields = ["WARC-Type: revisit", f"WARC-Record-ID: {record_id}", *common]
    if original.record_id:
        fields.append(f"WARC-Refers-To: {original.record_id}")
    fields += [
        f"WARC-Profile: {REVISIT_PROFILE}",
        f"WARC-Refers-To-Target-URI: {original.target_uri}",
        f"WARC-Refers-To-Date: {warc_date(original.date)}",
        f"WARC-Payload-Digest: {original.payload_digest}",
    ]
    return fields


def _http_head(start_line: str, headers: Iterable[tuple[str, str]]) -> bytes:
    """An HTTP head serialized back to the bytes the client saw.

    Our names and values were decoded from the wire as ISO-8859-1, so encoding them the
    same way restores the original bytes (warcio would percent-encode non-ASCII values).
    Text outside ISO-8859-1 cannot have come from the wire and is written as UTF-8.
    """
    text = start_line + "\r\n" + "".join([f"{name}: {value}\r\n" for name, value in headers]) + "\r\n"
    try:
        return text.encode("iso-8859-1")
    except UnicodeEncodeError:
        return text.encode("utf-8")


def response_head(response: HttpResponseData) -> bytes:
    headers = [
        (ORIG_TRANSFER_ENCODING if name.lower() == "transfer-encoding" else name, value)
        for name, value in response.headers
    ]
    status = f"{response.status} {response.reason}" if response.reason else str(response.status)
    return _http_head(f"{response.protocol} {status}", headers)


def request_head(request: HttpRequestData) -> bytes:
    """The request line uses the origin form (path and query) HTTP/1.1 clients send."""
    parts = urlsplit(request.url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return _http_head(f"{request.method} {target} {request.protocol}", request.headers)


_B32_PAIRS = [a + b for a in "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567" for b in "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"]
_SHA1_SIZE = 20


def b32(digest: bytes) -> str:
    """base64.b32encode(digest) as text; for a 20-byte (SHA-1) digest 2x as fast, because
    b32encode is pure Python in 3.11 and WARC tools compute two per record.

    160 bits are 16 groups of 10 bits, each two base32 letters, so there is no padding.
    """
    if len(digest) != _SHA1_SIZE:
        return base64.b32encode(digest).decode("ascii")
    n, t = int.from_bytes(digest, "big"), _B32_PAIRS
    return "".join(
        (
            t[n >> 150],
            t[n >> 140 & 1023],
            t[n >> 130 & 1023],
            t[n >> 120 & 1023],
            t[n >> 110 & 1023],
            t[n >> 100 & 1023],
            t[n >> 90 & 1023],
            t[n >> 80 & 1023],
            t[n >> 70 & 1023],
            t[n >> 60 & 1023],
            t[n >> 50 & 1023],
            t[n >> 40 & 1023],
            t[n >> 30 & 1023],
            t[n >> 20 & 1023],
            t[n >> 10 & 1023],
            t[n & 1023],
        )
    )


def sha1_digest(data: bytes) -> str:
    """``sha1:`` + base32 of the SHA-1 of `data`, as WARC digests are written."""
    if not data:
        return _EMPTY_SHA1  # a GET request's payload
    return "sha1:" + b32(hashlib.sha1(data, usedforsecurity=False).digest())


_EMPTY_SHA1 = "sha1:" + b32(hashlib.sha1(b"", usedforsecurity=False).digest())


def utc(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment!r}: pass a timezone-aware UTC time")
    return moment.astimezone(UTC)


@functools.lru_cache(maxsize=256)
def warc_date(moment: datetime) -> str:
    """ISO 8601 with Z; microseconds only when present (WARC/1.1 allows them).

    Cached: the crawler stamps whole seconds, so consecutive exchanges share a date.
    """
    return utc(moment).replace(tzinfo=None).isoformat() + "Z"


def new_record_id() -> str:
    """A random (version 4) UUID URN: os.urandom and hex, 3x as fast as str(uuid.uuid4())."""
    raw = bytearray(os.urandom(16))
    raw[6] = raw[6] & 0x0F | 0x40
    raw[8] = raw[8] & 0x3F | 0x80
    h = raw.hex()
    return f"<urn:uuid:{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}>"
