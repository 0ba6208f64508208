"""One WARC file name: what the writer calls a file, the store calls its object, detect calls its crawl."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from archive.warc import (
    HttpRequestData,
    HttpResponseData,
    WarcName,
    WarcNameError,
    WarcWriter,
    crawl_batch,
    is_closed,
    store_prefix,
)

NAME = "demo-20261125T105500Z-3f9a1c-20261125105501-00000.warc.gz"
OPENED = datetime(2026, 11, 25, 10, 55, 1, tzinfo=UTC)


def test_name_reads_back_as_built():
    name = WarcName("demo-20261125T105500Z-3f9a1c", OPENED, 0)
    assert str(name) == NAME
    assert WarcName.parse(NAME) == name


def test_parse_takes_a_path_or_a_store_key():
    assert WarcName.parse(f"warcs/demo/2026/11/25/{NAME}").opened_at == OPENED
    assert WarcName.parse(f"/var/spool/demo/{NAME}").serial == 0


def test_object_key_is_partitioned_by_the_day_the_file_was_opened():
    assert WarcName.parse(NAME).object_key("demo") == f"warcs/demo/2026/11/25/{NAME}"
    assert store_prefix("demo") == "warcs/demo/"
    assert store_prefix("demo", date(2026, 11, 5)) == "warcs/demo/2026/11/05/"


def test_the_file_time_is_utc_to_the_second():
    name = WarcName("x", datetime(2026, 11, 25, 10, 55, 1, 987654, tzinfo=UTC), 7)
    assert name.opened_at == OPENED and str(name) == "x-20261125105501-00007.warc.gz"


def test_a_writer_past_99999_files_still_makes_names_that_parse():
    assert WarcName.parse(str(WarcName("big", OPENED, 123456))).serial == 123456


def test_the_crawl_of_a_shard_is_the_crawl_it_was_split_from():
    assert WarcName.parse("demo-00aa11bb-s3-20261125100000-00002.warc.gz").crawl == "demo-00aa11bb"
    assert WarcName.parse("demo-probe-0a1b2c3d-20261125100000-00000.warc.gz").crawl == "demo-probe-0a1b2c3d"


def test_crawl_batch_counts_open_and_set_aside_files_and_keeps_odd_names_apart():
    assert crawl_batch("demo-00aa11bb-s1-20261125100000-00001.warc.gz.open") == "demo-00aa11bb"
    assert crawl_batch("demo-00aa11bb-20261125100000-00000.warc.gz.damaged") == "demo-00aa11bb"
    assert crawl_batch("warcs/demo/by-hand.warc.gz") == "by-hand.warc.gz"


@pytest.mark.parametrize(
    "bad",
    [
        NAME + ".open",  # still being written
        "demo-20261125105501.warc.gz",  # no serial
        "demo-20261325105501-00000.warc.gz",  # month 13
        "demo-20261125105501-00000.warc",
        "-20261125105501-00000.warc.gz",  # no prefix
    ],
)
def test_parse_says_what_a_closed_warc_file_is_called(bad):
    with pytest.raises(WarcNameError, match=r"<prefix>-<YYYYMMDDHHMMSS>-<serial>\.warc\.gz"):
        WarcName.parse(bad)


def test_a_name_needs_a_utc_time_and_a_prefix_without_slashes():
    with pytest.raises(WarcNameError, match="timezone-aware"):
        WarcName("demo", datetime(2026, 11, 25), 0)  # noqa: DTZ001 (the mistake under test)
    with pytest.raises(WarcNameError, match="no '/'"):
        WarcName("demo/x", OPENED, 0)


def test_the_writer_names_its_files_with_warc_name(tmp_path):
    with WarcWriter(tmp_path, "crawl-s0", clock=lambda: OPENED) as writer:
        writer.write_exchange(
            HttpRequestData("GET", "http://example.com/", ()), HttpResponseData(200, "OK", (), b"x"), fetched_at=OPENED
        )
    (closed,) = writer.closed_files
    assert WarcName.parse(closed.name) == WarcName("crawl-s0", OPENED, 0)
    assert is_closed(closed.name) and not is_closed(closed.name + ".open")
