"""The index's read-side queries on articles, changes and stored objects (issue 14): what the web,
the CLI, ``edittrail status`` and the demo ask of the index, by name instead of by SQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace

import pytest

from archive.index import Change, Index, stored
from archive.index import articles as articles_index
from archive.index import changes as index_changes
from archive.index import versions as vx
from tests.archive.index.test_versions import EDITED, FIRST

WARC = "demo/2026/11/21/demo-20261121080000-00000.warc.gz"
EDIT = Change(
    outlet="demo",
    article_id="777255",
    kind="body",
    declared=False,
    host="www.presstv.ir",
    to_record=EDITED.record_id,
    to_time=EDITED.fetched_at,
    summary="resigned → was dismissed",
    from_version=1,
    to_version=2,
    from_record=FIRST.record_id,
    from_time=FIRST.fetched_at,
)


@pytest.fixture
def idx(tmp_path) -> Iterator[Index]:
    with Index(tmp_path / "index.sqlite") as idx:
        vx.add_version(idx, FIRST)
        vx.add_version(idx, EDITED)
        vx.add_change(idx, EDIT)
        idx._db["articles"].insert(
            {
                "outlet": "demo",
                "article_id": "777255",
                "canonical_url": FIRST.url,
                "first_seen": FIRST.fetched_at,
                "last_seen": EDITED.fetched_at,
                "hosts": "www.presstv.ir,www.presstv.co.uk",
            }
        )
        for version in (FIRST, EDITED):
            idx._db["captures"].insert(
                {
                    "record_id": version.record_id,
                    "outlet": "demo",
                    "url": version.url,
                    "urlkey": "ir,presstv)/",
                    "host": version.host,
                    "fetched_at": version.fetched_at,
                    "record_type": "response",
                    "warc": WARC,
                    "offset": 0,
                    "length": 1,
                    "article_id": "777255",
                }
            )
        idx._db["warc_objects"].insert(
            {"key": WARC, "outlet": "demo", "size": 1234, "stored_at": "2026-11-21T08:05:00Z", "records": 2}
        )
        yield idx


def test_an_article_is_read_by_its_key_with_its_hosts_split(idx):
    found = articles_index.article(idx, "demo", "777255")
    assert found is not None
    assert found.canonical_url == FIRST.url and found.hosts == ("www.presstv.ir", "www.presstv.co.uk")
    assert articles_index.article(idx, "demo", "nope") is None
    assert articles_index.known(idx, "demo", "777255") and not articles_index.known(idx, "presstv", "777255")
    assert articles_index.canonical_url(idx, "demo", "777255") == FIRST.url
    assert articles_index.canonical_url(idx, "demo", "nope") is None


def test_a_page_of_changes_carries_the_article_url_the_current_headline_and_the_shown_capture(idx):
    (row,) = index_changes.change_page(idx, "demo", index_changes.ChangeFilter(), limit=10)
    assert row.article_url == FIRST.url and row.current_headline == EDITED.headline
    assert row.to_url == EDITED.url and row.declared is False and row.details == {}
    none = index_changes.ChangeFilter(kind="headline")
    assert index_changes.change_page(idx, "demo", none, limit=10, scan=5) == []


def test_scan_reached_says_when_a_bounded_filter_left_older_changes_unsearched(idx):
    later = replace(EDIT, kind="headline", to_record="<urn:uuid:3>", to_time="2026-11-22T08:00:00Z")
    vx.add_change(idx, later)
    filtered = index_changes.ChangeFilter(host="www.presstv.co.uk")
    assert index_changes.scan_reached(idx, "demo", filtered, 1)
    assert not index_changes.scan_reached(idx, "demo", filtered, 2)
    assert not index_changes.scan_reached(idx, "demo", index_changes.ChangeFilter(), 1), "an indexed page is whole"


def test_a_kind_is_looked_up_by_its_index_so_its_page_is_whole_and_other_filters_scan_that_kind_only(idx):
    for n in range(3):  # newer changes of another kind: a bound over every kind would miss the body change
        newer = replace(EDIT, kind="headline", to_record=f"<urn:uuid:h{n}>", to_time=f"2026-11-2{2 + n}T08:00:00Z")
        vx.add_change(idx, newer)
    body = index_changes.ChangeFilter(kind=EDIT.kind)
    assert [c.to_record for c in index_changes.change_page(idx, "demo", body, limit=10, scan=1)] == [EDIT.to_record]
    assert not index_changes.scan_reached(idx, "demo", body, 1)
    on_host = index_changes.ChangeFilter(kind=EDIT.kind, host=EDIT.host)
    assert [c.to_record for c in index_changes.change_page(idx, "demo", on_host, limit=10, scan=1)] == [EDIT.to_record]
    assert not index_changes.scan_reached(idx, "demo", on_host, 1)  # one change of that kind: all of it read


def test_a_version_that_a_change_led_to_was_shown_once(idx):
    assert vx.changed_to(idx, "demo", "777255", 2)
    assert not vx.changed_to(idx, "demo", "777255", 1)


def test_status_and_the_demo_count_per_warc_and_per_moment(idx):
    assert index_changes.new_versions_per_warc(idx, "demo", "2026-11-20T00:00") == [(WARC, 2)]
    assert index_changes.new_versions_per_warc(idx, "demo", "2026-11-21T00:00") == [(WARC, 1)]
    assert index_changes.changes_per_warc(idx, "demo", "2026-11-21T00:00") == [(WARC, 1)]
    assert index_changes.count_detected_before(idx, "demo", "9999-01-01T00:00:00Z") == 1
    assert index_changes.count_detected_before(idx, "demo", "2000-01-01T00:00:00Z") == 0


def test_the_stored_objects_are_read_by_outlet_and_by_when_they_were_stored(idx):
    assert {"captures", "warc_objects", "changes"} <= stored.tables(idx)
    assert stored.object_sizes(idx, "demo") == {WARC: 1234} and stored.object_sizes(idx, "other") == {}
    assert stored.objects_stored_since(idx, "demo", "2026-11-21T00:00:00Z") == [(WARC, 1234)]
    assert stored.objects_stored_since(idx, "demo", "2026-11-22T00:00:00Z") == []


def test_a_stored_change_as_a_row_is_the_row_the_table_gives_decoded(idx):
    """The JSON answers and alert payloads are built from ``as_row``: the same keys, in column order."""
    raw = next(iter(idx._db.query("SELECT * FROM changes")))
    (change,) = vx.changes(idx, outlet="demo")
    assert change.as_row() == raw | {"details": json.loads(raw["details"]), "declared": bool(raw["declared"])}
    assert list(change.as_row()) == list(raw)
