"""Read WARC records one at a time: to index, to replay, and to repair a torn file.

Every record is checked for what a damaged file gets wrong: the stream must not end
inside a gzip member, a record's block must be exactly Content-Length bytes followed by
CRLF CRLF, and nothing else may share its gzip member. Offsets and lengths are those of
the compressed member, so a range read of `offset, length` from the object store gives
`load_record` exactly one record.
"""

from __future__ import annotations

import functools
import hashlib
import io
import logging
import operator
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from archive.warc.errors import WarcNothingToRecoverError, WarcReadError, WarcTruncatedError
from archive.warc.heads import Head, HeadLineError, parse_head
from archive.warc.members import CHUNK, GzipMember, GzipMembers
from archive.warc.names import OPEN_SUFFIX, SUFFIX
from archive.warc.records import b32

log = logging.getLogger(__name__)

_WARC_VERSIONS = ("WARC/1.1", "WARC/1.0", "WARC/0.18", "WARC/0.17")
_HTTP_RECORD_TYPES = ("response", "request", "revisit")
_RECORD_END = b"\r\n\r\n"


@dataclass(frozen=True)
class WarcRecordInfo:
    """What the index needs from one record; the payload itself stays in the WARC."""

    record_type: str
    record_id: str
    target_uri: str | None
    date: datetime
    offset: int
    length: int
    status: int | None
    mime: str | None
    payload_digest: str | None
    ip_address: str | None
    concurrent_to: str | None
    refers_to: str | None
    # revisit records: what they stand for (WARC-Refers-To-Target-URI, -Date, WARC-Profile)
    refers_to_uri: str | None = None
    refers_to_date: datetime | None = None
    profile: str | None = None


@dataclass(frozen=True)
class LoadedRecord:
    """One record opened from its bytes: HTTP head parsed, payload exactly as stored.

    The payload is not content-decoded: a gzip Content-Encoded body comes back gzipped,
    as the server sent it. `http_start_line` is e.g. "HTTP/1.1 200 OK" or "GET /path
    HTTP/1.1".
    """

    info: WarcRecordInfo
    http_headers: list[tuple[str, str]] | None
    payload: bytes
    http_start_line: str | None = None


def iter_records(stream: BinaryIO, *, name: str = "<stream>", verify_digests: bool = False) -> Iterator[WarcRecordInfo]:
    """Yield each record of a record-per-member `.warc.gz`, reading the stream once.

    Raises WarcReadError (WarcTruncatedError when the data just stops) at the first
    record that cannot be read, after yielding every record before it. With
    `verify_digests`, WARC-Block-Digest and WARC-Payload-Digest are recomputed and
    compared, which costs a SHA-1 over every byte.
    """
    members = GzipMembers(stream, name)
    while (member := members.next_member()) is not None:
        yield _read_record(member, name, verify_digests=verify_digests, payload=None).info


def scan_records(
    stream: BinaryIO, *, name: str = "<stream>", verify_digests: bool = False
) -> Iterator[WarcRecordInfo | WarcReadError]:
    """Each record of a `.warc.gz` in order, or the WarcReadError of one that cannot be read.

    For the indexer, which must keep what a damaged file still gives back. Damage confined
    to one record (a wrong digest, a wrong Content-Length, a header that does not parse,
    inside a gzip member that itself decompresses whole) is yielded and the scan goes on
    with the next member. Damage to the gzip data (a corrupt or cut-short member, bytes that
    are not gzip) is yielded last: where the next member would start is unknown, and
    guessing it from the bytes could index something that is not a record of this file.
    """
    members = GzipMembers(stream, name)
    while True:
        try:
            member = members.next_member()
        except WarcReadError as exc:
            yield exc
            return
        if member is None:
            return
        try:
            info = _read_record(member, name, verify_digests=verify_digests, payload=None).info
        except WarcReadError as exc:
            yield exc
            if member.broken or not _skip_rest(member):
                return
            continue
        yield info


def _skip_rest(member: GzipMember) -> bool:
    """Read a member to its end after its record failed; False if its gzip data fails too."""
    try:
        while member.read(CHUNK):
            pass
    except WarcReadError:
        return False
    return True


def load_record(data: bytes, *, offset: int = 0, name: str = "<bytes>", verify_digests: bool = False) -> LoadedRecord:
    """Open the one record in `data`, the bytes of a range read at (offset, length).

    `offset` and `name` only label the result and error messages.
    """
    members = GzipMembers(io.BytesIO(data), name, base_offset=offset)
    member = members.next_member()
    if member is None:
        raise WarcReadError(name, offset, "no data: read the record's offset and length range")
    chunks: list[bytes] = []
    loaded = _read_record(member, name, verify_digests=verify_digests, payload=chunks)
    if not members.at_end():
        raise WarcReadError(
            name,
            offset,
            f"more bytes follow the record (it is {loaded.info.length} bytes long, "
            f"got {len(data)}): pass exactly the offset and length range of one record",
        )
    return loaded


def recover_open_file(path: Path) -> Path:
    """Repair a `.warc.gz.open` left by a killed writer and give it its final name.

    Cuts the file after the last gzip member that holds a whole record and renames it to
    `.warc.gz`. Only a torn tail is repaired (data ending inside a member, or zero bytes
    as a crashed filesystem leaves them); damage before the end raises WarcReadError and
    leaves the file untouched, as does a file without a single whole record
    (WarcNothingToRecoverError: nothing in it is worth keeping).
    """
    path = Path(path)
    if not path.name.endswith(SUFFIX + OPEN_SUFFIX):
        raise ValueError(f"{path}: not a .warc.gz.open file; nothing to recover")
    final = path.with_name(path.name.removesuffix(OPEN_SUFFIX))
    if final.exists():
        raise FileExistsError(f"{final} already exists; move it away before recovering {path}")
    good_end, kept = 0, 0
    with path.open("rb") as stream:
        try:
            for info in iter_records(stream, name=str(path)):
                good_end, kept = info.offset + info.length, kept + 1
        except WarcReadError as exc:
            if not (isinstance(exc, WarcTruncatedError) or _only_zeros(stream, exc.offset)):
                raise WarcReadError(
                    exc.name,
                    exc.offset,
                    f"{exc.reason} (recover_open_file only cuts a torn tail and left this file as it is)",
                ) from exc
            if kept == 0:
                raise WarcNothingToRecoverError(
                    str(path),
                    0,
                    "no whole WARC record in the file, nothing to recover: the writer "
                    "died before its first record was complete; delete the file",
                ) from exc
            log.warning(
                "recovering torn WARC warc=%s kept_records=%d cut_at=%d",
                path,
                kept,
                good_end,
            )
    if kept == 0:
        raise WarcNothingToRecoverError(str(path), 0, "the file is empty, nothing to recover: delete it")
    with path.open("r+b") as stream:
        stream.truncate(good_end)
        stream.flush()
        os.fsync(stream.fileno())
    path.rename(final)
    return final


def _read_record(member: GzipMember, name: str, *, verify_digests: bool, payload: list[bytes] | None) -> LoadedRecord:
    """Parse one member as one record, read to its end; keep the payload if asked."""
    where = member.offset
    try:
        warc = _parse_head(member, _WARC_VERSIONS)
    except EOFError:
        raise WarcReadError(name, where, "empty gzip member, no WARC record in it") from None
    except HeadLineError as exc:
        raise WarcReadError(
            name,
            where,
            f"not a WARC record, first line {exc.statusline!r}: not a WARC file?",
        ) from None
    fields = warc.first()
    record_type = _required(fields, "WARC-Type", name, where)
    record_id = _required(fields, "WARC-Record-ID", name, where)
    date = _parse_date(_required(fields, "WARC-Date", name, where), name, where)
    length = _content_length(_required(fields, "Content-Length", name, where), name, where)
    uri = fields.get("warc-target-uri")
    digests = _Digests(fields) if verify_digests else None
    block = _Block(member, length, digests)

    http = None
    if record_type in _HTTP_RECORD_TYPES and length > 0 and (uri or "").startswith(("http:", "https:")):
        http = _parse_head(block)
    block.in_payload = True
    while chunk := block.read(CHUNK):
        if payload is not None:
            payload.append(chunk)
    if block.remaining:
        raise WarcReadError(
            name,
            where,
            f"record {record_id} is {block.remaining} bytes shorter than its "
            f"Content-Length ({length}): the Content-Length is wrong or the record was "
            "cut before it was compressed; restore the file from the object store or a "
            "backup",
        )
    tail = member.read(len(_RECORD_END))
    rest = member.read(1)
    if tail != _RECORD_END or rest:
        raise WarcReadError(
            name,
            where,
            f"record {record_id} does not end after Content-Length ({length}) bytes "
            f"plus CRLF CRLF (found {(tail + rest)[:8]!r}): the Content-Length is "
            "wrong, or several records share one gzip member (fix that with "
            "`warcio recompress IN OUT`)",
        )
    if digests is not None:
        digests.check(record_type, record_id, name, where)

    status, mime, start_line, http_headers = None, None, None, None
    if http:
        start_line = f"{http.protocol} {http.statusline}".strip()
        http_headers = list(http.headers)
        if record_type != "request":
            status = _status(http.statusline)
        mime = (http.get("Content-Type") or "").split(";", 1)[0].strip().lower() or None
    assert member.length is not None  # read to the end above
    info = WarcRecordInfo(
        record_type=record_type,
        record_id=record_id,
        target_uri=uri,
        date=date,
        offset=where,
        length=member.length,
        status=status,
        mime=mime,
        payload_digest=fields.get("warc-payload-digest"),
        ip_address=fields.get("warc-ip-address"),
        concurrent_to=fields.get("warc-concurrent-to"),
        refers_to=fields.get("warc-refers-to"),
        refers_to_uri=fields.get("warc-refers-to-target-uri"),
        refers_to_date=_optional_date(fields.get("warc-refers-to-date"), name, where),
        profile=fields.get("warc-profile"),
    )
    return LoadedRecord(info, http_headers, b"".join(payload or ()), start_line)


class _Digests:
    """Recomputes a record's block and payload digests as its bytes pass by."""

    def __init__(self, fields: dict[str, str]) -> None:
        self.expected: dict[str, str] = {}
        self.hashes: dict[str, hashlib._Hash] = {}
        for kind in ("Block", "Payload"):
            value = fields.get(f"warc-{kind.lower()}-digest")
            if value:
                algorithm = value.partition(":")[0].lower()
                if algorithm == "sha1":  # what WARC writers use; hashlib.new is slower
                    self.expected[kind] = value
                    self.hashes[kind] = hashlib.sha1(usedforsecurity=False)
                elif algorithm in hashlib.algorithms_available:
                    self.expected[kind] = value
                    self.hashes[kind] = hashlib.new(algorithm)

    def update(self, data: bytes, *, in_payload: bool) -> None:
        for kind, digest in self.hashes.items():
            if kind == "Block" or in_payload:
                digest.update(data)

    def check(self, record_type: str, record_id: str, name: str, where: int) -> None:
        for kind, expected in self.expected.items():
            if kind == "Payload" and record_type == "revisit":
                continue  # a revisit's payload digest describes the record it refers to
            digest = self.hashes[kind].digest()
            value = expected.partition(":")[2]
            if value.upper() != b32(digest) and value.lower() != digest.hex():
                raise WarcReadError(
                    name,
                    where,
                    f"record {record_id}: WARC-{kind}-Digest {expected} does not match "
                    "its content; the record was altered or damaged; restore the file "
                    "from the object store or a backup",
                )


def _parse_head(source: GzipMember | _Block, protocols: tuple[str, ...] = ()) -> Head:
    """parse_head over the buffered lines when the whole head is buffered, else line by line."""
    lines = source.buffered_head()
    if lines is None:
        return parse_head(source.readline, protocols)
    rest = iter(lines)
    head = parse_head(functools.partial(next, rest, b""), protocols)
    source.read(sum(map(len, lines[: len(lines) - operator.length_hint(rest)])))
    return head


class _Block:
    """The record block: Content-Length bytes of the member, digested as they pass."""

    def __init__(self, member: GzipMember, length: int, digests: _Digests | None) -> None:
        self.remaining = length
        self.in_payload = False
        self._member = member
        self._digests = digests

    def read(self, size: int = -1) -> bytes:
        size = self.remaining if size < 0 else min(size, self.remaining)
        return self._passed(self._member.read(size)) if size else b""

    def buffered_head(self) -> list[bytes] | None:
        return self._member.buffered_head(self.remaining)

    def readline(self, size: int | None = None) -> bytes:
        size = self.remaining if size is None or size < 0 else min(size, self.remaining)
        return self._passed(self._member.readline(size)) if size else b""

    def _passed(self, data: bytes) -> bytes:
        self.remaining -= len(data)
        if self._digests is not None:
            self._digests.update(data, in_payload=self.in_payload)
        return data


def _required(fields: dict[str, str], header: str, name: str, where: int) -> str:
    value = fields.get(header.lower())
    if value is None or not value.strip():
        raise WarcReadError(name, where, f"the record has no {header} header: not a valid WARC record")
    return str(value)


def _parse_date(value: str, name: str, where: int) -> datetime:
    """WARC-Date as a UTC datetime; WARC dates are UTC, so one without a zone is UTC."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise WarcReadError(name, where, f"WARC-Date {value!r} is not an ISO 8601 date") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _optional_date(value: str | None, name: str, where: int) -> datetime | None:
    return None if value is None else _parse_date(value, name, where)


def _content_length(value: str, name: str, where: int) -> int:
    text = value.strip()
    if not (text.isascii() and text.isdigit()):  # "²" is a digit to isdigit, not to int
        raise WarcReadError(name, where, f"Content-Length {value!r} is not a byte count")
    return int(text)


def _status(statusline: str) -> int | None:
    code = statusline.split(" ", 1)[0]
    return int(code) if code.isascii() and code.isdigit() else None


def _only_zeros(stream: BinaryIO, offset: int) -> bool:
    """True when all from `offset` on is NUL bytes, as a crashed filesystem leaves."""
    stream.seek(offset)
    seen = False
    while chunk := stream.read(CHUNK):
        if chunk.count(0) != len(chunk):
            return False
        seen = True
    return seen
