from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from archive.config import Revisit, load_config
from archive.errors import ArchiveIndexError
from archive.index import Index, utc_iso
from archive.index.schema import MIGRATIONS
from archive.moments import parse_utc
from archive.warc import WarcRecordInfo

ROOT = Path(__file__).resolve().parents[3]
OUTLET = load_config(ROOT / "outlets.toml").outlet("presstv")


def record(n: int, url: str, *, when: int = 0, kind: str = "response", status: int = 200) -> WarcRecordInfo:
    return WarcRecordInfo(
        record_type=kind,
        record_id=f"<urn:uuid:{n}>",
        target_uri=url,
        date=datetime(2026, 11, 20, 8, when, tzinfo=UTC),
        offset=100 * n,
        length=90,
        status=status,
        mime="text/html",
        payload_digest=f"sha1:{n}",
        ip_address="127.0.0.1",
        concurrent_to=None,
        refers_to=None,
    )


A = "https://www.presstv.ir/Detail/2026/11/18/777255/Russia-White-Helmets"
B = "https://presstv.tv/Detail/2026/11/18/777255/other-slug"


def test_a_new_index_has_every_migration(tmp_path):
    with Index(tmp_path / "i.sqlite") as idx:
        assert idx.schema_version() == len(MIGRATIONS)
        assert {"captures", "articles", "warc_objects", "versions", "changes"} <= set(idx._db.table_names())


def test_an_older_index_is_migrated_by_the_writer_and_refused_by_readers(tmp_path):
    path = tmp_path / "i.sqlite"
    conn = sqlite3.connect(path)
    import sqlite_utils

    db = sqlite_utils.Database(conn)
    MIGRATIONS[0](db)
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()
    with pytest.raises(ArchiveIndexError, match="schema version 1, this edittrail expects"):
        Index(path, readonly=True)
    Index(path).close()
    with Index(path, readonly=True) as idx:
        assert idx.schema_version() == len(MIGRATIONS)


def test_reader_of_a_missing_index_says_how_to_make_one(tmp_path):
    with pytest.raises(ArchiveIndexError, match="no index yet"):
        Index(tmp_path / "none.sqlite", readonly=True)


def test_only_responses_and_revisits_become_captures_and_indexing_twice_adds_nothing(tmp_path):
    records = [
        record(1, A),
        record(2, A, kind="request"),
        record(3, "https://www.presstv.ir/rss.xml"),
        record(4, A, kind="warcinfo"),
    ]
    with Index(tmp_path / "i.sqlite") as idx:
        assert idx.add_warc(OUTLET, "k1", records, size=10, sha256="x") == 2
        assert idx.add_warc(OUTLET, "k1", records, size=10, sha256="x") == 2
        rows = list(idx.captures("presstv"))
    assert [r.record_id for r in rows] == ["<urn:uuid:1>", "<urn:uuid:3>"]
    assert rows[0].urlkey == "ir,presstv)/detail/2026/11/18/777255/russia-white-helmets"
    assert rows[0].article_id == "777255" and rows[1].article_id is None


def test_articles_are_the_same_whatever_order_the_warcs_are_indexed_in(tmp_path):
    first, second = [record(1, A, when=1)], [record(2, B, when=5, status=404)]
    results = []
    for order, name in (((first, second), "a"), ((second, first), "b")):
        with Index(tmp_path / f"{name}.sqlite") as idx:
            for i, batch in enumerate(order):
                idx.add_warc(OUTLET, f"k{i}", batch, size=1, sha256=None)
            results.append(list(idx.articles("presstv")))
    assert results[0] == results[1]
    (article,) = results[0]
    assert article.hosts == ("presstv.tv", "www.presstv.ir")
    assert article.first_seen == "2026-11-20T08:01:00Z" and article.last_status == 404
    assert article.canonical_url == "https://www.presstv.ir/Detail/2026/11/18/777255/Russia-White-Helmets"


def test_article_rows_are_the_same_when_their_captures_are_read_a_few_articles_at_a_time(tmp_path, monkeypatch):
    """Articles are refreshed ``KEY_CHUNK`` at a time: a chunk boundary changes no row, and an
    article left without captures loses its row whichever chunk it falls in."""
    urls = [f"https://www.presstv.ir/Detail/2026/11/18/77725{n}/Story-{n}" for n in range(5)]
    first = [record(n, url, when=n) for n, url in enumerate(urls)]
    second = [
        record(10 + n, url.replace("www.presstv.ir", "presstv.tv"), when=20 + n) for n, url in enumerate(urls[:2])
    ]
    rows = {}
    for chunk in (2, 500):
        monkeypatch.setattr("archive.index.db.KEY_CHUNK", chunk)
        with Index(tmp_path / f"{chunk}.sqlite") as idx:
            idx.add_warc(OUTLET, "k0", first, size=1, sha256=None)
            idx.add_warc(OUTLET, "k1", second, size=1, sha256=None)
            before = list(idx.articles("presstv"))
            idx.add_warc(OUTLET, "k0", [], size=1, sha256=None)  # the object now holds nothing
            rows[chunk] = (before, list(idx.articles("presstv")))
    assert rows[2] == rows[500]
    before, after = rows[2]
    assert len(before) == 5 and [a.captures for a in before].count(2) == 2
    assert sorted(a.article_id for a in after) == ["777250", "777251"]  # only the articles k1 still captures
    assert {a.hosts for a in after} == {("presstv.tv",)}


def test_last_capture_is_the_newest_of_exactly_that_url(tmp_path):
    with Index(tmp_path / "i.sqlite") as idx:
        idx.add_warc(
            OUTLET, "k", [record(1, A, when=1), record(2, A, when=9), record(3, B, when=20)], size=1, sha256=None
        )
        assert idx.last_capture(A).record_id == "<urn:uuid:2>"
        assert idx.last_capture("https://www.presstv.ir/nothing") is None


def test_indexing_an_object_again_replaces_its_rows_and_drops_articles_left_without_captures(tmp_path):
    """A quarantined object restored: exactly the rows of what it holds now, none of what it held."""
    another = "https://www.presstv.ir/Detail/2026/11/18/777256/another"
    with Index(tmp_path / "i.sqlite") as idx:
        idx.add_warc(OUTLET, "k", [record(1, A), record(2, another)], size=10, sha256=None)
        idx.add_warc(OUTLET, "other", [record(3, A, when=5)], size=10, sha256=None)
        assert idx.add_warc(OUTLET, "k", [record(1, A)], size=10, sha256=None) == 1
        assert [r.record_id for r in idx.captures("presstv")] == ["<urn:uuid:1>", "<urn:uuid:3>"]
        assert [(a.article_id, a.captures) for a in idx.articles("presstv")] == [("777255", 2)]


def test_swap_outlet_replaces_one_outlets_rows_in_one_transaction(tmp_path):
    live, rebuilt = tmp_path / "live.sqlite", tmp_path / "rebuilt.sqlite"
    other = OUTLET.model_copy(update={"name": "other"})
    with Index(live) as idx:
        idx.add_warc(OUTLET, "old", [record(1, A)], size=1, sha256=None)
        idx.add_warc(other, "theirs", [record(9, B)], size=1, sha256=None)
    with Index(rebuilt) as idx:
        idx.add_warc(OUTLET, "old", [record(1, A)], size=1, sha256=None)
        idx.add_warc(OUTLET, "new", [record(2, B)], size=1, sha256=None)
    with Index(live) as idx:
        assert idx.swap_outlet(rebuilt, "presstv") == set()
        assert [r.record_id for r in idx.captures("presstv")] == ["<urn:uuid:1>", "<urn:uuid:2>"]
        assert [r.record_id for r in idx.captures("other")] == ["<urn:uuid:9>"]
        assert idx.object_keys("presstv") == {"old", "new"}


def test_a_disposable_index_keeps_no_write_ahead_log_still_rolls_back_and_swaps_in(tmp_path):
    live, rebuilt = tmp_path / "live.sqlite", tmp_path / "rebuilt.sqlite"
    with Index(rebuilt) as idx:
        idx.make_disposable()
        idx.add_warc(OUTLET, "a", [record(1, A)], size=1, sha256=None)
        with pytest.raises(RuntimeError), idx.transaction():
            idx.add_warc(OUTLET, "b", [record(2, B)], size=1, sha256=None)
            raise RuntimeError("the rebuild failed here")
        assert [r.record_id for r in idx.captures("presstv")] == ["<urn:uuid:1>"]  # "b" rolled back
        assert not Path(f"{rebuilt}-wal").exists()
        assert idx._db.execute("PRAGMA journal_mode").fetchone()[0] == "memory"
        assert idx._db.execute("PRAGMA synchronous").fetchone()[0] == 0  # off
    with Index(live) as idx:
        assert idx.swap_outlet(rebuilt, "presstv") == set()
        assert [r.record_id for r in idx.captures("presstv")] == ["<urn:uuid:1>"]
        assert idx._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"  # the live index keeps its log


def test_swap_outlet_refuses_a_rebuild_that_lacks_objects_indexed_meanwhile(tmp_path):
    live, rebuilt = tmp_path / "live.sqlite", tmp_path / "rebuilt.sqlite"
    with Index(rebuilt) as idx:
        idx.add_warc(OUTLET, "a", [record(1, A)], size=1, sha256=None)
    with Index(live) as idx:
        idx.add_warc(OUTLET, "a", [record(1, A)], size=1, sha256=None)
        idx.add_warc(OUTLET, "b", [record(2, B)], size=1, sha256=None)  # a concurrent index step
        assert idx.swap_outlet(rebuilt, "presstv") == {"b"}
        assert len(list(idx.captures("presstv"))) == 2  # nothing changed
        assert idx.swap_outlet(rebuilt, "presstv", ignore={"b"}) == set()
        assert len(list(idx.captures("presstv"))) == 1


def queued(idx: Index) -> list[str]:
    return [row[0] for row in idx._db.execute("SELECT record_id FROM detect_queue ORDER BY fetched_at, record_id")]


def test_the_index_step_queues_new_article_captures_and_marking_them_detected_drains_the_queue(tmp_path):
    from archive.index import versions as vx

    hub = "https://www.presstv.ir/Section/Iran"
    with Index(tmp_path / "i.sqlite") as idx:
        idx.add_warc(
            OUTLET, "k", [record(1, A, when=1), record(2, hub, when=2), record(3, B, when=3)], size=1, sha256=None
        )
        assert queued(idx) == ["<urn:uuid:1>", "<urn:uuid:3>"]  # the hub page is not an article
        (first, _) = list(vx.pending_captures(idx, "presstv"))
        vx.mark_all_detected(idx, [(first, "live", 1)])
        assert [c.record_id for c in vx.pending_captures(idx, "presstv")] == ["<urn:uuid:3>"]
        idx.add_warc(OUTLET, "k", [record(1, A, when=1), record(3, B, when=3)], size=1, sha256=None)  # again
        assert queued(idx) == ["<urn:uuid:3>"], "a capture detect settled is not queued again"
        vx.clear_derived(idx, "presstv")  # redetect: everything is pending again
        assert queued(idx) == ["<urn:uuid:1>", "<urn:uuid:3>"]


def test_due_articles_come_from_the_stored_moments_earliest_first_and_capped(tmp_path):
    outlet = OUTLET.model_copy(update={"revisit": Revisit(offsets=("1h",), then_every="1d", max_per_run=2)})
    urls = [f"https://www.presstv.ir/Detail/2026/11/18/77725{n}/x" for n in range(4)]
    with Index(tmp_path / "i.sqlite") as idx:
        for n, url in enumerate(urls):  # captured at 08:00, 08:10, 08:20, 08:30
            idx.add_warc(outlet, f"k{n}", [record(n + 1, url, when=10 * n)], size=1, sha256=None)
        due_at = dict(idx._db.execute("SELECT article_id, next_due FROM articles"))
        assert due_at["777250"] == "2026-11-20T09:00:00Z"  # first_seen + 1 h
        assert idx.due_articles(outlet, datetime(2026, 11, 20, 8, 59, tzinfo=UTC)) == []
        assert idx.due_articles(outlet, datetime(2026, 11, 20, 9, 15, tzinfo=UTC)) == urls[:2]


def test_a_changed_revisit_schedule_recomputes_the_due_moments_once(tmp_path):
    with Index(tmp_path / "i.sqlite") as idx:
        idx.add_warc(OUTLET, "k", [record(1, A)], size=1, sha256=None)
        assert idx.follow_schedule(OUTLET) == 1  # the first plan applies the schedule to every article
        assert idx.follow_schedule(OUTLET) == 0
        hourly = OUTLET.model_copy(update={"revisit": Revisit(offsets=(), then_every="1h")})
        assert idx.follow_schedule(hourly) == 1
        assert idx.follow_schedule(hourly) == 0
        assert idx._db.execute("SELECT next_due FROM articles").fetchone()[0] == "2026-11-20T09:00:00Z"


def test_an_index_of_the_previous_release_keeps_its_rows_and_queues_what_detect_had_not_seen(tmp_path):
    """Upgrading keeps the archive: version 5's captures, articles and detect state survive,
    captures detect had not settled are queued, and the due moments are filled on first use."""
    path = tmp_path / "i.sqlite"
    conn = sqlite3.connect(path)
    import sqlite_utils

    db = sqlite_utils.Database(conn)
    for number, migration in enumerate(MIGRATIONS[:5], start=1):
        migration(db)
        conn.execute(f"PRAGMA user_version = {number}")
    for n, url in ((1, A), (2, B)):
        conn.execute(
            "INSERT INTO captures (record_id, outlet, url, urlkey, host, fetched_at, status, record_type, warc, "
            "offset, length, article_id) VALUES (?, 'presstv', ?, ?, 'h', ?, 200, 'response', 'k', 0, 1, '777255')",
            [f"r{n}", url, url, f"2026-11-20T08:0{n}:00Z"],
        )
    conn.execute(
        "INSERT INTO articles (outlet, article_id, canonical_url, first_seen, last_seen, hosts, captures, "
        "last_status) VALUES ('presstv', '777255', ?, '2026-11-20T08:01:00Z', '2026-11-20T08:02:00Z', 'h', 2, 200)",
        [A],
    )
    conn.execute(
        "INSERT INTO detected (record_id, outlet, article_id, version, outcome) "
        "VALUES ('r1', 'presstv', '777255', 1, 'live')"
    )
    conn.commit()
    conn.close()
    another = "https://www.presstv.ir/Detail/2026/11/19/777256/another"
    with Index(path) as idx:
        assert idx.schema_version() == len(MIGRATIONS)
        assert sorted(r.record_id for r in idx.captures("presstv")) == ["r1", "r2"]
        assert queued(idx) == ["r2"]
        idx.add_warc(OUTLET, "new", [record(3, another, when=40)], size=1, sha256=None)  # indexed before any plan
        assert idx.follow_schedule(OUTLET) == 2, "the articles indexed before the upgrade get their moments too"
        due = idx.due_articles(OUTLET, datetime(2026, 11, 20, 9, 0, tzinfo=UTC))  # both +15 min moments passed
        assert due == [A, another]


def test_the_tallies_count_what_the_captures_hold_through_every_replacement(tmp_path):
    """The outlet page and the run summary read per-host, per-status tallies the index step keeps."""
    with Index(tmp_path / "i.sqlite") as idx:
        idx.add_warc(OUTLET, "a", [record(1, A), record(2, B, status=404), record(3, A, when=2)], size=1, sha256=None)
        idx.add_warc(OUTLET, "b", [record(4, B, when=3)], size=1, sha256=None)
        idx.add_warc(OUTLET, "a", [record(1, A)], size=1, sha256=None)  # the object again, smaller
        counted = {
            "captures_per_host": dict(idx._db.execute("SELECT host, count(*) FROM captures GROUP BY host")),
            "status_counts": {
                str(k): v for k, v in idx._db.execute("SELECT status, count(*) FROM captures GROUP BY status")
            },
        }
        summary = idx.summary("presstv")
        assert summary["captures_per_host"] == counted["captures_per_host"] == {"presstv.tv": 1, "www.presstv.ir": 1}
        assert summary["status_counts"] == counted["status_counts"] == {"200": 2}
        assert summary["captures"] == 2
        assert idx._db.execute("SELECT count(*) FROM tallies WHERE captures <= 0").fetchone()[0] == 0


@pytest.mark.parametrize(
    "moment",
    [
        datetime(1, 1, 1, tzinfo=UTC),
        datetime(999, 12, 31, 23, 59, 59, tzinfo=UTC),
        datetime(2026, 12, 3, 22, 0, 1, 999_999, tzinfo=UTC),
        datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC),
    ],
)
def test_utc_iso_is_fixed_width_and_sorts_as_text_for_every_year(moment):
    text = utc_iso(moment)
    assert len(text) == 20 and text.endswith("Z")
    assert parse_utc(text) == moment.replace(microsecond=0)
