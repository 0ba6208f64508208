"""HTTP content codings undone, streaming and bounded: an archived body is data from the outside world.

100 KB of gzip can hold 100 MiB of zeros. Decoding is a bounded buffer at a time
(``zlib.decompressobj(...).decompress(data, max_length)``, Brotli's ``output_buffer_limit``)
and stops as soon as the output passes ``limit``, so a caller holds at most about ``limit``
bytes however large the bomb; decoded chunks are kept in a list and joined once (a growing
buffer is copied as it grows). Extraction (``archive.extract.content``, 64 MiB) and the framed
view (``archive.api.inflate``, 16 MiB, at most 4 at once) both decode through here, each with
its own limit.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable

import brotli  # type: ignore[import-untyped]  # the Brotli project ships no type hints

from archive.extract.model import ExtractError

MAX_CODINGS = 4
"""More Content-Encoding layers than this are refused (each one may multiply the size)."""
_CHUNK = 64 * 1024


class BodyTooLargeError(ExtractError):
    """An archived body decodes to more than the caller may hold."""


def codings_of(headers: list[tuple[str, str]]) -> list[str]:
    """The Content-Encoding header's codings in the order applied, ``identity`` left out."""
    value = next((v for k, v in headers if k.lower() == "content-encoding"), None) or ""
    return [c for c in (c.strip().lower() for c in value.split(",")) if c and c != "identity"]


def decoded_body(headers: list[tuple[str, str]], payload: bytes, *, where: str, limit: int, hint: str = "") -> bytes:
    """``payload`` with every coding its Content-Encoding lists undone (last applied first), at most
    ``limit`` bytes. BodyTooLargeError past ``limit`` (its message ends with ``hint``); ExtractError
    for an unknown or corrupt coding, or too many of them."""
    codings = codings_of(headers)
    if len(codings) > MAX_CODINGS:
        raise ExtractError(f"{where}: {len(codings)} content codings; at most {MAX_CODINGS} are decoded")
    body = payload
    for coding in reversed(codings):
        body = decode_one(body, coding, where=where, limit=limit, hint=hint)
    if len(body) > limit:
        raise _too_large(where, limit, hint)
    return body


def decode_one(body: bytes, coding: str, *, where: str, limit: int, hint: str = "") -> bytes:
    """Undo one HTTP content coding, streaming, refusing more than ``limit`` bytes of output."""
    decoders: dict[str, Callable[[bytes, int], bytes]] = {
        "gzip": _gunzip,
        "x-gzip": _gunzip,
        "deflate": _inflate,
        "br": _unbrotli,
    }
    decoder = decoders.get(coding)
    if decoder is None:
        raise ExtractError(f"{where}: unsupported Content-Encoding {coding!r} (gzip, deflate and br are decoded)")
    if not body:
        return body
    try:
        return decoder(body, limit)
    except _OverflowError:
        raise _too_large(where, limit, hint) from None
    except (zlib.error, brotli.error, EOFError) as exc:
        raise ExtractError(f"{where}: corrupt {coding} body ({exc}); the stored record is damaged") from exc


class _OverflowError(Exception):
    """The output passed the limit (turned into BodyTooLargeError with the context)."""


def _too_large(where: str, limit: int, hint: str) -> BodyTooLargeError:
    return BodyTooLargeError(f"{where}: the archived body is larger than {limit} bytes once decoded{hint}")


class _Output:
    """Decoded chunks and their total: a list, joined once at the end, never a buffer that grows
    (a growing buffer is copied as it grows, briefly holding twice the data)."""

    def __init__(self, limit: int) -> None:
        self.chunks: list[bytes] = []
        self.size = 0
        self.limit = limit

    def add(self, chunk: bytes) -> None:
        self.chunks.append(chunk)
        self.size += len(chunk)
        if self.size > self.limit:
            self.chunks.clear()  # now: a traceback or a log record may keep this frame alive a while
            raise _OverflowError

    def joined(self) -> bytes:
        return b"".join(self.chunks)


def _zlib_stream(body: bytes, wbits: int, limit: int) -> bytes:
    stream = zlib.decompressobj(wbits)
    out = _Output(limit)
    data = body
    while data and not stream.eof:
        out.add(stream.decompress(data, _CHUNK))
        data = stream.unconsumed_tail
    if not stream.eof:
        out.add(stream.flush(_CHUNK))  # all input taken: what zlib still holds is less than its window
        if not stream.eof:
            raise EOFError("compressed data ends before its end marker")
    return out.joined()


def _gunzip(body: bytes, limit: int) -> bytes:
    return _zlib_stream(body, 16 + zlib.MAX_WBITS, limit)


def _inflate(body: bytes, limit: int) -> bytes:
    """``deflate`` is meant to be zlib-wrapped, but many servers send raw deflate."""
    try:
        return _zlib_stream(body, zlib.MAX_WBITS, limit)
    except zlib.error:
        return _zlib_stream(body, -zlib.MAX_WBITS, limit)


def _unbrotli(body: bytes, limit: int) -> bytes:
    """All input goes in at once; output comes out a bounded buffer at a time until the end."""
    stream = brotli.Decompressor()
    out = _Output(limit)
    out.add(stream.process(body, output_buffer_limit=_CHUNK))
    while not stream.is_finished():
        more = stream.process(b"", output_buffer_limit=_CHUNK)
        if not more:
            raise EOFError("compressed data ends before its end marker")
        out.add(more)
    return out.joined()
