"""The captures family's lookups (archive.index.captures): what each returns, and that the ones
run per capture or per request read one URL's or one article's rows, never the outlet's."""

from __future__ import annotations

from dataclasses import asdict, replace

import pytest

from archive.index import Index
from archive.index import captures as cx
from archive.index.db import urlkey
from tests.archive.index.query_plans import collecting, findings
from tests.archive.index.test_db import OUTLET, A, B, record


@pytest.fixture
def idx(tmp_path):
    """Two objects of one article on two domains: A fetched at :01 and :09 (same payload), B at :20."""
    with Index(tmp_path / "i.sqlite") as index:
        index.add_warc(OUTLET, "k1", [record(1, A, when=1), record(3, B, when=20)], size=10, sha256="s1")
        again = replace(record(2, A, when=9), payload_digest="sha1:1")
        index.add_warc(OUTLET, "k2", [again, record(4, A, when=12, kind="revisit")], size=20, sha256=None)
        yield index


def ids(rows):
    return [row.record_id for row in rows]


def test_the_audit_sees_each_object_as_indexed_and_the_rows_it_holds(idx):
    assert cx.indexed_objects(idx, "presstv") == [cx.IndexedObject("k1", 10, "s1"), cx.IndexedObject("k2", 20, None)]
    assert ids(cx.in_object(idx, "k1")) == ["<urn:uuid:1>", "<urn:uuid:3>"]
    assert cx.rows_without_object(idx, "presstv") == []
    idx._db.execute("DELETE FROM warc_objects WHERE key = 'k2'")
    assert cx.rows_without_object(idx, "presstv") == [("k2", 2)]


def test_indexed_keys_are_looked_up_a_chunk_at_a_time(idx):
    listing = ["k0", "k1", "k2", "k9"]
    assert cx.indexed_keys(idx, "presstv", listing, chunk=1) == {"k1", "k2"}
    assert cx.indexed_keys(idx, "other", listing, chunk=500) == set()


def test_a_revisits_payload_is_found_by_url_and_digest(idx):
    key = urlkey(A)
    assert cx.first_response_with_payload(idx, key, "sha1:1", A).record_id == "<urn:uuid:1>"
    newest = cx.newest_response_with_payload(idx, key, A, "sha1:1", "2026-11-20T08:30:00Z")
    assert newest.record_id == "<urn:uuid:2>"
    assert cx.newest_response_with_payload(idx, key, A, "sha1:1", "2026-11-20T08:05:00Z").record_id == ("<urn:uuid:1>")
    assert cx.first_response_with_payload(idx, key, "sha1:9", A) is None
    assert cx.last_of_url(idx, key, A).record_id == "<urn:uuid:4>"
    assert cx.last_of_url(idx, key, A + "?x") is None
    assert cx.by_record_id(idx, "<urn:uuid:3>").url == B
    assert cx.by_record_id(idx, "<urn:uuid:nope>") is None


def test_an_article_is_captured_since_a_moment_on_any_domain(idx):
    assert cx.captured_since(idx, "presstv", "777255", "2026-11-20T08:20:00Z")
    assert not cx.captured_since(idx, "presstv", "777255", "2026-11-20T08:21:00Z")
    assert not cx.captured_since(idx, "presstv", None, "2000-01-01T00:00:00Z")


def test_captures_of_an_article_a_url_key_a_cdx_range_and_an_export_come_oldest_first(idx):
    everything = ["<urn:uuid:1>", "<urn:uuid:2>", "<urn:uuid:4>", "<urn:uuid:3>"]
    assert ids(cx.of_article(idx, "presstv", "777255")) == everything
    assert ids(cx.of_urlkey(idx, "presstv", urlkey(B))) == ["<urn:uuid:3>"]
    since, until = "2026-11-20T08:02:00Z", "2026-11-20T08:30:00Z"
    assert ids(cx.for_cdx(idx, "presstv", since, until, start=urlkey(A))) == ["<urn:uuid:2>", "<urn:uuid:4>"]
    reverse = cx.for_cdx(idx, "presstv", since, until, start="ir,", end="ir-", reverse=True)
    assert ids(reverse) == ["<urn:uuid:4>", "<urn:uuid:2>"]
    assert ids(cx.for_cdx(idx, "presstv", since, until, article_id="777255")) == everything[1:]
    assert ids(cx.of_outlet(idx, "presstv")) == everything
    assert ids(cx.in_key_order(idx, "presstv")) == everything
    assert ids(cx.in_key_order(idx, "other")) == []
    assert ids(cx.of_outlet(idx, "presstv", ["777255"], since=since, until="2026-11-20T08:10:00Z")) == ["<urn:uuid:2>"]
    assert cx.of_outlet(idx, "presstv", ["nope"]) == []


def test_records_are_built_from_the_columns_of_their_fields_by_name(idx):
    """Captures are built positionally from tuples: each must equal the row ``SELECT *`` gives."""
    rows = idx._db.query("SELECT * FROM captures ORDER BY urlkey, fetched_at, record_id")
    assert [asdict(c) for c in cx.in_key_order(idx)] == list(rows)
    key, since, until = urlkey(A), "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z"
    cdx = list(cx.for_cdx(idx, "presstv", since, until, start=key))
    assert [asdict(c) for c in cdx] == [
        {f: getattr(c, f) for f in asdict(cdx[0])} for c in cx.of_urlkey(idx, "presstv", key)
    ]


def test_the_article_pages_captures_carry_what_detect_made_of_them(idx):
    detected = list(cx.of_article_detected(idx, "presstv", "777255"))
    assert [d.capture for d in detected] == list(cx.of_article(idx, "presstv", "777255"))
    assert {(d.version, d.outcome) for d in detected} == {(None, None)}
    idx._db.execute(
        "INSERT INTO detected (record_id, outlet, article_id, version, outcome) VALUES (?, ?, ?, ?, ?)",
        ["<urn:uuid:2>", "presstv", "777255", 1, "new"],
    )
    shown = {d.capture.record_id: (d.version, d.outcome) for d in cx.of_article_detected(idx, "presstv", "777255")}
    assert shown["<urn:uuid:2>"] == (1, "new") and shown["<urn:uuid:1>"] == (None, None)


def test_a_capture_without_a_detected_version_has_no_headline(idx):
    assert cx.headline_shown(idx, "<urn:uuid:1>") is None


def test_a_reader_sees_the_data_version_change_when_the_writer_commits(idx):
    with Index(idx.path, readonly=True) as reader:
        cx.limit_cache(reader, 256)
        before = cx.data_version(reader)
        idx.add_warc(OUTLET, "k3", [record(5, A, when=30)], size=1, sha256=None)
        assert cx.data_version(reader) != before


def test_the_lookups_run_per_capture_or_per_request_read_no_outlet_whole(tmp_path, monkeypatch):
    with collecting(monkeypatch) as traced, Index(tmp_path / "i.sqlite") as idx:
        idx.add_warc(OUTLET, "k1", [record(1, A, when=1)], size=1, sha256=None)
        traced.statements.clear()
        key, db = urlkey(A), idx
        cx.indexed_keys(db, "presstv", ["k1", "k2"], chunk=500)
        cx.in_object(db, "k1")
        cx.last_of_url(db, key, A)
        cx.by_record_id(db, "<urn:uuid:1>")
        cx.first_response_with_payload(db, key, "sha1:1", A)
        cx.newest_response_with_payload(db, key, A, "sha1:1", "2026-11-21T00:00:00Z")
        cx.captured_since(db, "presstv", "777255", "2026-11-20T00:00:00Z")
        list(cx.of_article(db, "presstv", "777255"))
        list(cx.of_urlkey(db, "presstv", key))
        list(cx.for_cdx(db, "presstv", "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z", start=key))
        list(cx.for_cdx(db, "presstv", "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z", article_id="777255"))
        cx.headline_shown(db, "<urn:uuid:1>")
    statements = traced.distinct()
    assert len(statements) == 12
    assert findings(tmp_path / "i.sqlite", statements) == {}
