"""Revisit records (WARC/1.1 identical-payload-digest profile), checked with warcio and by hand."""

from __future__ import annotations

import gzip
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator  # type: ignore[import-untyped]

from archive.warc import (
    REVISIT_PROFILE,
    HttpRequestData,
    HttpResponseData,
    RevisitOf,
    WarcWriter,
    iter_records,
    load_record,
    payload_digest,
)

T0 = datetime(2026, 11, 25, 10, 0, 0, tzinfo=UTC)
URL = "https://www.outlet.example/Detail/2026/11/25/777077/a-story"
BODY = gzip.compress(b"<html><h1>Unchanged</h1></html>", mtime=0)


def ids():
    count = 0

    def next_id() -> str:
        nonlocal count
        count += 1
        return f"<urn:uuid:00000000-0000-4000-8000-{count:012d}>"

    return next_id


def request() -> HttpRequestData:
    return HttpRequestData("GET", URL, (("Host", "www.outlet.example"), ("Accept-Encoding", "gzip")))


def response(body: bytes = BODY, date: str = "Wed, 25 Nov 2026 10:00:00 GMT") -> HttpResponseData:
    headers = (
        ("Content-Type", "text/html; charset=utf-8"),
        ("Content-Encoding", "gzip"),
        ("Content-Length", str(len(body))),
        ("Date", date),
    )
    return HttpResponseData(200, "OK", headers, body)


def write_original_then_revisit(directory: Path) -> tuple[Path, RevisitOf]:
    writer = WarcWriter(directory, "crawl", clock=lambda: T0, record_id=ids())
    with writer:
        first = writer.write_exchange(request(), response(), fetched_at=T0)
        original = RevisitOf(URL, T0, first.response_record_id, first.payload_digest)
        again = response(date="Thu, 26 Nov 2026 10:00:00 GMT")
        second = writer.write_exchange(request(), again, fetched_at=T0 + timedelta(days=1), revisit_of=original)
    assert second.payload_digest == first.payload_digest
    return writer.closed_files[0], original


def test_an_identical_payload_is_written_as_a_revisit_naming_the_original(tmp_path):
    path, original = write_original_then_revisit(tmp_path)
    with open(path, "rb") as fh:
        records = [(r.rec_type, r.rec_headers, r.http_headers, r.content_stream().read()) for r in ArchiveIterator(fh)]
    assert [r[0] for r in records] == ["warcinfo", "response", "request", "revisit", "request"]
    _, headers, http, payload = records[3]
    assert headers.get_header("WARC-Profile") == REVISIT_PROFILE
    assert REVISIT_PROFILE == "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"
    assert headers.get_header("WARC-Refers-To") == original.record_id == records[1][1].get_header("WARC-Record-ID")
    assert headers.get_header("WARC-Refers-To-Target-URI") == URL
    assert headers.get_header("WARC-Refers-To-Date") == "2026-11-25T10:00:00Z" == records[1][1].get_header("WARC-Date")
    assert headers.get_header("WARC-Payload-Digest") == records[1][1].get_header("WARC-Payload-Digest")
    assert headers.get_header("WARC-Date") == "2026-11-26T10:00:00Z"
    assert http.get_statuscode() == "200" and http.get_header("Date") == "Thu, 26 Nov 2026 10:00:00 GMT"
    assert payload == b""  # the head only: the body lives in the original record
    assert records[4][1].get_header("WARC-Concurrent-To") == headers.get_header("WARC-Record-ID")


def test_the_revisit_costs_only_its_head(tmp_path):
    big = gzip.compress(bytes(range(256)) * 4000, mtime=0)
    writer = WarcWriter(tmp_path, "crawl", clock=lambda: T0, record_id=ids())
    first = writer.write_exchange(request(), response(big))
    revisit = writer.write_exchange(
        request(), response(big), revisit_of=RevisitOf(URL, T0, first.response_record_id, first.payload_digest)
    )
    writer.close()
    assert revisit.response_length < 600 < first.response_length


def test_our_reader_and_warcio_check_accept_the_revisit(tmp_path):
    path, original = write_original_then_revisit(tmp_path)
    with open(path, "rb") as fh:
        infos = list(iter_records(fh, verify_digests=True))
    revisit = next(r for r in infos if r.record_type == "revisit")
    assert revisit.refers_to == original.record_id and revisit.refers_to_uri == URL
    assert revisit.refers_to_date == T0 and revisit.profile == REVISIT_PROFILE
    assert revisit.status == 200 and revisit.payload_digest == original.payload_digest
    loaded = load_record(path.read_bytes()[revisit.offset : revisit.offset + revisit.length], offset=revisit.offset)
    assert loaded.payload == b"" and ("Content-Encoding", "gzip") in loaded.http_headers
    check = subprocess.run(
        [sys.executable, "-m", "warcio.cli", "check", "-v", str(path)], capture_output=True, text=True, check=False
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert check.stdout.count("digest pass") == 4 and "digest present but not checked (revisit)" in check.stdout


def test_a_revisit_for_a_different_payload_is_refused_and_writes_nothing(tmp_path):
    writer = WarcWriter(tmp_path, "crawl", clock=lambda: T0, record_id=ids())
    first = writer.write_exchange(request(), response())
    size = writer.current_path.stat().st_size
    stale = RevisitOf(URL, T0, first.response_record_id, first.payload_digest)
    with pytest.raises(ValueError, match="write a full response record"):
        writer.write_exchange(request(), response(gzip.compress(b"<h1>Edited</h1>", mtime=0)), revisit_of=stale)
    assert writer.current_path.stat().st_size == size
    writer.close()


def test_payload_digest_is_the_one_the_writer_records(tmp_path):
    writer = WarcWriter(tmp_path, "crawl", clock=lambda: T0, record_id=ids())
    written = writer.write_exchange(request(), response())
    writer.close()
    assert payload_digest(BODY) == written.payload_digest
    assert payload_digest(BODY).startswith("sha1:") and len(payload_digest(BODY)) == 37
