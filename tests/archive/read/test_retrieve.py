"""Revisits end to end without sockets: the WARC middleware decides response or revisit from the
index, the index takes the revisit row, and retrieval gives back the original payload."""

from __future__ import annotations

import gzip
import io
import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from scrapy import Request
from scrapy.http import Response
from scrapy.utils.test import get_crawler

from archive.config import load_config
from archive.errors import ArchiveIndexError
from archive.index import Capture, Index
from archive.read.retrieve import capture_by_id, original_capture, retrieve, stored_records
from archive.storage.local import LocalStore
from archive.warc import WarcName, WarcReadError, iter_records
from spiders.middlewares import WarcCaptureMiddleware
from tests.support import write_config

URL = "http://www.presstv.ir/Detail/2026/11/25/777077/unchanged-story"
PAGE = gzip.compress(b"<html><h1>Unchanged</h1>" + random.Random(1).randbytes(2000) + b"</html>", mtime=0)
T0 = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
EDITED = gzip.compress(b"<html><h1>Edited</h1><p>New words.</p></html>", mtime=0)


class Archive:
    """A spool, a local store and an index, crawled into by the real middleware."""

    def __init__(self, tmp_path: Path) -> None:
        self.config = load_config(write_config(tmp_path, port=8765))
        self.outlet = self.config.outlet("demo")
        self.spool = tmp_path / "spool"
        self.store = LocalStore(tmp_path / "store")
        self.crawls = 0

    def crawl(self, *pages: tuple[str, int, bytes], index_setting: bool = True) -> None:
        """One crawl: each (url, status, body) through process_response, then store and index."""
        self.crawls += 1
        settings = {"EDITTRAIL_WARC_DIR": str(self.spool), "EDITTRAIL_WARC_PREFIX": f"demo-{self.crawls:08x}"}
        if index_setting:
            settings["EDITTRAIL_INDEX_PATH"] = str(self.config.index_path)
        middleware = WarcCaptureMiddleware.from_crawler(get_crawler(settings_dict=settings))
        middleware.clock = lambda: T0 + timedelta(hours=self.crawls)
        for url, status, body in pages:
            request = Request(url, headers={"Accept-Encoding": "gzip"})
            headers = {"Content-Type": "text/html", "Content-Encoding": "gzip", "Content-Length": str(len(body))}
            response = Response(url, status=status, headers=headers, body=body, request=request)
            middleware.process_response(request, response)
        middleware.spider_closed()
        with Index(self.config.index_path) as idx:
            for path in sorted(self.spool.glob("*.warc.gz")):
                obj = self.store.put(path, WarcName.parse(path.name).object_key("demo"))
                with self.store.open(obj.key) as stream:
                    idx.add_warc(self.outlet, obj.key, iter_records(stream), size=obj.size, sha256=obj.sha256)
                path.unlink()

    def rows(self, url: str = URL) -> list[Capture]:
        with Index(self.config.index_path, readonly=True) as idx:
            return sorted((r for r in idx.captures("demo") if r.url == url), key=lambda r: r.warc)

    def retrieve(self, row: Capture):
        with Index(self.config.index_path, readonly=True) as idx:
            return retrieve(self.store, idx, row)


@pytest.fixture
def archive(tmp_path: Path) -> Archive:
    return Archive(tmp_path)


def test_an_unchanged_page_is_stored_as_a_revisit_and_retrieved_as_the_original(archive):
    archive.crawl((URL, 200, PAGE))
    archive.crawl((URL, 200, PAGE))
    first, second = archive.rows()
    assert (first.record_type, second.record_type) == ("response", "revisit")
    assert second.payload_digest == first.payload_digest and second.status == 200
    assert second.length < first.length
    got = archive.retrieve(second)
    assert got.payload == PAGE and got.is_revisit and got.original.record_id == first.record_id
    assert got.status == 200 and ("Content-Encoding", "gzip") in got.http_headers
    assert gzip.decompress(got.payload).startswith(b"<html><h1>Unchanged")


def test_a_response_row_gives_back_its_own_payload(archive):
    archive.crawl((URL, 200, PAGE))
    (row,) = archive.rows()
    got = archive.retrieve(row)
    assert got.payload == PAGE and not got.is_revisit


def test_a_changed_page_or_a_changed_status_is_written_whole(archive):
    archive.crawl((URL, 200, PAGE))
    archive.crawl((URL, 200, EDITED))
    archive.crawl((URL, 404, EDITED))
    archive.crawl((URL, 200, EDITED))
    assert [r.record_type for r in archive.rows()] == ["response"] * 4


def test_without_the_index_setting_every_response_is_whole(archive):
    archive.crawl((URL, 200, PAGE))
    archive.crawl((URL, 200, PAGE), index_setting=False)
    assert [r.record_type for r in archive.rows()] == ["response", "response"]


def test_a_missing_index_file_means_no_revisits_and_no_error(archive):
    assert not archive.config.index_path.exists()
    archive.crawl((URL, 200, PAGE), (URL, 200, PAGE))  # the setting points at a file not there yet
    assert [r.record_type for r in archive.rows()] == ["response", "response"]


def test_a_url_fetched_twice_in_one_crawl_revisits_the_first_fetch(archive):
    archive.crawl((URL + "?warm", 200, EDITED))  # the index exists, but knows nothing of URL
    archive.crawl((URL, 200, PAGE), (URL, 200, PAGE))
    first, second = sorted(archive.rows(), key=lambda r: r.offset)
    assert (first.record_type, second.record_type) == ("response", "revisit")
    assert archive.retrieve(second).original.record_id == first.record_id


def test_a_revisit_of_a_revisit_refers_to_the_record_holding_the_payload(archive):
    for _ in range(3):
        archive.crawl((URL, 200, PAGE))
    first, second, third = archive.rows()
    assert [r.record_type for r in (first, second, third)] == ["response", "revisit", "revisit"]
    stored = archive.store.read_range(third.warc, third.offset, third.length)
    (info,) = list(iter_records(io.BytesIO(stored)))
    assert info.refers_to == first.record_id  # not the second, which has no payload
    assert archive.retrieve(third).payload == PAGE


def test_original_capture_and_capture_by_id_use_the_index_alone(archive):
    archive.crawl((URL, 200, PAGE))
    archive.crawl((URL, 200, PAGE))
    first, second = archive.rows()
    with Index(archive.config.index_path, readonly=True) as idx:
        assert original_capture(idx, second).record_id == first.record_id
        assert original_capture(idx, first).record_id == first.record_id
        assert capture_by_id(idx, second.record_id).record_type == "revisit"
        assert capture_by_id(idx, "<urn:uuid:nope>") is None


def test_a_revisit_whose_original_is_not_indexed_is_a_clear_error(archive):
    archive.crawl((URL, 200, PAGE))
    archive.crawl((URL, 200, PAGE))
    first, second = archive.rows()
    with Index(archive.config.index_path) as idx, idx._db.conn:
        idx._db.execute("DELETE FROM captures WHERE record_id = ?", [first.record_id])
    with pytest.raises(ArchiveIndexError, match=r"refers to <urn:uuid:.*not in the index.*reindex"):
        archive.retrieve(second)


def test_a_stale_index_row_is_caught_not_trusted(archive):
    archive.crawl((URL, 200, PAGE), (URL + "?b", 200, EDITED))
    row, other = archive.rows(), archive.rows(URL + "?b")
    wrong = replace(row[0], offset=other[0].offset, length=other[0].length)
    with pytest.raises(ArchiveIndexError, match="the index is stale"):
        archive.retrieve(wrong)


def test_stored_records_give_a_revisit_and_its_original_as_a_warc_stream(archive):
    archive.crawl((URL, 200, PAGE))
    archive.crawl((URL, 200, PAGE))
    first, second = archive.rows()
    with Index(archive.config.index_path, readonly=True) as idx:
        data = stored_records(archive.store, idx, second)
        assert stored_records(archive.store, idx, first) == archive.store.read_range(
            first.warc, first.offset, first.length
        )
    infos = list(iter_records(io.BytesIO(data), verify_digests=True))
    assert [(i.record_type, i.record_id) for i in infos] == [
        ("revisit", second.record_id),
        ("response", first.record_id),
    ]


def rewrite_member(archive: Archive, row: Capture, old: bytes, new: bytes) -> Capture:
    """Recompress the row's gzip member with ``old`` replaced: the gzip stays valid, the record's
    WARC-Block-Digest no longer matches. The row comes back with the new length, as if the
    index had been altered to match."""
    path = archive.store.root / row.warc
    data = path.read_bytes()
    start, end = row.offset, row.offset + row.length
    member = gzip.decompress(data[start:end])
    assert old in member
    altered = gzip.compress(member.replace(old, new))
    path.write_bytes(data[:start] + altered + data[end:])
    return replace(row, length=len(altered))


def test_a_tampered_record_is_refused_not_given(archive):
    archive.crawl((URL, 200, PAGE))
    (row,) = archive.rows()
    tampered = rewrite_member(archive, row, b"text/html", b"TEXT/HTML")
    with Index(archive.config.index_path, readonly=True) as idx:
        with pytest.raises(WarcReadError, match=r"WARC-Block-Digest .* does not match its content"):
            stored_records(archive.store, idx, tampered)
        with pytest.raises(WarcReadError, match="WARC-Block-Digest"):
            archive.retrieve(tampered)


def test_an_offset_into_the_middle_of_a_record_is_refused_not_given(archive):
    archive.crawl((URL, 200, PAGE))
    (row,) = archive.rows()
    for shift in (1, 10, -1):
        with Index(archive.config.index_path, readonly=True) as idx, pytest.raises((WarcReadError, ArchiveIndexError)):
            stored_records(archive.store, idx, replace(row, offset=row.offset + shift))
