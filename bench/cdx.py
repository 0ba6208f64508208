"""CDX lookup and Memento TimeMap latency on an index of a million captures the benchmark writes.

The captures go straight into a fresh index (the project's schema, through ``Index``, rows as
``Capture``s, ``executemany`` in one transaction): articles of the demo outlet on its four
domains over a year, each captured a few times on the primary and on most mirrors (some
under a changed slug, some retracted), and hub pages (home, sections, sitemaps) captured all
year, about a tenth of the rows. Then random URLs (uniform over the distinct URLs) are
looked up two ways:

- ``query``: the functions the routes call, on one read-only index: ``cdx.build_query`` +
  ``cdx.run_query`` + ``cdx.render`` (an exact-URL lookup, CDXJ out), and
  ``memento.mementos`` + ``memento.timemap`` (the article's captures on every domain);
- ``http``: the same requests through the app with FastAPI's TestClient, which adds routing,
  parameter validation, the read-only index the app opens per request, and the response.

Two floors put the ``http`` figures in proportion: a request to an unknown collection (404:
TestClient, routing and an error response, no index) and opening the read-only index alone.
"""

from __future__ import annotations

import base64
import functools
import itertools
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import fields
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import surt

from archive.api import cdx, memento
from archive.config import Config, Outlet, load_config
from archive.index import Capture, Index, utc_iso
from archive.warc import WarcName
from tests.archive.api.support import api_client
from tests.support import write_config

SEED = 20261125
END = datetime(2026, 11, 25, tzinfo=UTC)
SPAN = timedelta(days=365)
CRAWL = timedelta(hours=3)
HUB_SHARE = 0.1
SECTIONS = ("Iran", "World", "Middle-East", "Business", "Politics", "Society", "Sport", "Culture", "Video", "Opinion")
HUB_PATHS = (
    "/",
    "/rss.xml",
    "/sitemap.xml",
    *(f"/Section/{name}" for name in SECTIONS),
    *(f"/SiteMap/{m:%Y-%m}/sitemap-news-{m:%Y-%m}.xml" for m in (END - timedelta(days=30 * i) for i in range(12))),
)
CAPTURE_HOURS = (0, 3, 6, 24, 72, 168, 720)
"""When an article is captured after it appears: the crawl that finds it, then the revisits."""
WORDS = ("Iran", "talks", "sanctions", "Gaza", "oil", "minister", "says", "US", "EU", "deal", "strike", "report")
COLUMNS = tuple(f.name for f in fields(Capture))
INSERT = f"INSERT INTO captures ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"  # noqa: S608
BATCH = 10_000


class _Captures:
    """Deterministic captures of one outlet, streamed; keeps a uniform sample of the distinct URLs."""

    def __init__(self, outlet: Outlet, total: int, sample_size: int) -> None:
        self.outlet, self.total, self.rng = outlet, total, random.Random(SEED)
        self.sample: list[str] = []
        self.urls = self.articles = 0
        self._sample_size = sample_size
        self._offsets: dict[str, int] = {}

    def __iter__(self) -> Iterator[Capture]:
        hubs = [self.outlet.base_url(host) + path for host in self.outlet.domains for path in HUB_PATHS]
        per_hub = max(2, round(self.total * HUB_SHARE / len(hubs)))
        made = 0
        for url in hubs:
            for capture in self._captures_of(url, self._spread(per_hub), article_id=None):
                yield capture
                made += 1
        for article_id in itertools.count(700_000):
            self.articles += 1
            for url, moments in self._article(article_id):
                for capture in self._captures_of(url, moments, article_id=str(article_id)):
                    yield capture
                    made += 1
                    if made >= self.total:
                        return

    def _spread(self, count: int) -> list[datetime]:
        step = SPAN / count
        return [END - SPAN + i * step + timedelta(seconds=self.rng.randint(0, 600)) for i in range(count)]

    def _article(self, article_id: int) -> Iterator[tuple[str, list[datetime]]]:
        """(URL, capture times) per domain it was captured on: always the primary, most mirrors."""
        rng = self.rng
        published = END - SPAN + timedelta(seconds=rng.randint(0, int(SPAN.total_seconds())))
        slug = "-".join(rng.choice(WORDS) for _ in range(rng.randint(4, 10)))
        path = f"/Detail/{published:%Y/%m/%d}/{article_id}/{slug}"
        changed = f"/Detail/{published:%Y/%m/%d}/{article_id}/{slug}-{rng.choice(WORDS)}" if rng.random() < 0.05 else ""
        for host in self.outlet.domains:
            if host != self.outlet.primary and rng.random() > 0.7:
                continue
            count = rng.randint(1, len(CAPTURE_HOURS) if host == self.outlet.primary else 4)
            lag = timedelta(minutes=rng.randint(0, 30))
            moments = [published + lag + timedelta(hours=h, seconds=rng.randint(0, 900)) for h in CAPTURE_HOURS[:count]]
            moments = [m for m in moments if m < END] or [published]
            if changed and len(moments) > 2:  # the slug was edited: later captures are under the new URL
                half = len(moments) // 2
                yield self.outlet.base_url(host) + path, moments[:half]
                yield self.outlet.base_url(host) + changed, moments[half:]
            else:
                yield self.outlet.base_url(host) + path, moments

    def _captures_of(self, url: str, moments: list[datetime], *, article_id: str | None) -> Iterator[Capture]:
        rng = self.rng
        self.urls += 1
        if len(self.sample) < self._sample_size:  # reservoir sampling over the distinct URLs
            self.sample.append(url)
        elif (slot := rng.randrange(self.urls)) < self._sample_size:
            self.sample[slot] = url
        urlkey, host = surt.surt(url), url.split("/")[2]
        retracted = article_id is not None and rng.random() < 0.02
        digest = ""
        for i, moment in enumerate(moments):
            gone = retracted and i == len(moments) - 1 and i > 0
            revisit = bool(digest) and not gone and rng.random() < 0.6
            if not revisit:
                digest = "sha1:" + base64.b32encode(rng.randbytes(20)).decode()
            length = rng.randint(400, 700) if revisit else rng.randint(1_500, 40_000)
            warc = _warc_key(int(moment.timestamp() // CRAWL.total_seconds()))
            offset = self._offsets.get(warc, 0)
            self._offsets[warc] = offset + length
            yield Capture(
                record_id=f"<urn:uuid:{uuid.UUID(int=rng.getrandbits(128), version=4)}>",
                outlet=self.outlet.name,
                url=url,
                urlkey=urlkey,
                host=host,
                fetched_at=utc_iso(moment),
                status=404 if gone else 200,
                mime="text/html" if article_id or "Section" in url or url.endswith("/") else "application/xml",
                payload_digest=digest,
                record_type="revisit" if revisit else "response",
                warc=warc,
                offset=offset,
                length=length,
                article_id=article_id,
                ip_address="203.0.113.7",
            )


@functools.cache
def _warc_key(crawl_number: int) -> str:
    """The WARC of the crawl (one every CRAWL) a capture belongs to."""
    crawl = datetime.fromtimestamp(crawl_number * CRAWL.total_seconds(), UTC)
    return f"demo/{crawl:%Y/%m/%d}/{WarcName(f'demo-{crawl_number:08x}', crawl, 0)}"


def generate(config: Config, total: int, sample_size: int) -> tuple[_Captures, float]:
    """Write ``total`` captures into the config's (new) index; returns the generator and seconds taken."""
    captures = _Captures(config.outlet("demo"), total, sample_size)
    start = time.perf_counter()
    with Index(config.index_path) as idx, idx._db.conn as conn:
        conn.execute("PRAGMA cache_size = -262144")  # 256 MiB for this connection: the four B-trees grow at once
        rows = (tuple(getattr(c, name) for name in COLUMNS) for c in captures)
        while batch := list(itertools.islice(rows, BATCH)):
            conn.executemany(INSERT, batch)
    return captures, time.perf_counter() - start


def plans(idx: Index, outlet: Outlet, url: str) -> dict[str, list[str]]:
    """SQLite's plan for the CDX (exact and prefix/host/domain) and TimeMap queries: EXPLAIN QUERY PLAN
    of the SQL ``cdx.run_query`` and ``memento.mementos`` run. Only exact lookups are timed."""
    found, host = {}, surt.surt(outlet.base_url(outlet.primary) + "/")
    for name, sql, params in (
        (
            "cdx",
            "SELECT * FROM captures WHERE outlet = ? AND fetched_at >= ? AND fetched_at <= ? AND urlkey = ? "
            "ORDER BY urlkey, fetched_at, record_id",
            [outlet.name, "1000-01-01T00:00:00Z", "2999-12-31T23:59:59Z", surt.surt(url)],
        ),
        (
            "cdx_prefix",
            "SELECT * FROM captures WHERE outlet = ? AND fetched_at >= ? AND fetched_at <= ? "
            "AND urlkey >= ? AND urlkey < ? ORDER BY urlkey, fetched_at, record_id",
            [outlet.name, "1000-01-01T00:00:00Z", "2999-12-31T23:59:59Z", host, host + "\U0010ffff"],
        ),
        (
            "timemap",
            "SELECT * FROM captures WHERE outlet = ? AND article_id = ? ORDER BY fetched_at, record_id",
            [outlet.name, outlet.article_id(url)],
        ),
    ):
        found[name] = [row[3] for row in idx._db.execute(f"EXPLAIN QUERY PLAN {sql}", params)]
    return found


def _timed(lookup: Callable[[str], int], urls: list[str]) -> dict[str, float]:
    for url in urls[:50]:  # warm-up: imports, prepared statements, the pages the first lookups touch
        lookup(url)
    samples, sizes = [], []
    for url in urls:
        start = time.perf_counter()
        sizes.append(lookup(url))
        samples.append(time.perf_counter() - start)
    cuts = statistics.quantiles(samples, n=100)
    return {
        "p50_ms": round(1000 * statistics.median(samples), 3),
        "p99_ms": round(1000 * cuts[98], 3),
        "mean_lines": round(statistics.fmean(sizes), 1),
    }


def run(quick: bool = False) -> dict[str, Any]:
    total, lookups = (50_000, 500) if quick else (1_000_000, 2_000)
    with tempfile.TemporaryDirectory(prefix="edittrail-bench-cdx-") as tmp:
        config = load_config(write_config(Path(tmp), port=8765))
        outlet = config.outlet("demo")
        captures, seconds = generate(config, total, sample_size=lookups)
        urls = random.Random(SEED).sample(captures.sample, len(captures.sample))
        article_url = next(u for u in urls if outlet.article_id(u))
        links = memento.Links("http://127.0.0.1:8080/demo/")
        client = api_client(config)
        with Index(config.index_path, readonly=True) as idx:

            def cdx_query(url: str) -> int:
                query = cdx.build_query(outlet, {"url": [url]})
                lines = cdx.run_query(idx, outlet.name, query)
                return len("".join(cdx.render(query, lines)).splitlines())

            def timemap_query(url: str) -> int:
                return len(memento.timemap(links, url, memento.mementos(idx, outlet, url)).splitlines()) - 3

            def get(path: str, **params: str) -> str:
                response = client.get(path, params=params)
                if response.status_code != 200:
                    raise RuntimeError(f"GET {path} {params}: {response.status_code} {response.text[:200]}")
                return str(response.text)

            def floor() -> int:  # routing, an HTTPException and its JSON response: no index, no query
                if client.get("/no-such-collection/cdx").status_code != 404:
                    raise RuntimeError("an unknown collection should be a 404")
                return 1

            def open_index() -> int:
                with Index(config.index_path, readonly=True):
                    return 1

            result = {
                "captures": total,
                "distinct_urls": captures.urls,
                "articles": captures.articles,
                "hosts": len(outlet.domains),
                "generate_s": round(seconds, 1),
                "db_mb": round(config.index_path.stat().st_size / 1e6, 1),
                "lookups": len(urls),
                "plans": plans(idx, outlet, article_url),
                "cdx": {
                    "query": _timed(cdx_query, urls),
                    "http": _timed(lambda u: len(get("/demo/cdx", url=u).splitlines()), urls),
                },
                "timemap": {
                    "query": _timed(timemap_query, urls),
                    "http": _timed(lambda u: len(get(f"/demo/timemap/link/{u}").splitlines()) - 3, urls),
                },
                "http_floor": _timed(lambda _: floor(), urls),
                "open_index": _timed(lambda _: open_index(), urls),
            }
        client.close()
    return result


def table(result: dict[str, Any]) -> str:
    lines = [
        f"CDX lookup and TimeMap latency ({result['captures']:,} captures of {result['distinct_urls']:,} URLs, "
        f"{result['articles']:,} articles on {result['hosts']} hosts; index {result['db_mb']:.0f} MB written in "
        f"{result['generate_s']:.0f} s; {result['lookups']} random URLs)",
        f"{'lookup':<30} {'p50 ms':>8} {'p99 ms':>8} {'lines':>7}",
    ]
    for kind, label in (("cdx", "CDX exact url"), ("timemap", "TimeMap (article-wide)")):
        for layer in ("query", "http"):
            row, name = result[kind][layer], f"{label} {layer}"
            lines.append(f"{name:<30} {row['p50_ms']:>8.2f} {row['p99_ms']:>8.2f} {row['mean_lines']:>7}")
    floor, opening = result["http_floor"], result["open_index"]
    lines.append(
        f"of which TestClient + FastAPI for a 404, p50 {floor['p50_ms']:.2f} ms (p99 {floor['p99_ms']:.2f}); "
        f"opening the read-only index, p50 {opening['p50_ms']:.2f} ms (p99 {opening['p99_ms']:.2f})"
    )
    return "\n".join(lines)
