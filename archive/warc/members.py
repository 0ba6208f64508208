"""Walk a multi-member gzip stream one member at a time, with exact compressed offsets.

A `.warc.gz` holds one WARC record per gzip member; a record's offset and length in the
index are those of its member in the file. We decompress with zlib ourselves instead of
using warcio's ArchiveIterator because warcio tolerates a stream that ends inside a
member (it prints to stderr and carries on), which would let a truncated WARC be indexed
as if it were complete. Memory stays bounded: input is read in chunks and each zlib call
produces at most `MAX_OUTPUT` bytes. zlib-ng inflates when it is installed (1.5 to 2x
as fast as zlib), stock zlib otherwise; both read any gzip member.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from typing import BinaryIO, Protocol, cast

from archive.warc.errors import WarcReadError, WarcTruncatedError


class _Inflater(Protocol):
    @property
    def eof(self) -> bool: ...
    @property
    def unused_data(self) -> bytes: ...
    @property
    def unconsumed_tail(self) -> bytes: ...
    def decompress(self, data: bytes, max_length: int = ..., /) -> bytes: ...


_decompressobj: Callable[[int], _Inflater] = zlib.decompressobj
_INFLATE_ERRORS: tuple[type[Exception], ...] = (zlib.error,)
try:
    from zlib_ng import zlib_ng
except ImportError:  # a dependency; without it stock zlib inflates
    pass
else:
    _decompressobj = zlib_ng.decompressobj
    _INFLATE_ERRORS = (zlib.error, cast(type[Exception], zlib_ng.error))  # its stub types the class as an instance

CHUNK = 64 * 1024
MAX_OUTPUT = 256 * 1024
MAX_LINE = 64 * 1024
GZIP_MAGIC = b"\x1f\x8b"


class GzipMembers:
    """Hands out a gzip stream's members in order; read each to its end first."""

    def __init__(self, stream: BinaryIO, name: str, *, base_offset: int | None = None) -> None:
        self.name = name
        self._stream = stream
        self._pending = b""
        self._offset = _tell(stream) if base_offset is None else base_offset
        self._current: GzipMember | None = None

    def next_member(self) -> GzipMember | None:
        """The next member, or None at a clean end of the stream."""
        if self._current is not None and self._current.length is None:
            raise RuntimeError("read the current gzip member to its end before the next one")
        self._fill_pending(len(GZIP_MAGIC))
        if not self._pending:
            return None
        if self._pending[:2] != GZIP_MAGIC:
            if GZIP_MAGIC.startswith(self._pending):
                raise WarcTruncatedError(self.name, self._offset, _TRUNCATED)
            raise WarcReadError(self.name, self._offset, _not_gzip(self._pending))
        self._current = GzipMember(self, self._offset)
        return self._current

    def at_end(self) -> bool:
        """True when nothing follows the last member handed out."""
        self._fill_pending(1)
        return not self._pending

    def _fill_pending(self, size: int) -> None:
        while len(self._pending) < size:
            more = self._stream.read(CHUNK)
            if not more:
                return
            self._pending += more

    def _take(self) -> bytes:
        if self._pending:
            data, self._pending = self._pending, b""
            return data
        return self._stream.read(CHUNK) or b""

    def _finish_member(self, leftover: bytes, length: int) -> None:
        self._pending = leftover + self._pending
        self._offset += length


class GzipMember:
    """A file-like view (read, readline) of one member's decompressed bytes.

    `length` (the compressed size) is known once the member has been read to its end.
    `broken` is set when the gzip data itself failed (corrupt or cut short): where the next
    member starts is then unknown, so nothing after it can be read in order.
    """

    def __init__(self, source: GzipMembers, offset: int) -> None:
        self.offset = offset
        self.length: int | None = None
        self.broken = False
        self._source = source
        self._inflater = _decompressobj(zlib.MAX_WBITS | 16)
        self._fed = 0
        self._buf = b""
        self._pos = 0

    def read(self, size: int = -1) -> bytes:
        """Up to `size` bytes (all remaining when negative); b"" at the member's end."""
        while size < 0 or self._available() < size:
            if not self._fill():
                break
        end = len(self._buf) if size < 0 else min(len(self._buf), self._pos + size)
        data = self._buf[self._pos : end]
        self._pos = end
        return data

    def buffered_head(self, limit: int | None = None) -> list[bytes] | None:
        """The lines (each with its LF) from here through the first empty CRLF line, when the
        buffer holds them all within `limit` bytes; else None, and a parser reads line by line.

        Nothing is consumed: the parser reads what it used. One find and one split instead of
        a `readline` call per header line, which was the reader's largest cost.
        """
        if self._pos == len(self._buf):
            self._fill()
        end = self._buf.find(b"\r\n\r\n", self._pos)
        if end < 0 or (limit is not None and end + 4 - self._pos > limit):
            return None
        return [line + b"\n" for line in self._buf[self._pos : end + 3].split(b"\n")]

    def readline(self, size: int | None = None) -> bytes:
        """One line including its newline, or up to `size` bytes.

        Lines longer than `MAX_LINE` only occur in a damaged or hostile file; they raise
        rather than being buffered without bound.
        """
        limit = size if size is not None and size >= 0 else None
        buf, pos = self._buf, self._pos
        newline = buf.find(b"\n", pos)
        if newline >= 0 and (limit is None or newline - pos < limit):  # the usual case: the line is buffered
            self._pos = newline + 1
            return buf[pos : newline + 1]
        scanned = 0  # bytes after _pos already searched; _fill() may move _pos to 0
        while True:
            newline = self._buf.find(b"\n", self._pos + scanned)
            if newline >= 0 and (limit is None or newline - self._pos < limit):
                return self.read(newline + 1 - self._pos)
            if limit is not None and self._available() >= limit:
                return self.read(limit)
            if self._available() > MAX_LINE:
                raise WarcReadError(
                    self._source.name,
                    self.offset,
                    f"a header line is longer than {MAX_LINE} bytes: the record is damaged or this is not a WARC file",
                )
            scanned = self._available()
            if not self._fill():
                return self.read()

    def _available(self) -> int:
        return len(self._buf) - self._pos

    def _fill(self) -> bool:
        """Decompress more into the buffer; False once the member has ended."""
        inflater = self._inflater
        while not inflater.eof:
            data = inflater.unconsumed_tail
            if not data:
                data = self._source._take()
                if not data:
                    self.broken = True
                    raise WarcTruncatedError(self._source.name, self.offset, _TRUNCATED)
                self._fed += len(data)
            try:
                out = inflater.decompress(data, MAX_OUTPUT)
            except _INFLATE_ERRORS as exc:
                self.broken = True
                raise WarcReadError(
                    self._source.name,
                    self.offset,
                    f"the gzip member is corrupt ({exc}): restore the file from the object store or a backup",
                ) from exc
            if inflater.eof:
                leftover = inflater.unused_data
                self.length = self._fed - len(leftover)
                self._source._finish_member(leftover, self.length)
            if out:
                self._buf = self._buf[self._pos :] + out
                self._pos = 0
                return True
        return False


_TRUNCATED = (
    "the data ends inside this gzip member: the file was cut short (a killed writer or "
    "an interrupted copy); repair a .warc.gz.open with recover_open_file, otherwise "
    "fetch the file again from the object store"
)


def _not_gzip(head: bytes) -> str:
    if head.startswith(b"WARC/"):
        return (
            "found an uncompressed WARC record where a gzip member was expected; "
            "edittrail reads .warc.gz files with one gzip member per record: convert "
            "with `warcio recompress IN OUT`"
        )
    return (
        f"found bytes {head[:8].hex()} where a gzip member was expected: the file is "
        "corrupt or not a .warc.gz; restore it from the object store or a backup"
    )


def _tell(stream: BinaryIO) -> int:
    try:
        return stream.tell()
    except (AttributeError, OSError, ValueError):
        return 0
