"""A rebuild detects a crawl or so behind its index step, and detects exactly what detecting after
the whole index step gives: crawls indexed in the order they began, a crawl settled only once
nothing left to index can hold a capture fetched before its last one, and, when a check fails,
everything detected again from the first capture."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from archive import pipeline
from archive.config import Config, load_config
from archive.detect import run as detect_run
from archive.index import Index
from archive.index.objects import in_crawl_order
from archive.storage import StoredObject
from archive.warc import HttpRequestData, HttpResponseData, WarcName, WarcWriter, WrittenExchange, crawl_batch
from archive.warc.records import RevisitOf
from tests.archive.stored_warcs import T0, article_url, sample_page, store_of, write_store
from tests.support import write_config

ARTICLES = 3


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return load_config(write_config(tmp_path, port=8765))


@pytest.fixture
def settled(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """(crawl, captures) of each batch detect settles, in order (its noise is learned first)."""
    seen_batches: list[tuple[str, int]] = []
    learn = detect_run.learn_noise

    def learning(idx, outlet, seen, *rest):  # type: ignore[no-untyped-def]
        seen_batches.append((crawl_batch(seen[0].capture.warc), len(seen)))
        return learn(idx, outlet, seen, *rest)

    monkeypatch.setattr(detect_run, "learn_noise", learning)
    return seen_batches


def rows(config: Config) -> dict[str, list[tuple[object, ...]]]:
    """What detect made, as a reader compares it."""
    queries = {
        "detected": "SELECT record_id, version, outcome FROM detected ORDER BY record_id",
        "versions": "SELECT article_id, version, record_id, whole_hash FROM versions ORDER BY article_id, version",
        "changes": "SELECT change_key, kind, article_id, from_version, to_version, summary, details FROM changes "
        "ORDER BY change_key",
        "host_state": "SELECT article_id, host, state, version, since FROM host_state ORDER BY article_id, host",
        "article_state": "SELECT * FROM article_state ORDER BY outlet, article_id",
        "noise": "SELECT key, kind, field, pattern, slot, articles, example FROM noise_learned ORDER BY key",
    }
    with Index(config.index_path, readonly=True) as idx:
        return {name: idx._db.execute(sql).fetchall() for name, sql in queries.items()}


def detected_after_the_whole_index(config: Config) -> dict[str, list[tuple[object, ...]]]:
    """Index every object, then detect: what a rebuild must give."""
    pipeline.index(config, "demo")
    counts = pipeline.detect(config, "demo")
    return rows(config) | {"counts": [tuple(sorted(counts.items()))]}


def write_crawl_at(
    config: Config,
    name: str,
    opened: datetime,
    fetched: datetime,
    headline: int,
    *,
    articles: int = ARTICLES,
    revisits: dict[int, RevisitOf] | None = None,
    late: dict[int, datetime] | None = None,
) -> list[WrittenExchange]:
    """A crawl's stored object whose file opened at ``opened`` and whose pages were fetched from
    ``fetched`` (``revisits``: articles written as revisits of an earlier record; ``late``:
    articles fetched at another time)."""
    spool = config.spool_dir("demo")
    with WarcWriter(spool, f"demo-{name}", clock=lambda: opened) as writer:
        written = [
            writer.write_exchange(
                HttpRequestData("GET", article_url(n), (("Host", "www.presstv.ir:8765"),)),
                HttpResponseData(200, "OK", (("Content-Type", "text/html; charset=utf-8"),), sample_page(headline)),
                fetched_at=(late or {}).get(n, fetched + timedelta(seconds=n)),
                revisit_of=(revisits or {}).get(n),
            )
            for n in range(articles)
        ]
    (path,) = spool.glob(f"demo-{name}-*.warc.gz")
    store_of(config).put(path, WarcName.parse(path.name).object_key("demo"))
    path.unlink()
    return written


def revisit_of(written: WrittenExchange, n: int, when: datetime) -> RevisitOf:
    assert written.payload_digest is not None
    return RevisitOf(article_url(n), when, written.response_record_id, written.payload_digest)


def k_revisits_c(config: Config, c_named: datetime, c_fetched: datetime, revisit_at: datetime) -> None:
    """Crawl c (its file named at ``c_named``) fetches an article at ``c_fetched``; crawl k, begun at
    T0, fetches another at T0 and, at ``revisit_at``, c's page again as a revisit of c's record."""
    (original,) = write_crawl_at(config, "c", opened=c_named, fetched=c_fetched, headline=2, articles=1)
    revisit = {0: revisit_of(original, 0, c_fetched)}
    late = {0: revisit_at}
    write_crawl_at(config, "k", opened=T0, fetched=T0, headline=2, articles=2, revisits=revisit, late=late)


def reindexed(config: Config, caplog: pytest.LogCaptureFixture) -> tuple[dict[str, list[tuple[object, ...]]], bool]:
    """What a rebuild detects, and whether following started over."""
    caplog.set_level(logging.INFO, logger="archive")
    caplog.clear()
    result = pipeline.reindex(config, "demo")
    return rows(config) | {"counts": [tuple(sorted(result["detect"].items()))]}, "starts over" in caplog.text


def test_a_rebuild_settles_each_crawl_before_the_crawls_after_the_next_are_indexed(config, settled):
    keys = write_store(config, crawls=4, articles=ARTICLES)
    expected = detected_after_the_whole_index(config)
    assert expected["changes"]  # every crawl edits the headline: there is an order to get wrong
    settled.clear()
    indexed_when: dict[str, int] = {}  # crawl -> batches settled when its last object was indexed
    progress = lambda done, total, key: indexed_when.__setitem__(crawl_batch(key), len(settled))  # noqa: E731
    result = pipeline.reindex(config, "demo", progress=progress)
    crawls = [crawl_batch(key) for key in keys]
    assert [crawl for crawl, _ in settled] == crawls
    for number, crawl in enumerate(crawls):  # crawl n is settled once crawl n+1 is indexed, before crawl n+2 is
        assert indexed_when[crawl] == max(0, number - 1)
    assert rows(config) | {"counts": [tuple(sorted(result["detect"].items()))]} == expected


def test_a_crawl_that_began_first_but_fetched_last_waits_for_the_crawls_fetched_before_it(config, caplog):
    # The file of crawl "a" opened first but its pages were fetched last (a run held up): detecting
    # crawls in the order they began would number its headline first.
    write_crawl_at(config, "a", opened=T0, fetched=T0 + timedelta(hours=5), headline=5)
    write_crawl_at(config, "b", opened=T0 + timedelta(hours=1), fetched=T0 + timedelta(hours=1), headline=1)
    write_crawl_at(config, "c", opened=T0 + timedelta(hours=2), fetched=T0 + timedelta(hours=2), headline=2)
    expected = detected_after_the_whole_index(config)
    got, started_over = reindexed(config, caplog)
    assert got == expected and not started_over
    with Index(config.index_path, readonly=True) as idx:
        first = idx._db.execute("SELECT record_id FROM versions WHERE version = 1 LIMIT 1").fetchone()[0]
        warc = idx._db.execute("SELECT warc FROM captures WHERE record_id = ?", [first]).fetchone()[0]
    assert crawl_batch(warc) == "demo-b"  # the first fetched is the first version


def test_a_crawl_whose_name_runs_a_little_ahead_of_its_captures_is_waited_for(config, caplog):
    # Crawl c's host clock named its file 10 minutes late: k's last page, a revisit of c's record,
    # looks fetched before c began. Within CLOCK_SLACK, k waits for c instead of starting over.
    k_revisits_c(config, T0 + timedelta(hours=1, minutes=10), T0 + timedelta(minutes=30), T0 + timedelta(hours=1))
    write_crawl_at(config, "d", opened=T0 + timedelta(hours=2), fetched=T0 + timedelta(hours=2), headline=3)
    expected = detected_after_the_whole_index(config)
    got, started_over = reindexed(config, caplog)
    assert got == expected
    assert not started_over and "holds the rest" not in caplog.text


def test_a_clock_set_back_after_crawls_were_settled_makes_the_rebuild_start_over(config, caplog):
    # a and b are settled before c is indexed; c's host stamped its pages before both.
    write_crawl_at(config, "a", opened=T0, fetched=T0, headline=1)
    write_crawl_at(config, "b", opened=T0 + timedelta(hours=1), fetched=T0 + timedelta(hours=1), headline=2)
    write_crawl_at(config, "c", opened=T0 + timedelta(hours=2), fetched=T0 - timedelta(hours=1), headline=3)
    write_crawl_at(config, "d", opened=T0 + timedelta(hours=3), fetched=T0 + timedelta(hours=3), headline=4)
    expected = detected_after_the_whole_index(config)
    got, started_over = reindexed(config, caplog)
    assert got == expected  # what was settled before c was forgotten, and detected again after it
    assert started_over


def test_a_revisit_of_a_crawl_that_began_later_is_settled_once_that_crawl_is_indexed(config, caplog):
    # Crawl k ran long: its last page is a revisit of a record crawl c (begun after it) wrote.
    k_revisits_c(config, T0 + timedelta(hours=2), T0 + timedelta(hours=2), T0 + timedelta(hours=3))
    write_crawl_at(config, "b", opened=T0 + timedelta(hours=1), fetched=T0 + timedelta(hours=1), headline=1)
    expected = detected_after_the_whole_index(config)
    got, started_over = reindexed(config, caplog)
    assert got == expected
    assert "revisit" not in str(got["detected"])  # the revisit showed its original's page
    assert not started_over and "holds the rest" not in caplog.text  # k waited for c instead


def test_a_revisit_whose_only_original_was_fetched_after_it_waits_for_the_end_of_the_rebuild(config, caplog):
    # The revisit's own original is lost; a crawl two after it fetched the same bytes at the same
    # URL, which is what detecting after the whole index step reads for it.
    (later,) = write_crawl_at(
        config, "z", opened=T0 + timedelta(hours=2), fetched=T0 + timedelta(hours=2), headline=1, articles=1
    )
    lost = revisit_of(later, 0, T0 - timedelta(days=1))
    write_crawl_at(config, "x", opened=T0, fetched=T0, headline=1, articles=1, revisits={0: lost})
    write_crawl_at(config, "y", opened=T0 + timedelta(hours=1), fetched=T0 + timedelta(hours=1), headline=1, articles=1)
    write_crawl_at(config, "w", opened=T0 + timedelta(hours=3), fetched=T0 + timedelta(hours=3), headline=2, articles=1)
    expected = detected_after_the_whole_index(config)
    got, started_over = reindexed(config, caplog)
    assert got == expected
    assert "not an article" not in str(got["detected"])  # the revisit showed the later copy's page
    assert "holds the rest" in caplog.text and not started_over


def test_a_rebuild_whose_crawls_began_in_fetch_order_detects_them_as_it_indexes(config, caplog):
    for crawl, name in enumerate(("z", "y", "x")):  # key order is not the order they began
        when = T0 + timedelta(hours=crawl)
        write_crawl_at(config, name, opened=when, fetched=when, headline=crawl)
    expected = detected_after_the_whole_index(config)
    got, started_over = reindexed(config, caplog)
    assert got == expected
    assert not started_over


def test_a_crawl_of_several_objects_is_settled_once_all_of_them_are_indexed(config, settled, caplog):
    # Crawl m: a shard's file beside its own, and a file it opened after midnight (another day's key).
    write_crawl_at(config, "m", opened=T0, fetched=T0, headline=1, late={1: T0 + timedelta(seconds=4)})
    write_crawl_at(config, "m-s1", opened=T0, fetched=T0 + timedelta(seconds=1), headline=1)  # fetched between
    after_midnight = T0 + timedelta(hours=14)
    write_crawl_at(config, "m", opened=after_midnight, fetched=after_midnight, headline=2)
    write_crawl_at(config, "n", opened=T0 + timedelta(days=2), fetched=T0 + timedelta(days=2), headline=3)
    write_crawl_at(config, "o", opened=T0 + timedelta(days=3), fetched=T0 + timedelta(days=3), headline=4)
    expected = detected_after_the_whole_index(config)
    settled.clear()
    got, started_over = reindexed(config, caplog)
    assert got == expected and not started_over
    assert settled == [("demo-m", 3 * ARTICLES), ("demo-n", ARTICLES), ("demo-o", ARTICLES)]


def test_an_object_not_named_by_the_writer_is_indexed_first_and_detected_in_its_place(config, caplog):
    write_crawl_at(config, "a", opened=T0, fetched=T0, headline=1)
    write_crawl_at(config, "b", opened=T0 + timedelta(hours=2), fetched=T0 + timedelta(hours=2), headline=3)
    (key,) = [p for p in store_of(config).root.rglob("demo-b-*.warc.gz")]
    key.rename(key.with_name("put-by-hand.warc.gz"))  # its crawl's start no name tells
    write_crawl_at(config, "c", opened=T0 + timedelta(hours=1), fetched=T0 + timedelta(hours=1), headline=2)
    expected = detected_after_the_whole_index(config)
    got, started_over = reindexed(config, caplog)
    assert got == expected and not started_over


def stored(key: str) -> StoredObject:
    return StoredObject(key=key, size=1, sha256=None)


def test_objects_come_a_crawl_at_a_time_in_the_order_crawls_began():
    day = "warcs/demo/2026/11/"
    objects = [
        stored(f"{day}19/demo-aaa-20261119000500-00001.warc.gz"),  # crawl aaa went on past midnight
        stored(f"{day}18/demo-zzz-20261118230000-00000.warc.gz"),
        stored(f"{day}18/by-hand.warc.gz"),
        stored(f"{day}18/demo-aaa-s1-20261118233000-00000.warc.gz"),  # a shard of crawl aaa
        stored(f"{day}18/demo-aaa-20261118233000-00000.warc.gz"),
        stored(f"{day}18/demo-probe-20261118231000-00000.warc.gz"),
    ]
    assert [o.key.rsplit("/", 1)[1] for o in in_crawl_order(objects)] == [
        "by-hand.warc.gz",  # of no known time: indexed before anything that could be waited for
        "demo-zzz-20261118230000-00000.warc.gz",
        "demo-probe-20261118231000-00000.warc.gz",
        "demo-aaa-20261118233000-00000.warc.gz",
        "demo-aaa-s1-20261118233000-00000.warc.gz",
        "demo-aaa-20261119000500-00001.warc.gz",
    ]


def test_times_in_names_are_compared_as_moments():
    late = datetime(2026, 11, 18, 23, tzinfo=UTC)
    objects = [
        stored(f"warcs/demo/2026/11/18/demo-{n}-{late - timedelta(hours=n):%Y%m%d%H%M%S}-00000.warc.gz")
        for n in range(3)
    ]
    assert [o.key for o in in_crawl_order(objects)] == [o.key for o in reversed(objects)]
