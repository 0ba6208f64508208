"""From stored bytes to page text: content decoding, a binary check, character decoding.

Extraction always runs from the WARC record (never a second fetch), and the record holds
the body exactly as the server sent it, usually gzip Content-Encoded. Decompression is
streaming and capped (``archive.extract.coding``), because a record's payload is data from
the outside world and a small gzip or Brotli member can expand to gigabytes. Character
decoding follows the HTML standard's sniffing order (byte-order mark, HTTP charset,
``<meta charset>``, then UTF-8) through w3lib, and invalid bytes become U+FFFD rather than
an error.
"""

from __future__ import annotations

import logging

from w3lib.encoding import html_to_unicode

from archive.extract import coding
from archive.extract.model import ExtractError
from archive.warc import LoadedRecord

log = logging.getLogger(__name__)

MAX_DECODED_BYTES = 64 * 1024 * 1024
"""Decompressed bodies larger than this are refused (twice the crawl's default page limit)."""
MAX_HTML_BYTES = 32 * 1024 * 1024
"""Pages are parsed up to this many bytes; the rest is cut (and logged), never an error."""
_SNIFF = 1024
_BINARY_MAGIC = (
    (b"\x1f\x8b", "gzip data: the body is still compressed; decode its Content-Encoding first (html_from_record)"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive"),
    (b"RIFF", "a RIFF (WebP/AVI/WAV) file"),
)
_BINARY_TYPES = (
    "image/",
    "audio/",
    "video/",
    "font/",
    "application/octet-stream",
    "application/pdf",
    "application/zip",
)
_TEXT_CONTROLS = frozenset(b"\t\n\f\r\x1b")


def html_from_record(loaded: LoadedRecord) -> tuple[bytes, str | None]:
    """The body of a stored response, Content-Encoding undone, and its Content-Type header.

    ``gzip``, ``x-gzip``, ``deflate`` (zlib or raw) and ``br`` are decoded, several in the
    order the header lists them; ``identity`` is left alone. A record that is not a
    response (a request; a revisit, whose payload lives in the record it refers to) or an
    unknown, corrupt or oversized encoding raises :class:`ExtractError`.
    """
    info = loaded.info
    if info.record_type not in ("response", "resource"):
        hint = " (load the record its WARC-Refers-To names)" if info.record_type == "revisit" else ""
        raise ExtractError(f"record {info.record_id} is a {info.record_type} record, not a page{hint}")
    headers = loaded.http_headers or []
    body = decoded_payload(headers, loaded.payload, where=f"record {info.record_id} ({info.target_uri})")
    return body, header(headers, "content-type")


def decoded_payload(headers: list[tuple[str, str]], payload: bytes, *, where: str) -> bytes:
    """``payload`` with every coding its Content-Encoding header lists undone, last applied first."""
    return coding.decoded_body(headers, payload, where=where, limit=MAX_DECODED_BYTES)


def decode_content(body: bytes, encoding: str, *, where: str = "body", limit: int = MAX_DECODED_BYTES) -> bytes:
    """Undo one HTTP content coding, refusing more than ``limit`` bytes of output."""
    encoding = encoding.strip().lower()
    if encoding in ("identity", ""):
        return body
    return coding.decode_one(body, encoding, where=where, limit=limit)


def header(headers: list[tuple[str, str]], name: str) -> str | None:
    """The first value of header ``name`` (lower case), or None."""
    return next((value for key, value in headers if key.lower() == name), None)


def check_text(html: bytes, content_type: str | None, url: str) -> None:
    """Refuse what is not a page: a binary media type, or bytes that are plainly binary.

    A stray NUL or a few invalid bytes are broken HTML, not binary: only known file
    signatures and a body whose first kilobyte is mostly control bytes count.
    """
    mime = (content_type or "").split(";", 1)[0].strip().lower()
    if mime.startswith(_BINARY_TYPES):
        raise ExtractError(f"{url}: Content-Type {mime} is not HTML; nothing to extract")
    head = html[:_SNIFF]
    for magic, what in _BINARY_MAGIC:
        if head.startswith(magic):
            raise ExtractError(f"{url}: the body is {what}, not HTML; nothing to extract")
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return  # UTF-16 with a byte-order mark: NULs are part of the encoding
    controls = sum(1 for byte in head if byte < 0x20 and byte not in _TEXT_CONTROLS)
    if head and controls > len(head) // 10:
        raise ExtractError(
            f"{url}: the body looks binary ({controls} control bytes in the first {len(head)}), not HTML"
        )


def html_text(html: bytes, content_type: str | None, url: str) -> str:
    """The page as text, decoded as a browser would, NUL characters dropped, size capped."""
    check_text(html, content_type, url)
    if len(html) > MAX_HTML_BYTES:
        log.warning("page cut for extraction url=%s size=%d kept=%d", url, len(html), MAX_HTML_BYTES)
        html = html[:MAX_HTML_BYTES]
    _, text = html_to_unicode(content_type, html)
    return text.replace("\x00", "")
