"""Write HTTP exchanges to size-rotated WARC files, exactly as they went over the wire.

Records are built by `archive.warc.records` in warcio's layout. Each is its own gzip member
at a configurable level (warcio's own gzip wrapper hard-codes level 9), so any record can be
read alone from its offset. Members are deflated by zlib-ng where it is installed and writes
no more bytes than zlib at the level (`deflate_backend`), else by stock zlib; either way
they are standard gzip members any reader inflates.

A file is named `<name>.warc.gz.open` while it is written and renamed to `<name>.warc.gz`
on close: a `.open` file left behind by a killed crawler is never uploaded as if complete,
and `recover_open_file` can repair it. The writer holds an exclusive `flock` on its `.open`
file from creation to rename; the kernel drops it when the process dies, however it dies,
so `archive.warc.recovery` tells a live writer's file from an abandoned one by trying the
lock.
"""

from __future__ import annotations

import logging
import os
import zlib
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from types import TracebackType
from typing import BinaryIO, Literal, Self

from archive.warc.exchange import (
    HttpRequestData,
    HttpResponseData,
    WrittenExchange,
    check_header_lines,
)
from archive.warc.names import OPEN_SUFFIX, WarcName
from archive.warc.records import (
    RevisitOf,
    new_record_id,
    record_bytes,
    request_head,
    response_head,
    revisit_fields,
    sha1_digest,
    utc,
    warc_date,
)
from archive.warc.recovery import create_locked

log = logging.getLogger(__name__)

MAX_GZIP_LEVEL = 9
_GZIP_WBITS = zlib.MAX_WBITS | 16

Deflate = Literal["zlib-ng", "zlib"]
ZLIB_NG_LEVELS = range(2, MAX_GZIP_LEVEL)
"""Levels at which zlib-ng writes no more bytes than zlib (bench/warc_write.py shows both).

On the outlet's pages zlib-ng is 0.5 to 4% smaller at 2 to 8. At 1 it switches to a quicker
algorithm that writes about a quarter more bytes, and at 9 it is 0.1% larger and no faster,
so 0 (stored), 1 and 9 stay with zlib unless asked for.
"""


_COMPRESSORS: dict[str, Callable[[bytes, int, int], bytes]] = {"zlib": zlib.compress}
try:
    from zlib_ng import zlib_ng
except ImportError:  # a dependency, but a build without it still writes, with zlib
    pass
else:
    _COMPRESSORS["zlib-ng"] = zlib_ng.compress


def deflate_backend(level: int, deflate: Deflate | None = None) -> Deflate:
    """The implementation that deflates members at `level`: `deflate` if given, else zlib-ng
    when it is installed and `level` is in ZLIB_NG_LEVELS, else zlib.

    zlib-ng deflates the outlet's pages about 1.4x as fast as zlib at level 6 (the writer as a
    whole gains about 1.2x). Its bytes differ from zlib's, so a golden file compared byte for
    byte must be written with the backend that made it.
    """
    if deflate is not None:
        if deflate not in _COMPRESSORS:
            known = ", ".join(sorted(_COMPRESSORS))
            raise ValueError(f"deflate backend {deflate!r} is not available here; choose from {known}")
        return deflate
    return "zlib-ng" if "zlib-ng" in _COMPRESSORS and level in ZLIB_NG_LEVELS else "zlib"


class WarcWriter:
    """Rotating writer: files are written as <name>.warc.gz.open, renamed on close.

    Names are `{prefix}-{YYYYMMDDHHMMSS}-{serial:05d}.warc.gz`, the time taken from
    `clock` when the file is opened (lazily, at the first exchange) and the serial
    counting from 0 for this writer. Each file starts with a `warcinfo` record; each
    exchange is a `response` record then a `request` record pointing at it with
    WARC-Concurrent-To, both always in the same file. Before an exchange, a file that
    has reached `max_size` is closed and the next one started. With an injected `clock`
    and `record_id` the bytes are reproducible (for one `deflate` backend and its version).

    The response block is the status line, the headers as given (names, case, order and
    duplicates kept) and the body exactly as given, so a gzip Content-Encoded body stays
    compressed. One rewrite: the HTTP client has already removed chunked framing, so a
    `Transfer-Encoding` header is stored as `X-Archive-Orig-Transfer-Encoding` (pywb's
    convention); otherwise readers would try to de-chunk a body that is not chunked.

    With `revisit_of`, the response is written as a `revisit` record instead: the status
    line and headers as received, no body, and WARC-Refers-To-* naming the earlier record
    whose payload is identical, so an unchanged page costs a few hundred bytes.

    Not thread-safe: one writer per crawl process, called from the reactor thread.
    """

    def __init__(
        self,
        directory: Path,
        prefix: str,
        *,
        max_size: int = 1_000_000_000,
        gzip_level: int = 6,
        warcinfo: Mapping[str, str] | None = None,
        clock: Callable[[], datetime] | None = None,
        record_id: Callable[[], str] | None = None,
        deflate: Deflate | None = None,
    ) -> None:
        if not prefix or "/" in prefix or os.sep in prefix:
            raise ValueError(f"WARC file prefix must be a non-empty file name part: {prefix!r}")
        if max_size <= 0:
            raise ValueError(f"max_size must be positive, got {max_size}")
        if not 0 <= gzip_level <= MAX_GZIP_LEVEL:
            raise ValueError(f"gzip_level must be 0..9, got {gzip_level}")
        self._directory = Path(directory)
        self._prefix = prefix
        self._max_size = max_size
        self._gzip_level = gzip_level
        self.deflate = deflate_backend(gzip_level, deflate)
        self._compress = _COMPRESSORS[self.deflate]
        extra = {str(k): str(v) for k, v in (warcinfo or {}).items() if v is not None}
        self._warcinfo = {**_default_warcinfo(), **extra}
        check_header_lines(tuple(self._warcinfo.items()))
        self._clock = clock or _now
        self._record_id = record_id or new_record_id
        self._file: BinaryIO | None = None
        self._final_path: Path | None = None
        self._size = 0
        self._serial = 0
        self._closed: list[Path] = []

    @property
    def closed_files(self) -> list[Path]:
        """Every file this writer has closed (and renamed), oldest first."""
        return list(self._closed)

    @property
    def current_path(self) -> Path | None:
        """The `.open` file being written, if any."""
        return None if self._final_path is None else _open_name(self._final_path)

    def write_exchange(
        self,
        request: HttpRequestData,
        response: HttpResponseData,
        *,
        ip_address: str | None = None,
        fetched_at: datetime | None = None,
        revisit_of: RevisitOf | None = None,
    ) -> WrittenExchange:
        """Append a response (or revisit) + request pair in one write; rotate first if the file is full.

        Both records are built and compressed before anything is written, and a failed
        write cuts the file back to where the exchange began, so the file never holds half
        an exchange. Records get ids from `record_id` in write order: response, then
        request. A `revisit_of` whose digest is not the body's is refused: a revisit record
        must never stand for a payload it does not equal.
        """
        digest = sha1_digest(response.body)
        if revisit_of is not None and digest != revisit_of.payload_digest:
            raise ValueError(
                f"{request.url}: the body's digest {digest} is not the earlier "
                f"capture's {revisit_of.payload_digest}; write a full response record"
            )
        fetched = None if fetched_at is None else utc(fetched_at)
        if self._file is not None and self._size >= self._max_size:
            self._close_current()
        if self._file is None:
            self._open_next()
        assert self._final_path is not None
        common = [
            f"WARC-Date: {warc_date(self._clock() if fetched is None else fetched)}",
            f"WARC-Target-URI: {request.url}",
        ]
        if ip_address:
            common.append(f"WARC-IP-Address: {ip_address}")
        response_id = self._record_id()
        if revisit_of is None:
            fields = ["WARC-Type: response", f"WARC-Record-ID: {response_id}", *common]
            fields.append(f"WARC-Payload-Digest: {digest}")
            response_member = self._member(fields, "response", response_head(response), response.body)
        else:
            digest = revisit_of.payload_digest
            response_member = self._member(
                revisit_fields(response_id, common, revisit_of), "revisit", response_head(response), b""
            )
        fields = ["WARC-Type: request", f"WARC-Record-ID: {self._record_id()}", *common]
        fields += [f"WARC-Concurrent-To: {response_id}", f"WARC-Payload-Digest: {sha1_digest(request.body)}"]
        request_member = self._member(fields, "request", request_head(request), request.body)
        start = self._size
        self._append(response_member + request_member)
        return WrittenExchange(
            warc_path=self._final_path,
            response_offset=start,
            response_length=len(response_member),
            request_offset=start + len(response_member),
            request_length=len(request_member),
            response_record_id=response_id,
            payload_digest=digest,
        )

    def close(self) -> list[Path]:
        """Close and rename the current file, if any; return every file closed so far.

        A later `write_exchange` starts a new file.
        """
        self._close_current()
        return self.closed_files

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def _open_next(self) -> None:
        opened_at = utc(self._clock())
        name = str(WarcName(self._prefix, opened_at, self._serial))
        final_path = self._directory / name
        if final_path.exists():
            raise FileExistsError(
                f"{final_path} already exists; give each crawl process its own prefix (e.g. include the crawl id)"
            )
        self._directory.mkdir(parents=True, exist_ok=True)
        self._file = create_locked(_open_name(final_path))
        self._final_path = final_path
        self._size = 0
        self._serial += 1
        try:
            self._append(self._warcinfo_member(name, opened_at))
        except BaseException:
            _open_name(final_path).unlink()
            self._file.close()
            self._file, self._final_path = None, None
            raise
        log.info("opened WARC warc=%s", self.current_path)

    def _warcinfo_member(self, name: str, opened_at: datetime) -> bytes:
        body = "".join(f"{key}: {value}\r\n" for key, value in self._warcinfo.items()).encode()
        fields = [
            "WARC-Type: warcinfo",
            f"WARC-Record-ID: {self._record_id()}",
            f"WARC-Date: {warc_date(opened_at)}",
            f"WARC-Filename: {name}",
        ]
        return self._member(fields, "warcinfo", b"", body)

    def _member(self, fields: list[str], record_type: str, http_head: bytes, payload: bytes) -> bytes:
        """One record as one gzip member, compressed in one call on the joined record: the
        copy of the body costs less than feeding a compressor four times (and the body is in
        memory already, at most the crawl's max_page_size)."""
        return self._compress(record_bytes(fields, record_type, http_head, payload), self._gzip_level, _GZIP_WBITS)

    def _append(self, data: bytes) -> None:
        """Write `data` whole or not at all: a failure cuts the file back to where it began.

        The file is unbuffered, so this is one write(2) per exchange and nothing is left in
        a user-space buffer to be written after the cut.
        """
        assert self._file is not None
        out, start = self._file, self._size
        try:
            written = out.write(data)
            if written != len(data):  # a short write: only on a full disk or a signal
                view = memoryview(data)[written:]
                while view:
                    view = view[out.write(view) :]
        except BaseException:
            out.truncate(start)
            out.seek(start)
            raise
        self._size = start + len(data)

    def _close_current(self) -> None:
        if self._file is None or self._final_path is None:
            return
        out, final_path = self._file, self._final_path
        self._file, self._final_path = None, None
        out.flush()
        os.fsync(out.fileno())
        # Renamed while still locked: recovery never sees this `.open` name unlocked while we live.
        _open_name(final_path).rename(final_path)
        out.close()
        self._closed.append(final_path)
        log.info("closed WARC warc=%s bytes=%d", final_path, final_path.stat().st_size)


def _default_warcinfo() -> dict[str, str]:
    return {
        "software": f"edittrail/{_version('edittrail')} warcio/{_version('warcio')}",
        "format": "WARC File Format 1.1",
        "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
    }


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "unknown"


def _open_name(final_path: Path) -> Path:
    return final_path.with_name(final_path.name + OPEN_SUFFIX)


def _now() -> datetime:
    return datetime.now(UTC)
