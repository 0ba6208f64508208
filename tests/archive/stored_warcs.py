"""A local store of real WARC objects, and the three ways the reliability audit damaged them.

Each object is one crawl (its own WARC prefix, an hour apart) of the same articles, served
the fixture page ``sample.html`` with the headline changed per crawl, so detect makes
versions and changes of them. Damage is done to the stored bytes: a flip of 8 bytes inside
a response's gzip member, a cut at 60 %, and a tamper that recompresses one member with a
word changed (the gzip stays valid, the block digest does not, later offsets move). What a
damaged object still holds is worked out here with zlib alone, independently of the reader.
"""

from __future__ import annotations

import gzip
import json
import re
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from archive.config import Config, store_for
from archive.storage.local import LocalStore
from archive.warc import HttpRequestData, HttpResponseData, WarcName, WarcWriter

PAGES = Path(__file__).parents[1] / "fixtures" / "pages"
T0 = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)
HEADLINE = b"Russia: White Helmets plotting"
TAMPERED_WORD = (b"Idlib", b"IDLIB")
_RECORD_ID = re.compile(rb"WARC-Record-ID: (<[^>]+>)")
_TYPE = re.compile(rb"WARC-Type: (\w+)")


@dataclass(frozen=True)
class Member:
    """One gzip member of a WARC file: where it is, and the record in it."""

    offset: int
    length: int
    record_type: str
    record_id: str


def article_url(n: int) -> str:
    return f"http://www.presstv.ir:8765/Detail/2026/11/18/{777255 + n}/story-{n}"


def sample_page(crawl: int) -> bytes:
    return (PAGES / "sample.html").read_bytes().replace(HEADLINE, HEADLINE + b" (crawl %d)" % crawl)


def write_spool(config: Config, crawl: int, articles: int, body: Callable[[int], bytes] | None = None) -> Path:
    """One crawl's closed WARC file in the spool, as the crawl leaves it for the store step."""
    when = T0 + timedelta(hours=crawl)
    spool = config.spool_dir("demo")
    with WarcWriter(spool, f"demo-{crawl:08x}", clock=lambda: when) as writer:
        for n in range(articles):
            url = article_url(n)
            writer.write_exchange(
                HttpRequestData("GET", url, (("Host", "www.presstv.ir:8765"),)),
                HttpResponseData(
                    200, "OK", (("Content-Type", "text/html; charset=utf-8"),), (body or sample_page)(crawl)
                ),
                fetched_at=when + timedelta(seconds=n),
            )
    (path,) = spool.glob(f"demo-{crawl:08x}-*.warc.gz")
    return path


def write_crawl(config: Config, crawl: int, articles: int) -> str:
    """One crawl's WARC file, stored; returns its key."""
    path = write_spool(config, crawl, articles)
    obj = store_of(config).put(path, WarcName.parse(path.name).object_key("demo"))
    path.unlink()
    return obj.key


def write_store(config: Config, crawls: int = 4, articles: int = 5) -> list[str]:
    """``crawls`` stored WARC objects of ``articles`` captures each, in key order."""
    return sorted(write_crawl(config, crawl, articles) for crawl in range(crawls))


def store_of(config: Config) -> LocalStore:
    store = store_for(config, config.outlet("demo"))
    assert isinstance(store, LocalStore)
    return store


def path_of(config: Config, key: str) -> Path:
    return store_of(config).root / key


def members(data: bytes) -> list[Member]:
    """Every whole gzip member from the start, found with zlib alone; stops at the first that is not."""
    found, offset = [], 0
    while offset < len(data):
        inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)
        try:
            raw = inflater.decompress(data[offset:])
        except zlib.error:
            break
        if not inflater.eof:
            break
        length = len(data) - offset - len(inflater.unused_data)
        kind, record_id = _TYPE.search(raw), _RECORD_ID.search(raw)
        assert kind and record_id
        found.append(Member(offset, length, kind.group(1).decode(), record_id.group(1).decode()))
        offset += length
    return found


def responses(data: bytes) -> list[Member]:
    return [m for m in members(data) if m.record_type == "response"]


def flip(path: Path, response: int) -> set[str]:
    """XOR 8 bytes in the middle of the ``response``-th response's member; returns the record ids
    still readable in order (every record before it)."""
    data = bytearray(path.read_bytes())
    target = responses(bytes(data))[response]
    middle = target.offset + target.length // 2
    data[middle : middle + 8] = bytes(b ^ 0xFF for b in data[middle : middle + 8])
    path.write_bytes(bytes(data))
    return {m.record_id for m in responses(bytes(data)) if m.offset < target.offset}


def truncate(path: Path, fraction: float = 0.6) -> set[str]:
    """Cut the object to ``fraction`` of its size; returns the ids of the responses still whole."""
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * fraction)])
    return {m.record_id for m in responses(path.read_bytes())}


def tamper(path: Path, response: int) -> set[str]:
    """Recompress the ``response``-th response with one word changed (same length, so the record
    still parses and only its digest is wrong); returns the ids of every other response."""
    data = path.read_bytes()
    target = responses(data)[response]
    raw = gzip.decompress(data[target.offset : target.offset + target.length])
    assert TAMPERED_WORD[0] in raw
    changed = gzip.compress(raw.replace(*TAMPERED_WORD), mtime=0)
    path.write_bytes(data[: target.offset] + changed + data[target.offset + target.length :])
    return {m.record_id for m in responses(data)} - {target.record_id}


def record_ids(data: bytes) -> set[str]:
    return {m.record_id for m in responses(data)}


def report(started: datetime, **extra: object) -> str:
    """A finished run report as the spider writes it."""
    body = {"run_id": "r", "finish_reason": "finished", "started_at": started.isoformat(), "exchanges_archived": 1}
    return json.dumps(body | extra)
