"""The detect stage on WARCs written here, without a crawl: what it does when the store or
the content fails."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from archive.config import load_config
from archive.detect.run import detect, version_of_capture
from archive.errors import StoreError
from archive.index import Capture, Index
from archive.index import versions as vx
from archive.simulate import pages
from archive.warc import HttpRequestData, HttpResponseData, PreviousCaptures, WarcWriter, iter_records
from tests.support import write_config

PAGES = Path(__file__).parents[2] / "fixtures" / "pages"
T0 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


class FlakyStore:
    """Serves the WARCs of a directory by range; raises StoreError while ``down``."""

    def __init__(self, directory: Path) -> None:
        self.directory, self.down = directory, False

    def read_range(self, key: str, offset: int, length: int) -> bytes:
        if self.down:
            raise StoreError(f"s3://bucket/{key}: connection reset (simulated)")
        with open(self.directory / key, "rb") as fh:
            fh.seek(offset)
            return fh.read(length)


def _page(name: str) -> tuple[str, bytes]:
    meta = json.loads((PAGES / f"{name}.json").read_text(encoding="utf-8"))
    return meta["url"], (PAGES / f"{name}.html").read_bytes()


def _archive(tmp_path: Path, exchanges: list[tuple[str, str, bytes]]):
    """Write (url, content type, body) exchanges a minute apart into a WARC and index it; a body
    equal to the URL's previous one becomes a revisit record, by the crawl's own rule."""
    config = load_config(write_config(tmp_path, port=8765))
    outlet = config.outlet("demo")
    warcs = tmp_path / "warcs"
    previous = PreviousCaptures()  # the crawl's own rule: no earlier crawls, this one's fetches
    with WarcWriter(warcs, "detect-test") as writer:
        for n, (url, content_type, body) in enumerate(exchanges):
            previous.write(
                writer,
                HttpRequestData("GET", url, (("Host", url.split("/")[2]),)),
                HttpResponseData(200, "OK", (("Content-Type", content_type),), body),
                fetched_at=T0 + timedelta(minutes=n),
            )
    (path,) = writer.closed_files
    with Index(config.index_path) as idx, path.open("rb") as stream:
        idx.add_warc(outlet, path.name, iter_records(stream, name=path.name), size=path.stat().st_size, sha256=None)
    return config, FlakyStore(warcs)


def test_a_store_read_error_leaves_the_article_pending_and_the_next_run_retries_it(tmp_path, caplog):
    url, sample = _page("sample")
    _, edited = _page("edited")
    config, store = _archive(tmp_path, [(url, "text/html", sample), (url, "text/html", edited)])
    store.down = True
    failed = detect(config, "demo", store)
    assert (failed["captures"], failed["store_errors"], failed["deferred"], failed["errors"]) == (0, 1, 2, 0)
    assert "retrying next run" in caplog.text
    with Index(config.index_path, readonly=True) as idx:
        assert len(list(vx.pending_captures(idx, "demo"))) == 2
        assert idx._db.table("detected").count == 0

    store.down = False
    retried = detect(config, "demo", store)
    assert (retried["captures"], retried["versions"], retried["deferred"]) == (2, 2, 0)
    with Index(config.index_path, readonly=True) as idx:
        assert {c.kind for c in vx.changes(idx, outlet="demo")} >= {"headline", "body", "caption"}


def test_content_that_cannot_be_extracted_is_marked_once_and_not_retried(tmp_path):
    url, _ = _page("sample")
    config, store = _archive(tmp_path, [(url, "image/png", b"\x89PNG\r\n\x1a\n" + bytes(64))])
    assert detect(config, "demo", store)["errors"] == 1
    with Index(config.index_path, readonly=True) as idx:
        (row,) = idx._db.query("SELECT outcome, version FROM detected")
        assert row["outcome"].startswith("not an article: ") and "is not HTML" in row["outcome"]
        assert row["version"] is None
        assert list(vx.pending_captures(idx, "demo")) == []
    assert detect(config, "demo", store)["errors"] == 0


def test_an_error_page_served_with_200_is_no_version(tmp_path):
    url, sample = _page("sample")
    error_page = b"<html><head><title>404 - PressTV</title></head><body><h1>404</h1><p>Page not found.</p></body>"
    config, store = _archive(tmp_path, [(url, "text/html", sample), (url, "text/html", error_page)])
    counts = detect(config, "demo", store)
    assert (counts["versions"], counts["not_articles"], counts["changes"]) == (1, 1, 0)
    with Index(config.index_path, readonly=True) as idx:
        outcomes = [r["outcome"] for r in idx._db.query("SELECT outcome FROM detected ORDER BY outcome")]
    assert outcomes[0] == "new version" and outcomes[1].startswith("not an article: an error page")


def test_a_seizure_notice_on_a_mirror_is_no_version_and_no_change(tmp_path):
    """Served with 200 at the article's URL: the crawl's failover should avoid it, detect must not trust that."""
    url, sample = _page("sample")
    seized = url.replace("www.presstv.ir", "www.presstv.com")
    notice = pages.encode(pages.seizure("www.presstv.com"))
    exchanges = [(url, "text/html", sample), (seized, "text/html", notice), (seized, "text/html", sample)]
    config, store = _archive(tmp_path, exchanges)
    counts = detect(config, "demo", store)
    assert (counts["versions"], counts["not_articles"], counts["changes"]) == (1, 1, 0)
    with Index(config.index_path, readonly=True) as idx:
        rows = list(idx._db.query("SELECT c.host, d.outcome FROM captures c JOIN detected d USING (record_id)"))
        assert [v.headline for v in vx.versions_of(idx, "demo", "777255")] == [
            "Russia: White Helmets plotting false-flag chemical attack in Syria's Idlib to accuse Damascus"
        ]
    seizure = [r["outcome"] for r in rows if r["outcome"].startswith("not an article")]
    assert len(seizure) == 1 and seizure[0].startswith("not an article: a domain seizure notice")


def test_a_revisit_record_shows_the_version_of_the_record_it_refers_to(tmp_path):
    url, sample = _page("sample")
    _, edited = _page("edited")
    config, store = _archive(
        tmp_path, [(url, "text/html", sample), (url, "text/html", sample), (url, "text/html", edited)]
    )
    counts = detect(config, "demo", store)
    assert (counts["versions"], counts["errors"]) == (2, 0)
    outlet = config.outlet("demo")
    with Index(config.index_path, readonly=True) as idx:
        rows = list(
            idx._db.query(
                "SELECT c.*, d.outcome, v.whole_hash FROM captures c JOIN detected d USING (record_id) "
                "JOIN versions v ON v.article_id = d.article_id AND v.version = d.version ORDER BY c.fetched_at"
            )
        )
        assert [(r["record_type"], r["outcome"]) for r in rows] == [
            ("response", "new version"),
            ("revisit", "same"),
            ("response", "new version"),
        ]
        for row in rows:
            assert version_of_capture(idx, outlet, store, Capture.from_row(row)).whole_hash == row["whole_hash"]
