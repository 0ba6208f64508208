"""The crawl's revisit decision: a repeated 2xx payload of the same URL and status is a revisit
of the record that holds it; anything else is written whole."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from archive.warc import HttpRequestData, HttpResponseData, PreviousCaptures, WarcWriter, iter_records
from archive.warc.records import RevisitOf, payload_digest

URL = "http://www.presstv.ir/Detail/2026/11/20/777400/story"
T0 = datetime(2026, 11, 20, 8, tzinfo=UTC)


def write(previous: PreviousCaptures, writer: WarcWriter, n: int, status: int, body: bytes) -> RevisitOf | None:
    _, revisit = previous.write(
        writer, HttpRequestData("GET", URL, ()), HttpResponseData(status, "X", (), body), fetched_at=T0 + timedelta(n)
    )
    return revisit


def test_a_repeated_payload_revisits_the_record_holding_it_and_anything_else_is_whole(tmp_path):
    previous = PreviousCaptures()
    with WarcWriter(tmp_path, "t") as writer:
        assert write(previous, writer, 0, 200, b"first") is None
        holder = write(previous, writer, 1, 200, b"first")
        assert holder is not None and holder.date == T0 and holder.payload_digest == payload_digest(b"first")
        assert write(previous, writer, 2, 200, b"first") == holder  # a revisit of a revisit names the original
        assert write(previous, writer, 3, 404, b"first") is None  # another status: kept whole, as evidence
        assert write(previous, writer, 4, 200, b"") is None  # no body, nothing to repeat
        assert write(previous, writer, 5, 200, b"edited") is None
    (path,) = writer.closed_files
    with path.open("rb") as stream:
        kinds = [r.record_type for r in iter_records(stream, name=path.name) if r.record_type != "request"]
    assert kinds == ["warcinfo", "response", "revisit", "revisit", "response", "response", "response"]


def test_earlier_crawls_are_asked_only_when_this_crawl_has_not_fetched_the_url(tmp_path):
    earlier = RevisitOf(URL, T0 - timedelta(days=1), "<urn:uuid:earlier>", payload_digest(b"old"))
    asked: list[str] = []
    closed: list[bool] = []
    previous = PreviousCaptures(lambda url: asked.append(url) or (200, earlier), close=lambda: closed.append(True))
    with WarcWriter(tmp_path, "t") as writer:
        assert write(previous, writer, 0, 200, b"old") == earlier
        assert write(previous, writer, 1, 200, b"new") is None
        assert write(previous, writer, 2, 200, b"new") is not None
    assert asked == [URL]  # later fetches find what this crawl wrote first
    previous.close()
    assert closed == [True]
