"""WarcWriter's files as other tools see them, whichever deflate backend wrote them.

The writer builds records itself (warcio's general path cost more than the compression);
these tests hold it to warcio's record layout byte for byte, and check that warcio,
cdxj-indexer and the standard library's gzip read every file it writes, with zlib-ng and
with the stock zlib fallback alike.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import random
import resource
import signal
import subprocess
import sys
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator  # type: ignore[import-untyped]
from warcio.recordbuilder import RecordBuilder  # type: ignore[import-untyped]
from warcio.statusandheaders import StatusAndHeaders  # type: ignore[import-untyped]
from warcio.warcwriter import WARCWriter  # type: ignore[import-untyped]

import archive.warc.writer as writer_module
from archive.warc import HttpRequestData, HttpResponseData, RevisitOf, WarcWriter
from archive.warc.writer import deflate_backend

T0 = datetime(2026, 11, 20, 8, 0, 0, tzinfo=UTC)
URL = "https://www.outlet.example/Detail/2026/11/20/123456/a-story?ref=home"
PAGE = b"<html><body>" + b"".join(b"<p>paragraph %d of the article</p>" % i for i in range(300)) + b"</body></html>"
BACKENDS = ["zlib-ng", "zlib"]
NOISE = random.Random(1).randbytes(3000)  # incompressible, as a gzip-encoded body is


def counter_ids() -> Iterator[str]:
    count = 0
    while True:
        count += 1
        yield f"<urn:uuid:00000000-0000-4000-8000-{count:012d}>"


def request(url: str = URL, body: bytes = b"") -> HttpRequestData:
    headers = (
        ("Host", "www.outlet.example"),
        ("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"),
        ("User-Agent", "edittrail-test/1.0"),
        ("Accept-Encoding", "gzip, deflate"),
    )
    return HttpRequestData("GET", url, headers, body)


def response(body: bytes = PAGE, status: int = 200, reason: str = "OK") -> HttpResponseData:
    headers = (("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(body))), ("Server", "nginx"))
    return HttpResponseData(status, reason, headers, body)


def write_crawl(directory: Path, deflate: str, *, level: int = 6) -> tuple[Path, list[object]]:
    """Four exchanges, one of them a revisit of the first: what one small crawl writes."""
    ids = counter_ids()
    writer = WarcWriter(
        directory, "crawl", gzip_level=level, clock=lambda: T0, record_id=lambda: next(ids), deflate=deflate
    )  # type: ignore[arg-type]
    with writer:
        first = writer.write_exchange(request(), response(), ip_address="192.0.2.1", fetched_at=T0)
        written = [first]
        written.append(writer.write_exchange(request(URL + "&p=2", b"q=1"), response(b"", 301, "Moved Permanently")))
        written.append(writer.write_exchange(request(URL + "&p=3"), response(NOISE)))
        original = RevisitOf(URL, T0, first.response_record_id, first.payload_digest)
        written.append(writer.write_exchange(request(), response(), fetched_at=T0, revisit_of=original))
    (path,) = writer.closed_files
    return path, written


def members(data: bytes) -> list[tuple[int, bytes]]:
    """(offset, member) of each gzip member, found with zlib alone."""
    out, offset = [], 0
    while offset < len(data):
        inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)
        inflater.decompress(data[offset:])
        assert inflater.eof, f"gzip member at {offset} is incomplete"
        length = len(data) - offset - len(inflater.unused_data)
        out.append((offset, data[offset : offset + length]))
        offset += length
    return out


@pytest.mark.parametrize("deflate", BACKENDS)
def test_every_member_is_a_standard_gzip_member_the_stdlib_decompresses(tmp_path: Path, deflate: str) -> None:
    path, _ = write_crawl(tmp_path, deflate)
    data = path.read_bytes()

    found = members(data)
    assert len(found) == 1 + 2 * 4
    for _, member in found:
        assert member[:3] == b"\x1f\x8b\x08"  # gzip magic, deflate
        record = gzip.decompress(member)
        assert record.startswith(b"WARC/1.1\r\n") and record.endswith(b"\r\n\r\n")
    assert gzip.decompress(data).count(b"WARC/1.1\r\n") == len(found)


@pytest.mark.integration
@pytest.mark.parametrize("deflate", BACKENDS)
def test_warcio_reads_every_record_and_its_digests_pass(tmp_path: Path, deflate: str) -> None:
    path, written = write_crawl(tmp_path, deflate)

    with path.open("rb") as stream:
        iterator = ArchiveIterator(stream)
        records = [(r.rec_type, r.content_stream().read(), iterator.get_record_offset()) for r in iterator]
    assert [kind for kind, _, _ in records] == ["warcinfo"] + ["response", "request"] * 3 + ["revisit", "request"]
    assert [offset for kind, _, offset in records if kind in ("response", "revisit")] == [
        w.response_offset  # type: ignore[attr-defined]
        for w in written
    ]
    assert [content for kind, content, _ in records if kind == "response"] == [PAGE, b"", NOISE]
    check = subprocess.run(
        [sys.executable, "-m", "warcio.cli", "check", "-v", str(path)], capture_output=True, text=True, check=False
    )
    assert check.returncode == 0, check.stdout + check.stderr
    # every record but the revisit, whose digests warcio leaves unchecked ("present but not checked")
    assert check.stdout.count("digest pass") == len(records) - 1 and "fail" not in check.stdout, check.stdout


@pytest.mark.integration
@pytest.mark.parametrize("deflate", BACKENDS)
def test_cdxj_indexer_indexes_each_capture_at_its_offset_and_length(tmp_path: Path, deflate: str) -> None:
    path, written = write_crawl(tmp_path, deflate)

    out = subprocess.run(  # in a process of its own: importing wacz changes cdxj_indexer's defaults
        [sys.executable, "-c", "from cdxj_indexer.main import main; main()", str(path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    lines = [json.loads(line.split(" ", 2)[2]) for line in out.splitlines()]
    assert [(int(x["offset"]), int(x["length"]), x["digest"]) for x in lines] == [
        (w.response_offset, w.response_length, w.payload_digest)  # type: ignore[attr-defined]
        for w in written
    ]
    assert [x["status"] for x in lines] == ["200", "301", "200", "200"]
    assert lines[-1]["mime"] == "warc/revisit"


def test_zlib_fallback_and_zlib_ng_hold_the_same_records(tmp_path: Path) -> None:
    ng, _ = write_crawl(tmp_path / "ng", "zlib-ng")
    stock, _ = write_crawl(tmp_path / "stock", "zlib")

    assert ng.read_bytes() != stock.read_bytes()  # different deflate, so different bytes ...
    unpacked = [[gzip.decompress(m) for _, m in members(p.read_bytes())] for p in (ng, stock)]
    assert unpacked[0] == unpacked[1]  # ... but the same records


def test_without_zlib_ng_the_writer_falls_back_to_zlib(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stock, _ = write_crawl(tmp_path / "stock", "zlib")
    monkeypatch.delitem(writer_module._COMPRESSORS, "zlib-ng")

    assert deflate_backend(6) == "zlib"
    ids = counter_ids()
    with WarcWriter(tmp_path / "auto", "crawl", clock=lambda: T0, record_id=lambda: next(ids)) as writer:
        assert writer.deflate == "zlib"
    with pytest.raises(ValueError, match="not available"):
        WarcWriter(tmp_path, "crawl", deflate="zlib-ng")
    fallback, _ = write_crawl(tmp_path / "fallback", None)  # type: ignore[arg-type]
    assert fallback.read_bytes() == stock.read_bytes()


def test_backend_is_zlib_ng_where_it_is_no_larger_than_zlib() -> None:
    assert [deflate_backend(level) for level in range(10)] == ["zlib", "zlib"] + ["zlib-ng"] * 7 + ["zlib"]
    assert deflate_backend(1, "zlib-ng") == "zlib-ng"
    assert deflate_backend(6, "zlib") == "zlib"
    with pytest.raises(ValueError, match="choose from"):
        deflate_backend(6, "isal")  # type: ignore[arg-type]


def split_record(raw: bytes) -> tuple[dict[str, str], list[str], bytes]:
    """(WARC headers, HTTP head lines or [], payload) of one uncompressed record."""
    warc, _, block = raw.partition(b"\r\n\r\n")
    headers = dict(line.split(": ", 1) for line in warc.decode().split("\r\n")[1:])
    block = block[: int(headers["Content-Length"])]
    if headers["WARC-Type"] == "warcinfo":
        return headers, [], block
    head, _, payload = block.partition(b"\r\n\r\n")
    return headers, head.decode("iso-8859-1").split("\r\n"), payload


def http_headers(lines: list[str]) -> StatusAndHeaders:
    first, rest = lines[0].split(" ", 1)  # protocol + status, or method + target and protocol
    return StatusAndHeaders(rest, [tuple(line.split(": ", 1)) for line in lines[1:]], protocol=first)


def warcio_records(written: Path) -> list[bytes]:
    """The records of `written` built again by warcio's RecordBuilder and WARCWriter, uncompressed.

    Ids, dates, URIs, heads and payloads are taken from our file; everything warcio derives
    (header order, digests, Content-Type, Content-Length, the record's end) is its own.
    """
    builder = WARCWriter(io.BytesIO(), gzip=False, warc_version="WARC/1.1")
    records = []
    for _, member in members(written.read_bytes()):
        warc, head, payload = split_record(gzip.decompress(member))
        kind, uri = warc["WARC-Type"], warc.get("WARC-Target-URI", "")
        given = ("WARC-Type", "WARC-Record-ID", "WARC-Date", "WARC-Target-URI", "WARC-IP-Address")
        given += ("WARC-Filename", "WARC-Concurrent-To", "WARC-Refers-To")
        fields = {name: warc[name] for name in given if name in warc}
        if kind == "revisit":
            record = builder.create_revisit_record(
                uri,
                warc["WARC-Payload-Digest"],
                warc["WARC-Refers-To-Target-URI"],
                warc["WARC-Refers-To-Date"],
                http_headers=http_headers(head),
                warc_headers_dict=fields,
            )
        else:
            record = builder.create_warc_record(
                uri,
                kind,
                payload=io.BytesIO(payload),
                length=len(payload),
                warc_headers_dict=fields,
                http_headers=http_headers(head) if head else None,
            )
        buffer = io.BytesIO()
        WARCWriter(buffer, gzip=False, warc_version="WARC/1.1").write_record(record)
        records.append(buffer.getvalue())
    return records


def test_records_are_byte_for_byte_what_warcio_builds(tmp_path: Path) -> None:
    path, _ = write_crawl(tmp_path, "zlib-ng")

    ours = [gzip.decompress(m) for _, m in members(path.read_bytes())]
    assert ours == warcio_records(path)
    assert RecordBuilder.REVISIT_PROFILE_1_1.encode() in ours[-2]


def test_a_short_write_on_a_full_disk_leaves_the_file_at_the_last_whole_exchange(tmp_path: Path) -> None:
    """RLIMIT_FSIZE makes the kernel write part of the exchange, then refuse (EFBIG), as a full disk does."""
    ids = counter_ids()
    writer = WarcWriter(tmp_path, "crawl", clock=lambda: T0, record_id=lambda: next(ids))
    writer.write_exchange(request(), response(b"kept"))
    assert writer.current_path is not None
    size = writer.current_path.stat().st_size
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    previous = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    try:
        resource.setrlimit(resource.RLIMIT_FSIZE, (size + 1000, hard))
        with pytest.raises(OSError):
            writer.write_exchange(request(), response(os.urandom(20_000)))
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, previous)
    assert writer.current_path.stat().st_size == size
    writer.write_exchange(request(), response(b"after"))
    writer.close()

    with writer.closed_files[0].open("rb") as stream:
        bodies = [r.content_stream().read() for r in ArchiveIterator(stream) if r.rec_type == "response"]
    assert bodies == [b"kept", b"after"]
