"""Write HTTP exchanges to size-rotated WARC files, exactly as they went over the wire.

Records are built and digested by warcio; each is compressed as its own gzip member at a
configurable level (warcio's own gzip wrapper hard-codes level 9), so any record can be
read alone from its offset. A file is named `<name>.warc.gz.open` while it is written
and renamed to `<name>.warc.gz` on close: a `.open` file left behind by a killed crawler
is never uploaded as if complete, and `recover_open_file` can repair it. The writer holds
an exclusive `flock` on its `.open` file from creation to rename; the kernel drops it when
the process dies, however it dies, so `archive.warc.recovery` tells a live writer's file
from an abandoned one by trying the lock.
"""

from __future__ import annotations

import base64
import hashlib
import io
import logging
import os
import uuid
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from types import TracebackType
from typing import BinaryIO, Self
from urllib.parse import urlsplit

from warcio.recordbuilder import RecordBuilder
from warcio.recordloader import ArcWarcRecord
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from archive.warc.exchange import (
    HttpRequestData,
    HttpResponseData,
    WrittenExchange,
    check_header_lines,
)
from archive.warc.recovery import create_locked

log = logging.getLogger(__name__)

WARC_VERSION = "WARC/1.1"
OPEN_SUFFIX = ".open"
ORIG_TRANSFER_ENCODING = "X-Archive-Orig-Transfer-Encoding"
MAX_GZIP_LEVEL = 9
REVISIT_PROFILE = str(RecordBuilder.REVISIT_PROFILE_1_1)


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
    return "sha1:" + base64.b32encode(hashlib.sha1(body).digest()).decode("ascii")  # noqa: S324 (WARC convention)


class WarcWriter:
    """Rotating writer: files are written as <name>.warc.gz.open, renamed on close.

    Names are `{prefix}-{YYYYMMDDHHMMSS}-{serial:05d}.warc.gz`, the time taken from
    `clock` when the file is opened (lazily, at the first exchange) and the serial
    counting from 0 for this writer. Each file starts with a `warcinfo` record; each
    exchange is a `response` record then a `request` record pointing at it with
    WARC-Concurrent-To, both always in the same file. Before an exchange, a file that
    has reached `max_size` is closed and the next one started. With an injected `clock`
    and `record_id` the bytes are reproducible.

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
        extra = {str(k): str(v) for k, v in (warcinfo or {}).items() if v is not None}
        self._warcinfo = {**_default_warcinfo(), **extra}
        check_header_lines(tuple(self._warcinfo.items()))
        self._clock = clock or _now
        self._record_id = record_id or _new_record_id
        self._builder = RecordBuilder(warc_version=WARC_VERSION)
        self._file: BinaryIO | None = None
        self._final_path: Path | None = None
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
        """Append a response (or revisit) + request pair and flush; rotate first if the file is full.

        A failure part-way cuts the file back to where the exchange began, so the file
        never holds half an exchange. Records get ids from `record_id` in write order:
        response, then request. A `revisit_of` whose digest is not the body's is refused:
        a revisit record must never stand for a payload it does not equal.
        """
        if revisit_of is not None and payload_digest(response.body) != revisit_of.payload_digest:
            raise ValueError(
                f"{request.url}: the body's digest {payload_digest(response.body)} is not the earlier "
                f"capture's {revisit_of.payload_digest}; write a full response record"
            )
        fetched = None if fetched_at is None else _utc(fetched_at)
        if self._file is not None and self._file.tell() >= self._max_size:
            self._close_current()
        if self._file is None:
            self._open_next()
        date = _warc_date(self._clock() if fetched is None else fetched)
        assert self._file is not None
        assert self._final_path is not None
        out = self._file
        start = out.tell()
        try:
            common = {"WARC-Date": date, "WARC-Target-URI": request.url}
            if ip_address:
                common["WARC-IP-Address"] = ip_address
            response_id = self._record_id()
            if revisit_of is None:
                record = self._http_record("response", response_id, common, _response_head(response), response.body)
            else:
                record = self._revisit_record(response_id, common, _response_head(response), revisit_of)
            digest = str(record.rec_headers.get_header("WARC-Payload-Digest"))
            self._write_record(record)
            request_offset = out.tell()
            common["WARC-Concurrent-To"] = response_id
            record = self._http_record(
                "request",
                self._record_id(),
                common,
                _request_head(request),
                request.body,
            )
            self._write_record(record)
            end = out.tell()
        except BaseException:
            out.seek(start)
            out.truncate()
            out.flush()
            raise
        return WrittenExchange(
            warc_path=self._final_path,
            response_offset=start,
            response_length=request_offset - start,
            request_offset=request_offset,
            request_length=end - request_offset,
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
        opened_at = _utc(self._clock())
        name = f"{self._prefix}-{opened_at:%Y%m%d%H%M%S}-{self._serial:05d}.warc.gz"
        final_path = self._directory / name
        if final_path.exists():
            raise FileExistsError(
                f"{final_path} already exists; give each crawl process its own prefix (e.g. include the crawl id)"
            )
        self._directory.mkdir(parents=True, exist_ok=True)
        self._file = create_locked(_open_name(final_path))
        self._final_path = final_path
        self._serial += 1
        try:
            self._write_record(self._warcinfo_record(name, opened_at))
        except BaseException:
            _open_name(final_path).unlink()
            self._file.close()
            self._file, self._final_path = None, None
            raise
        log.info("opened WARC warc=%s", self.current_path)

    def _warcinfo_record(self, name: str, opened_at: datetime) -> ArcWarcRecord:
        body = "".join(f"{key}: {value}\r\n" for key, value in self._warcinfo.items()).encode()
        warc_headers = {
            "WARC-Type": "warcinfo",
            "WARC-Record-ID": self._record_id(),
            "WARC-Date": _warc_date(opened_at),
            "WARC-Filename": name,
        }
        return self._builder.create_warc_record(
            "",
            "warcinfo",
            payload=io.BytesIO(body),
            length=len(body),
            warc_headers_dict=warc_headers,
        )

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

    def _http_record(
        self,
        record_type: str,
        record_id: str,
        common: dict[str, str],
        head: StatusAndHeaders,
        body: bytes,
    ) -> ArcWarcRecord:
        """Build a record: warcio adds the payload digest now, the block digest later."""
        warc_headers = {"WARC-Type": record_type, "WARC-Record-ID": record_id, **common}
        return self._builder.create_warc_record(
            common["WARC-Target-URI"],
            record_type,
            payload=io.BytesIO(body),
            length=len(body),
            warc_headers_dict=warc_headers,
            http_headers=head,
        )

    def _revisit_record(
        self, record_id: str, common: dict[str, str], head: StatusAndHeaders, original: RevisitOf
    ) -> ArcWarcRecord:
        """A revisit record by warcio's builder: WARC-Profile for WARC/1.1, block = HTTP head only."""
        warc_headers = {"WARC-Type": "revisit", "WARC-Record-ID": record_id, **common}
        if original.record_id:
            warc_headers["WARC-Refers-To"] = original.record_id
        return self._builder.create_revisit_record(
            common["WARC-Target-URI"],
            original.payload_digest,
            original.target_uri,
            _warc_date(original.date),
            http_headers=head,
            warc_headers_dict=warc_headers,
        )

    def _write_record(self, record: ArcWarcRecord) -> None:
        assert self._file is not None
        member = _GzipMember(self._file, self._gzip_level)
        WARCWriter(member, gzip=False, warc_version=WARC_VERSION).write_record(record)


class _GzipMember:
    """The file as warcio's writer sees it: a record in, a gzip member at our level out.

    warcio calls flush() once at the end of each record; that ends the member.
    """

    def __init__(self, out: BinaryIO, level: int) -> None:
        self._out = out
        self._compressor = zlib.compressobj(level, zlib.DEFLATED, zlib.MAX_WBITS | 16)

    def write(self, data: bytes) -> None:
        self._out.write(self._compressor.compress(data))

    def flush(self) -> None:
        self._out.write(self._compressor.flush())
        self._out.flush()


class _WireHeaders(StatusAndHeaders):  # type: ignore[misc]  # warcio's class is untyped
    """An HTTP head that serializes back to the bytes the client saw.

    warcio percent-encodes non-ASCII header values; ours were decoded from the wire as
    ISO-8859-1, so encoding them the same way restores the original bytes. Text outside
    ISO-8859-1 cannot have come from the wire and is written as UTF-8.
    """

    def to_ascii_bytes(self, filter_func: object = None) -> bytes:
        text = self.to_str(filter_func)
        try:
            return bytes(text.encode("iso-8859-1")) + b"\r\n"
        except UnicodeEncodeError:
            return bytes(text.encode("utf-8")) + b"\r\n"


def _response_head(response: HttpResponseData) -> StatusAndHeaders:
    headers = [
        (ORIG_TRANSFER_ENCODING if name.lower() == "transfer-encoding" else name, value)
        for name, value in response.headers
    ]
    statusline = f"{response.status} {response.reason}" if response.reason else str(response.status)
    return _WireHeaders(statusline, headers, protocol=response.protocol)


def _request_head(request: HttpRequestData) -> StatusAndHeaders:
    """The request line uses the origin form (path and query) HTTP/1.1 clients send."""
    parts = urlsplit(request.url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return _WireHeaders(f"{target} {request.protocol}", list(request.headers), protocol=request.method)


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


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment!r}: pass a timezone-aware UTC time")
    return moment.astimezone(UTC)


def _warc_date(moment: datetime) -> str:
    """ISO 8601 with Z; microseconds only when present (WARC/1.1 allows them)."""
    return _utc(moment).replace(tzinfo=None).isoformat() + "Z"


def _now() -> datetime:
    return datetime.now(UTC)


def _new_record_id() -> str:
    return f"<urn:uuid:{uuid.uuid4()}>"
