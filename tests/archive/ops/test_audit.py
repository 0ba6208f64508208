"""The integrity audit on a local store: a clean archive passes; changed bytes, damaged records,
stale or dangling index rows and lost objects are each reported with where and what to do."""

from __future__ import annotations

import gzip
import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from archive import pipeline
from archive.config import Config, load_config, store_for
from archive.index import Index
from archive.ops.audit import AuditError, audit, run_audit
from archive.storage import ObjectStore
from archive.warc import HttpRequestData, HttpResponseData, RevisitOf, WarcName, WarcWriter, iter_records
from tests.support import write_config

T0 = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
URL = "http://www.presstv.ir/Detail/2026/11/25/777077/story"
OTHER = "http://www.presstv.ir/Detail/2026/11/25/777078/other-story"
PAGE = gzip.compress(b"<html><h1>Story</h1>" + b"<p>words</p>" * 200 + b"</html>", mtime=0)


def exchange(url: str, body: bytes) -> tuple[HttpRequestData, HttpResponseData]:
    request = HttpRequestData("GET", url, (("Host", "www.presstv.ir"),))
    headers = (("Content-Type", "text/html"), ("Content-Encoding", "gzip"), ("Content-Length", str(len(body))))
    return request, HttpResponseData(200, "OK", headers, body)


class Archive:
    """One stored WARC (a response, a revisit of it, another response) and its index rows."""

    def __init__(self, tmp_path: Path, *, record_sha256: bool = True) -> None:
        self.config: Config = load_config(write_config(tmp_path, port=8765))
        self.store: ObjectStore = store_for(self.config, self.config.outlet("demo"))
        writer = WarcWriter(tmp_path / "spool", "demo-00000001", clock=lambda: T0)
        first = writer.write_exchange(*exchange(URL, PAGE), fetched_at=T0)
        holder = RevisitOf(URL, T0, first.response_record_id, first.payload_digest)
        writer.write_exchange(*exchange(URL, PAGE), fetched_at=T0 + timedelta(hours=1), revisit_of=holder)
        writer.write_exchange(*exchange(OTHER, b"other page"), fetched_at=T0 + timedelta(hours=1))
        (path,) = writer.close()
        obj = self.store.put(path, WarcName.parse(path.name).object_key("demo"))
        self.key = obj.key
        self.file = self.store.root / obj.key  # type: ignore[attr-defined]
        assert pipeline.index(self.config, "demo")["warcs_indexed"] == 1  # the index step records the SHA-256
        if not record_sha256:  # as an index written before SHA-256s were recorded
            self.sql("UPDATE warc_objects SET sha256 = NULL")

    def audit(self):
        with Index(self.config.index_path, readonly=True) as idx:
            return audit(self.store, idx, "demo")

    def sql(self, statement: str, *params: object) -> None:
        with Index(self.config.index_path) as idx, idx._db.conn:
            idx._db.execute(statement, list(params))


@pytest.fixture
def archive(tmp_path: Path) -> Archive:
    return Archive(tmp_path)


def test_a_clean_archive_passes_and_says_what_it_checked(archive):
    report = archive.audit()
    assert report.ok and report.problems == ()
    assert (report.objects, report.records, report.rows) == (1, 7, 3)  # warcinfo + 3 × (capture, request)
    assert report.lines()[0].endswith("1 WARC objects, 7 records, 3 index rows checked: OK")
    report.raise_for_problems()


def test_bytes_changed_in_the_store_are_caught_by_the_recorded_checksum(archive):
    """A valid record appended to the object: every row still resolves; only the checksum knows."""
    data = archive.file.read_bytes()
    with open(archive.file, "rb") as fh:
        warcinfo = next(iter_records(fh))
    archive.file.write_bytes(data + data[: warcinfo.length])
    report = archive.audit()
    assert not report.ok
    assert any("SHA-256" in p and "differs from" in p and "restore it" in p for p in report.problems)
    with pytest.raises(AuditError, match="found 2 problem"):
        report.raise_for_problems()


def test_indexing_records_the_sha256_and_size_of_the_stored_bytes(archive):
    data = archive.file.read_bytes()
    with Index(archive.config.index_path, readonly=True) as idx:
        (row,) = idx._db.query("SELECT sha256, size FROM warc_objects")
    assert row == {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}


def test_a_flipped_bit_is_reported_as_damage_and_as_a_checksum_mismatch(archive):
    """The SHA-256 is compared even when a damaged record stops the record-by-record read."""
    data = bytearray(archive.file.read_bytes())
    data[len(data) // 2] ^= 0x01
    archive.file.write_bytes(bytes(data))
    problems = archive.audit().problems
    assert any("damaged" in p for p in problems)
    assert any("SHA-256" in p and "differs from" in p for p in problems)
    assert all(archive.key in p for p in problems)


def test_a_damaged_record_is_caught_without_any_recorded_checksum(tmp_path):
    archive = Archive(tmp_path, record_sha256=False)
    data = bytearray(archive.file.read_bytes())
    data[len(data) // 2] ^= 0xFF
    archive.file.write_bytes(bytes(data))
    report = archive.audit()
    assert not report.ok and archive.key in report.problems[0] and "damaged" in report.problems[0]
    assert any("no recorded SHA-256" in note for note in report.notes)


def test_index_rows_that_no_longer_match_their_record_are_problems(archive):
    archive.sql("UPDATE captures SET url = ? WHERE url = ?", OTHER + "?moved", OTHER)
    (problem,) = archive.audit().problems
    assert "the index says target URI" in problem and "reindex" in problem


def test_an_index_row_pointing_between_records_is_a_problem(archive):
    archive.sql("UPDATE captures SET offset = offset + 1 WHERE url = ?", OTHER)
    problems = archive.audit().problems
    assert any("finds no record there" in p for p in problems)
    assert any("has no index row" in p for p in problems)


def test_a_revisit_whose_original_row_is_gone_is_a_problem(archive):
    archive.sql("DELETE FROM captures WHERE record_type = 'response' AND url = ?", URL)
    problems = archive.audit().problems
    assert any("revisit" in p and "cannot resolve" in p for p in problems)


def test_an_object_missing_from_the_store_is_a_problem(archive):
    archive.file.unlink()
    (problem,) = archive.audit().problems
    assert archive.key in problem and "missing from the store" in problem


def test_a_stored_object_not_yet_indexed_is_only_a_note(archive):
    archive.sql("DELETE FROM warc_objects")
    archive.sql("DELETE FROM captures")
    report = archive.audit()
    assert report.ok and report.notes == ("1 stored objects are not indexed yet (the next index step adds them)",)


def test_run_audit_reads_the_config_store_and_index(archive):
    assert run_audit(archive.config, "demo").ok
    archive.file.write_bytes(b"")
    assert not run_audit(archive.config, "demo").ok


def test_what_the_index_quarantined_is_listed_with_the_index_reason(archive):
    from archive.index.quarantine import QuarantineError

    data = archive.file.read_bytes()
    archive.file.write_bytes(data[: len(data) * 2 // 3])
    with pytest.raises(QuarantineError):
        pipeline.reindex(archive.config, "demo")

    problems = archive.audit().problems
    (listed,) = [p for p in problems if "quarantined (damaged)" in p]
    assert listed.startswith(f"{archive.key}: quarantined (damaged) since ")
    assert "the data ends inside this gzip member" in listed and "reindex --outlet demo" in listed

    archive.file.write_bytes(data)  # restored: the audit says the index now only needs to take it whole
    (listed,) = [p for p in archive.audit().problems if "quarantined" in p]
    assert "reads whole now: run `edittrail reindex --outlet demo`" in listed
