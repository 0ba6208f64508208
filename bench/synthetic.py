"""A year of the demo outlet's archive, written straight into an index: what bench/scale.py measures on.

The captures are bench/cdx.py's (``_Captures``: articles on the primary and most mirrors,
revisits, retractions, slug changes, hub pages). Beside them go the rows a year of detect
would have left, so that the stages and pages see an archive of that age rather than a
captures table alone:

- ``detected``: one row per article capture. Every capture written here counts as already
  detected under either way of finding pending captures (a LEFT JOIN on ``detected``, or a
  queue that ``Index.add_warc`` fills: nothing here goes through it, and no queue row is written);
- ``versions`` (1 to 3 per article; text from the simulated outlet's word lists, so the
  full-text index has news-like content), ``changes`` (edits, retractions, mirror
  divergences, slug mismatches: a few % of articles), ``host_state``, ``article_state``;
- ``articles`` (as ``Index._refresh_articles`` computes them) and ``warc_objects`` (one per
  crawl's WARC; no bytes exist behind these, so nothing may read them).

Field hashes are SHA-256 of the field text rather than ``archive.detect.fingerprint.fingerprint`` (1.5 ms per
version): detect fingerprints stored versions anew under the noise model anyway.

On top of that history, two real crawls (``real_crawls``): the simulated outlet's pages
under the archive's own URLs, written with the project's WARC writer. The previous crawl is
stored, indexed and detected while building (its records are the originals the next
crawl's revisit records point at); the next one, the batch bench/scale.py times, is only
written. ``cached`` keeps each built archive under ``data/bench/scale-<captures>-<GENERATOR>/``.
"""

from __future__ import annotations

import bisect
import contextlib
import hashlib
import json
import random
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from archive import pipeline
from archive.config import Config, Outlet, load_config
from archive.detect.changes import classify, divergence, fate_change, slug_mismatch
from archive.detect.normalize import FIELDS
from archive.detect.run import version_of
from archive.extract import extract
from archive.index import Capture, Change, Index, Version, utc_iso
from archive.index.schema import MIGRATIONS
from archive.index.versions import version_row
from archive.moments import parse_iso
from archive.simulate import Page, SimulatedOutlet, corpus
from archive.warc import HttpRequestData, HttpResponseData, RevisitOf, WarcWriter, WrittenExchange
from bench.cdx import COLUMNS, END, INSERT, SEED, _Captures
from tests.support import write_config

EDITED = 0.06
"""Chance an article the primary captured more than once was edited after publication (a second version)."""
EDITED_AGAIN = 0.25
"""Share of the edited articles edited once more (a third version)."""
DIVERGED = 0.005
"""Share of articles one mirror kept serving another copy of (a mirror_divergence)."""
SLUG_MISMATCH = 0.02
"""Share of articles whose first headline no longer matched the URL slug."""
DECLARED = 0.5
"""Share of edits that moved "Last Update"."""
FLUSH = 20_000
"""Captures per write transaction (the derived rows of the articles completed meanwhile go with them)."""

VERSION_COLUMNS = tuple(f.name for f in fields(Version))
CHANGE_COLUMNS = (
    "change_key", "outlet", "article_id", "kind", "declared", "host", "from_version", "to_version", "from_record",
    "to_record", "from_time", "to_time", "summary", "diff_text", "diff_html", "section", "details",
)  # fmt: skip
HOST_STATE_COLUMNS = ("outlet", "article_id", "host", "version", "state", "record_id", "since", "since_record")
ARTICLE_STATE_COLUMNS = (
    "outlet", "article_id", "state", "record_id", "current_version", "current_since", "transition_record",
)  # fmt: skip
ARTICLE_COLUMNS = (
    "outlet",
    "article_id",
    "canonical_url",
    "first_seen",
    "last_seen",
    "hosts",
    "captures",
    "last_status",
)
DETECTED_COLUMNS = ("record_id", "outlet", "article_id", "version", "outcome")
WARC_COLUMNS = ("key", "outlet", "size", "sha256", "stored_at", "indexed_at", "records")
TABLES = {
    "detected": DETECTED_COLUMNS,
    "versions": VERSION_COLUMNS,
    "changes": CHANGE_COLUMNS,
    "host_state": HOST_STATE_COLUMNS,
    "article_state": ARTICLE_STATE_COLUMNS,
    "articles": ARTICLE_COLUMNS,
}

Progress = Callable[[str], None]
Value = tuple[str, int | None]
"""What a capture shows: ``("live", version)`` or ``("gone", None)``."""


def insert_sql(table: str, columns: Sequence[str]) -> str:
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"  # noqa: S608


def field_hashes(content: Version) -> tuple[dict[str, str], str]:
    """Per-field SHA-256 and the whole hash, shaped as ``archive.detect.fingerprint.fingerprint``'s
    (cheaper, not equal)."""
    texts = {name: getattr(content, name) for name in FIELDS}
    hashed = {
        name: hashlib.sha256(("\n".join(v) if isinstance(v, tuple) else (v or "")).encode()).hexdigest()
        for name, v in texts.items()
    }
    whole = hashlib.sha256("".join(f"{name}={hashed[name]}\n" for name in FIELDS).encode()).hexdigest()
    return hashed, whole


def _moment(text: str) -> datetime:
    return parse_iso(text)


def _lead(paragraph: str) -> str:
    return paragraph if len(paragraph) <= 200 else paragraph[:197].rsplit(" ", 1)[0] + "..."


@dataclass
class History:
    """Derives one article's detect rows from its captures; rows wait in ``rows`` until written."""

    outlet: Outlet
    rng: random.Random = field(default_factory=lambda: random.Random(SEED + 1))
    rows: dict[str, list[tuple[Any, ...]]] = field(default_factory=lambda: {t: [] for t in TABLES})
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys((*TABLES, "edited"), 0))
    eligible: list[tuple[str, str]] = field(default_factory=list)
    """(first seen, article id) of the articles a real crawl may capture again: one version, never gone."""

    def add(self, article_id: str, captures: list[Capture]) -> None:
        caps = sorted(captures, key=lambda c: (c.fetched_at, c.url))
        rank = {h: i for i, h in enumerate(self.outlet.domains)}
        by_host: dict[str, list[Capture]] = {}
        for c in caps:
            by_host.setdefault(c.host, []).append(c)
        reference = min(by_host, key=lambda h: (rank.get(h, len(rank)), h))
        contents, edits = self._contents(article_id, caps[0], by_host[reference])
        diverging = self._diverging(reference, by_host)
        if diverging is not None:
            contents.append(self._stale_copy(contents[0]))
        numbers: dict[int, int] = {}
        versions: dict[int, Version] = {}
        values: dict[str, Value] = {}
        new: set[str] = set()
        for c in caps:
            if c.status != 200:
                values[c.record_id] = ("gone", None)
                continue
            shown = bisect.bisect_right([t for t, _ in edits], c.fetched_at)
            if c.host == diverging and by_host[c.host].index(c) >= 1:
                shown = len(contents) - 1
            if shown not in numbers:
                number = numbers[shown] = len(numbers) + 1
                content = contents[shown]
                hashes, whole = field_hashes(content)
                versions[number] = replace(
                    content, version=number, record_id=c.record_id, host=c.host, url=c.url,
                    fetched_at=c.fetched_at, hashes=hashes, whole_hash=whole,
                )  # fmt: skip
                new.add(c.record_id)
            values[c.record_id] = ("live", numbers[shown])
        stale = versions.get(numbers.get(len(contents) - 1, 0)) if diverging is not None else None
        self._article_rows(article_id, caps, by_host, reference, values, versions, new, stale)
        if len(versions) == 1 and all(v[0] == "live" for v in values.values()):
            self.eligible.append((caps[0].fetched_at, article_id))

    # -- content --------------------------------------------------------------------------

    def _contents(
        self, article_id: str, first: Capture, reference: list[Capture]
    ) -> tuple[list[Version], list[tuple[str, bool]]]:
        """The article's content as published, then after each edit; ``edits`` are (time, declared)."""
        rng, text_rng = self.rng, corpus.article_rng(SEED, int(article_id))
        section = text_rng.choice(tuple(corpus.SECTIONS))
        topic = corpus.topic_for(text_rng, section)
        day = _moment(first.fetched_at).date()
        paragraphs = corpus.paragraphs_for(text_rng, section, day)
        images = tuple(corpus.photo_url(text_rng, day) for _ in range(1 + (text_rng.random() < 0.5)))
        published = (_moment(first.fetched_at) - timedelta(minutes=text_rng.randint(5, 40))).isoformat()
        base = Version(
            outlet=self.outlet.name, article_id=article_id, version=0, record_id="", host="", url="", fetched_at="",
            whole_hash="", hashes={}, headline=corpus.headline_for(text_rng, section), lead=_lead(paragraphs[0]),
            body=tuple(paragraphs), captions=tuple(corpus.caption_for(text_rng, topic) for _ in images),
            images=images, section=f"News / {topic}", byline=corpus.byline_for(SEED, int(article_id)),
            published=published, last_update=None, slug=unquote(urlsplit(first.url).path.rsplit("/", 1)[-1]),
            extractor=self.outlet.extractor, section_ids=(str(section),),
        )  # fmt: skip
        contents: list[Version] = [base]
        edits: list[tuple[str, bool]] = []
        live = [c for c in reference if c.status == 200 and c.record_type == "response"]
        if len(live) >= 2 and rng.random() < EDITED:
            self.counts["edited"] += 1
            at = rng.randrange(1, len(live))
            moments = [at] + (
                [rng.randrange(at + 1, len(live))] if at + 1 < len(live) and rng.random() < EDITED_AGAIN else []
            )
            for index in moments:
                declared = rng.random() < DECLARED
                when = live[index].fetched_at
                contents.append(self._edited(contents[-1], text_rng, section, day, when if declared else None))
                edits.append((when, declared))
        return contents, edits

    def _edited(self, before: Version, rng: random.Random, section: int, day: Any, declared_at: str | None) -> Version:
        last_update = _moment(declared_at).isoformat() if declared_at else before.last_update
        if rng.random() < 0.55:
            return replace(before, headline=corpus.headline_for(rng, section), last_update=last_update)
        body = list(before.body)
        fresh = corpus.paragraphs_for(rng, section, day)[0]
        if rng.random() < 0.3:
            body.append(fresh)
        else:
            body[rng.randrange(1, len(body))] = fresh
        return replace(before, body=tuple(body), last_update=last_update)

    @staticmethod
    def _stale_copy(base: Version) -> Version:
        return replace(base, body=base.body[:-1])

    def _diverging(self, reference: str, by_host: dict[str, list[Capture]]) -> str | None:
        if self.rng.random() >= DIVERGED:
            return None
        mirrors = [h for h, cs in by_host.items() if h != reference and sum(c.status == 200 for c in cs) >= 2]
        return mirrors[0] if mirrors else None

    # -- rows -----------------------------------------------------------------------------

    def _article_rows(
        self,
        article_id: str,
        caps: list[Capture],
        by_host: dict[str, list[Capture]],
        reference: str,
        values: dict[str, Value],
        versions: dict[int, Version],
        new: set[str],
        stale: Version | None,
    ) -> None:
        name = self.outlet.name
        changes: list[Change] = []
        outcomes: dict[str, str] = {}
        timeline: list[tuple[str, Value]] = []  # the reference's moves: (time, value)
        state = {"state": "live", "record_id": None, "current": None, "since": None, "transition": None}
        first_shown: dict[int, dict[str, str]] = {}  # version → host → first time shown
        for c in caps:
            value = values[c.record_id]
            if value[0] == "live":
                first_shown.setdefault(value[1], {}).setdefault(c.host, c.fetched_at)  # type: ignore[arg-type]
        for c in by_host[reference]:
            value = values[c.record_id]
            current = timeline[-1][1] if timeline else None
            if current == value:
                continue
            timeline.append((c.fetched_at, value))
            if value[0] == "gone":
                last = versions.get(state["current"]) if state["current"] else None
                changes.append(
                    fate_change(
                        "retraction", outlet=name, article_id=article_id, host=c.host, record_id=c.record_id,
                        fetched_at=c.fetched_at, summary=f"HTTP {c.status} from {c.host} after being live", last=last,
                        details={"status": c.status},
                    )
                )  # fmt: skip
                state.update(state="gone", record_id=c.record_id)
                outcomes[c.record_id] = "retraction"
                continue
            number = value[1]
            if state["current"] is not None:
                before, after = versions[state["current"]], versions[number]  # type: ignore[index]
                served = sorted((t, h) for h, t in first_shown[number].items())  # type: ignore[index]
                for change in classify(before, after):
                    details = {**change.details, "served_by": [{"host": h, "first_seen": t} for t, h in served]}
                    changes.append(replace(change, details=details))
                outcomes[c.record_id] = f"edit to version {number}"
            elif self.rng.random() < SLUG_MISMATCH:
                found = slug_mismatch(versions[number])
                changes.extend([found] if found else [])
            state.update(
                state="live", current=number, since=c.fetched_at, transition=c.record_id, record_id=c.record_id
            )
        moves = [t for t, _ in timeline]
        for c in caps:
            value = values[c.record_id]
            if c.record_id in new:
                outcomes[c.record_id] = "new version"
            elif c.record_id not in outcomes:
                at = bisect.bisect_right(moves, c.fetched_at) - 1
                now = timeline[max(at, 0)][1]
                outcomes[c.record_id] = _outcome(value, now)
            self.rows["detected"].append((c.record_id, name, article_id, value[1], outcomes[c.record_id]))
        for host, host_caps in by_host.items():
            self.rows["host_state"].append(self._host_state(article_id, host, host_caps, values))
        if stale is not None:  # a mirror kept another copy longer than the window: one divergence
            shown = timeline[max(bisect.bisect_right(moves, stale.fetched_at) - 1, 0)][1]
            if shown[0] == "live":
                change = divergence(versions[shown[1]], stale, reference_host=reference)  # type: ignore[index]
                changes.extend([change] if change else [])
        self.rows["article_state"].append(
            (
                name,
                article_id,
                state["state"],
                state["record_id"],
                state["current"],
                state["since"],
                state["transition"],
            )
        )
        for version in versions.values():
            row = version_row(version)
            self.rows["versions"].append(tuple(row[c] for c in VERSION_COLUMNS))
        for change in changes:
            row = asdict(change) | {"change_key": change.key, "declared": int(change.declared)}
            row["details"] = json.dumps(dict(change.details), sort_keys=True)
            self.rows["changes"].append(tuple(row[c] for c in CHANGE_COLUMNS))
        base = self.outlet.base_url(self.outlet.primary)
        self.rows["articles"].append(
            (
                name, article_id, base + urlsplit(caps[0].url).path, caps[0].fetched_at, caps[-1].fetched_at,
                ",".join(sorted(by_host)), len(caps), caps[-1].status,
            )
        )  # fmt: skip

    def _host_state(self, article_id: str, host: str, caps: list[Capture], values: dict[str, Value]) -> tuple:
        """What the host showed last, since the first capture of its last unchanged run."""
        last = caps[-1]
        value = values[last.record_id]
        since = last
        for c in reversed(caps):
            if values[c.record_id] != value:
                break
            since = c
        live = [values[c.record_id][1] for c in caps if values[c.record_id][0] == "live"]
        version = value[1] if value[0] == "live" else (live[-1] if live else None)
        return (
            self.outlet.name,
            article_id,
            host,
            version,
            value[0],
            last.record_id,
            since.fetched_at,
            since.record_id,
        )

    def take(self) -> dict[str, list[tuple[Any, ...]]]:
        """The rows made since the last call."""
        rows, self.rows = self.rows, {t: [] for t in TABLES}
        for table, batch in rows.items():
            self.counts[table] += len(batch)
        return rows


def _outcome(value: Value, now: Value) -> str:
    if value[0] == "gone":
        return "gone"
    if value == now:
        return "same"
    current = f"version {now[1]}" if now[0] == "live" else now[0]
    return f"lagging or ahead: shows version {value[1]}, the article {current}"


def write_history(config: Config, total: int, sample_size: int, progress: Progress) -> dict[str, Any]:
    """Write ``total`` captures and their derived rows into the config's (new) index; returns counts,
    the sampled URLs (uniform over distinct URLs) and the articles a crawl may capture again."""
    outlet = config.outlet("demo")
    captures = _Captures(outlet, total, sample_size)
    history = History(outlet)
    objects: dict[str, list[Any]] = {}
    start = time.perf_counter()
    with Index(config.index_path) as idx:
        conn = idx._db.conn
        conn.execute("PRAGMA cache_size = -262144")  # 256 MiB: a dozen B-trees grow at once
        conn.execute("PRAGMA synchronous = OFF")  # a cache: a crash means building it again
        buffer: list[Capture] = []
        article: list[Capture] = []
        for made, generated in enumerate(captures, 1):
            # bench/cdx.py keeps the port in ``host``; the indexer stores the host name alone.
            capture = replace(generated, host=generated.host.split(":")[0])
            buffer.append(capture)
            entry = objects.setdefault(capture.warc, [0, 0, capture.fetched_at])
            entry[0] += capture.length
            entry[1] += 1
            entry[2] = max(entry[2], capture.fetched_at)
            if article and capture.article_id != article[0].article_id:
                history.add(str(article[0].article_id), article)
                article = []
            if capture.article_id is not None:
                article.append(capture)
            if len(buffer) >= FLUSH:
                _flush(conn, buffer, history)
                buffer = []
            if made % 100_000 == 0:
                progress(f"{made:,} / {total:,} captures ({time.perf_counter() - start:.0f} s)")
        if article:
            history.add(str(article[0].article_id), article)
        _flush(conn, buffer, history)
        with conn:
            conn.executemany(
                insert_sql("warc_objects", WARC_COLUMNS),
                [
                    (key, outlet.name, size, hashlib.sha256(key.encode()).hexdigest(), last, last, records)
                    for key, (size, records, last) in objects.items()
                ],
            )
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return {
        "captures": total,
        "distinct_urls": captures.urls,
        "articles": history.counts["articles"],
        "edited_articles": history.counts["edited"],
        "rows": {table: history.counts[table] for table in TABLES} | {"warc_objects": len(objects)},
        "sample": captures.sample,
        "eligible": sorted(history.eligible, reverse=True),
        "seconds": round(time.perf_counter() - start, 1),
        "built_at": utc_iso(datetime.now(UTC)),
    }


def _flush(conn: Any, captures: list[Capture], history: History) -> None:
    with conn:
        conn.executemany(INSERT, [tuple(getattr(c, name) for name in COLUMNS) for c in captures])
        for table, rows in history.take().items():
            if rows:
                conn.executemany(insert_sql(table, TABLES[table]), rows)


# -- real crawls on top of the history ----------------------------------------------------

PREVIOUS_AT = END + timedelta(hours=6)
BATCH_AT = END + timedelta(hours=9)
"""The crawl before the timed batch, and the timed batch: 3 hours apart, after the whole history."""
RECAPTURED = 90
"""Known articles (the most recently published that stayed single-version) both real crawls fetch."""
NEW_ARTICLES = 60
HUBS = ("/", "/rss.xml", "/sitemap.xml", "/Section/101", "/Section/102")
EVENTS = (("headline", 8), ("body", 4), ("retract", 3), ("redirect", 2), ("diverge", 2))
"""What the outlet did to the recaptured articles between the two crawls; the others stay unchanged
(half of those fetched byte for byte as before, so written as revisit records)."""
MIRROR_SHARE = 0.7
"""Chance a new article is also fetched on each mirror (bench/cdx.py's share)."""


@dataclass
class Crawl:
    """One real crawl: exchanges written with the project's WARC writer at one-second steps."""

    outlet: Outlet
    writer: WarcWriter
    start: datetime
    counts: dict[str, int] = field(default_factory=dict)
    written: dict[str, tuple[WrittenExchange, datetime, bytes]] = field(default_factory=dict)

    def fetch(self, url: str, page: Page, kind: str, revisit_of: RevisitOf | None = None) -> None:
        host = urlsplit(url).hostname or ""
        at = self.start + timedelta(seconds=sum(self.counts.values()))
        request = HttpRequestData("GET", url, (("Host", urlsplit(url).netloc),))
        headers = (("Content-Type", page.content_type), ("Content-Length", str(len(page.body))), *page.headers)
        response = HttpResponseData(page.status, HTTPStatus(page.status).phrase, headers, page.body)
        done = self.writer.write_exchange(
            request, response, ip_address="127.0.0.1", fetched_at=at, revisit_of=revisit_of
        )
        self.written[url] = (done, at, page.body)
        self.counts[kind] = self.counts.get(kind, 0) + 1
        if host not in self.outlet.domains:
            raise ValueError(f"{url}: not a host of the outlet")


def real_crawls(config: Config, eligible: list[tuple[str, str]], batch_dir: Path) -> dict[str, Any]:
    """Crawl twice, with the simulated outlet's pages under the archive's URLs.

    The previous crawl fetches the hub pages and RECAPTURED known articles on the hosts that
    captured them, and is stored, indexed and detected here (its records are the originals the
    batch's revisit records refer to). The batch (written to ``batch_dir``, not stored) fetches
    the same articles after the outlet edited, retracted, redirected or let a mirror diverge
    some of them, NEW_ARTICLES articles published since, and the hubs again.
    """
    outlet = config.outlet("demo")
    rng = random.Random(SEED + 2)
    sim = SimulatedOutlet(articles=RECAPTURED + NEW_ARTICLES + 10, today=BATCH_AT.date(), port=outlet.port, seed=7)
    sim_ids = [i for i in sim.site.article_ids() if i != sim.sample_id]
    fresh, known = sim_ids[:NEW_ARTICLES], sim_ids[NEW_ARTICLES : NEW_ARTICLES + RECAPTURED]
    chosen = [article_id for _, article_id in eligible[:RECAPTURED]]
    if len(chosen) < RECAPTURED:
        raise ValueError(f"only {len(chosen)} articles can be captured again; build a larger archive")
    with Index(config.index_path) as idx:
        urls = {a: _latest_urls(idx, outlet, a) for a in chosen}
        newest = idx._db.execute("SELECT max(CAST(article_id AS INTEGER)) FROM articles").fetchone()[0]
    pairs = list(zip(chosen, known, strict=True))
    previous = Crawl(
        outlet, WarcWriter(config.spool_dir(outlet.name), "demo-prev", clock=lambda: PREVIOUS_AT), PREVIOUS_AT
    )
    with previous.writer:
        _hubs(previous, sim, outlet)
        for article_id, sim_id in pairs:
            for url in urls[article_id].values():
                previous.fetch(url, sim.page_for(urlsplit(url).hostname or "", sim.article_path(sim_id)), "article")
    with Index(config.index_path) as idx, idx._db.conn:
        for article_id, _ in pairs:  # the history's version is what the outlet served: the same text
            _adopt(idx, outlet, article_id, previous.written[urls[article_id][outlet.primary]])
    pipeline.store(config, outlet.name)
    indexed = pipeline.index(config, outlet.name)
    detected = pipeline.detect(config, outlet.name)
    events = [kind for kind, count in EVENTS for _ in range(count)]
    order = rng.sample(range(len(pairs)), len(pairs))
    acted = {order[i]: kind for i, kind in enumerate(events)}
    for index, kind in acted.items():
        article_id, sim_id = pairs[index]
        _act(sim, kind, sim_id, urls[article_id], known, rng, outlet)
    batch = Crawl(outlet, WarcWriter(batch_dir, "demo-batch", clock=lambda: BATCH_AT), BATCH_AT)
    with batch.writer:
        _hubs(batch, sim, outlet)
        for index, (article_id, sim_id) in enumerate(pairs):
            for host, url in urls[article_id].items():
                page = sim.page_for(host, sim.article_path(sim_id))
                done, at, body = previous.written[url]
                if index in acted:
                    batch.fetch(url, page, acted[index])
                elif index % 2 == 0:  # unchanged, byte for byte: a revisit record
                    same = replace(page, body=body)
                    batch.fetch(
                        url, same, "unchanged_revisit", RevisitOf(url, at, done.response_record_id, done.payload_digest)
                    )
                else:  # unchanged text, but the counters and the clock moved: a response
                    batch.fetch(url, page, "unchanged_response")
        for number, sim_id in enumerate(fresh):
            path = sim.article_path(sim_id).replace(f"/{sim_id}/", f"/{newest + 100 + number}/")
            for host in outlet.domains:
                if host == outlet.primary or rng.random() < MIRROR_SHARE:
                    batch.fetch(
                        outlet.base_url(host) + path, sim.page_for(host, sim.article_path(sim_id)), "new_article"
                    )
    hubs = batch.counts["hub"]
    return {
        "previous": {"exchanges": sum(previous.counts.values()), "index": indexed, "detect": detected},
        "batch": {
            "warc": batch.writer.closed_files[0].name,
            "exchanges": sum(batch.counts.values()),
            "article_captures": sum(batch.counts.values()) - hubs,
            "revisits": batch.counts.get("unchanged_revisit", 0),
            "kinds": dict(sorted(batch.counts.items())),
            "recaptured_articles": len(pairs),
            "new_articles": len(fresh),
        },
    }


def _latest_urls(idx: Index, outlet: Outlet, article_id: str) -> dict[str, str]:
    """The URL each host last served the article under (a changed slug moves it), hosts in failover order."""
    rows = dict(
        (host, url)
        for host, url, _ in idx._db.execute(
            "SELECT host, url, max(fetched_at) FROM captures WHERE outlet = ? AND article_id = ? GROUP BY host",
            [outlet.name, article_id],
        )
    )
    return {host: rows[host] for host in outlet.domains if host in rows}


def _adopt(idx: Index, outlet: Outlet, article_id: str, written: tuple[WrittenExchange, datetime, bytes]) -> None:
    """Give the article's one stored version the text its page really has (extracted as detect does)."""
    _, _, body = written
    row = idx._db.execute(
        "SELECT url FROM versions WHERE outlet = ? AND article_id = ? AND version = 1", [outlet.name, article_id]
    ).fetchone()
    capture = Capture(
        record_id="",
        outlet=outlet.name,
        url=row[0],
        urlkey="",
        host=outlet.primary,
        fetched_at="",
        status=200,
        mime="text/html",
        payload_digest=None,
        record_type="response",
        warc="",
        offset=0,
        length=0,
        article_id=article_id,
        ip_address=None,
    )
    content = version_row(version_of(outlet, capture, extract(outlet.extractor, body, row[0])))
    columns = [
        c
        for c in VERSION_COLUMNS
        if c not in ("outlet", "article_id", "version", "record_id", "host", "url", "fetched_at")
    ]
    idx._db.execute(
        f"UPDATE versions SET {', '.join(f'{c} = ?' for c in columns)} "  # noqa: S608 (the dataclass's fields)
        "WHERE outlet = ? AND article_id = ? AND version = 1",
        [*(content[c] for c in columns), outlet.name, article_id],
    )


def _hubs(crawl: Crawl, sim: SimulatedOutlet, outlet: Outlet) -> None:
    for host in outlet.domains:
        for path in HUBS:
            crawl.fetch(outlet.base_url(host) + path, sim.page_for(host, path), "hub")


def _act(
    sim: SimulatedOutlet,
    kind: str,
    sim_id: int,
    urls: dict[str, str],
    known: list[int],
    rng: random.Random,
    outlet: Outlet,
) -> None:
    """One act of the outlet on a recaptured article, through the simulated outlet's own events."""
    if kind == "headline":
        sim.edit_headline(sim_id, f"{sim.site.get(sim_id).headline}, officials say", declared=rng.random() < DECLARED)
    elif kind == "body":
        text = f"Officials later revised the figure to {sim_id % 9973} people, the ministry said on its website."
        sim.edit_body(sim_id, replace={1: text}, declared=False)  # unique: a text in two articles is template noise
    elif kind == "retract":
        sim.retract(sim_id, rng.choice((404, 410)))
    elif kind == "redirect":
        sim.redirect(sim_id, rng.choice([k for k in known if k != sim_id]))
    elif kind == "diverge":
        mirrors = [h for h in urls if h != outlet.primary] or [outlet.mirrors[0]]
        sim.diverge(mirrors[0], sim_id, headline=f"{sim.site.get(sim_id).headline} (an earlier copy)")


# -- the cache ----------------------------------------------------------------------------

GENERATOR = "v1"
"""Bump when anything above changes what is built: cached archives of another version are not used."""
PORT = 8765
SAMPLE = 1000
"""Distinct URLs sampled uniformly while generating, for the lookups."""


def schema_of(index_path: Path | None) -> list[tuple[str, str, str | None]]:
    """The tables, indexes and triggers of an index, as SQLite records them; of a new index for None."""
    if index_path is None:
        with tempfile.TemporaryDirectory() as tmp:
            Index(Path(tmp) / "new.sqlite").close()
            return schema_of(Path(tmp) / "new.sqlite")
    with contextlib.closing(sqlite3.connect(f"file:{index_path}?mode=ro", uri=True)) as conn:
        return conn.execute("SELECT type, name, sql FROM sqlite_master ORDER BY type, name").fetchall()


@dataclass(frozen=True)
class Archive:
    """A built archive: ``outlets.toml``, ``data/index.sqlite``, ``data/store`` (the previous crawl's
    WARC) and ``batch/`` (the timed batch's WARC), with ``meta.json`` saying what they hold."""

    directory: Path
    meta: dict[str, Any]

    @property
    def config(self) -> Config:
        return load_config(self.directory / "outlets.toml")

    @property
    def batch_warc(self) -> Path:
        return self.directory / "batch" / self.meta["crawls"]["batch"]["warc"]


def cached(total: int, root: Path, progress: Progress) -> Archive:
    """The archive of ``total`` captures under ``root``: built once (minutes at a million), then reused.

    A build goes to a ``.partial`` directory renamed when complete, so an interrupted one is
    never taken for a cache. The cached index is migrated to the current schema here, once,
    rather than in a timed stage; one whose schema then differs from what the current code
    creates (a newer one, or a migration edited before it shipped) is built again.
    """
    directory = root / f"scale-{total}-{GENERATOR}"
    if (directory / "meta.json").exists():
        archive = Archive(directory, json.loads((directory / "meta.json").read_text()))
        index_path = archive.config.index_path
        with contextlib.closing(sqlite3.connect(index_path)) as conn:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version <= len(MIGRATIONS):
            with Index(index_path) as idx:
                idx._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            if schema_of(index_path) == schema_of(None):
                return archive
        progress("the cached archive's schema is not the one this code creates: building again")
    partial = directory.with_name(directory.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    shutil.rmtree(directory, ignore_errors=True)
    partial.mkdir(parents=True)
    config = load_config(write_config(partial, port=PORT))
    progress(f"building {total:,} captures in {directory}")
    history = write_history(config, total, SAMPLE, progress)
    with Index(config.index_path) as idx:  # each article's next revisit, where the schema keeps it
        follow = getattr(idx, "follow_schedule", None)
        if follow is not None:
            follow(config.outlet("demo"))
    progress(f"history written in {history['seconds']:.0f} s; the previous crawl and the batch")
    crawls = real_crawls(config, history.pop("eligible"), partial / "batch")
    with Index(config.index_path) as idx:
        idx._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    meta = {
        "generator": GENERATOR,
        "history": history,
        "crawls": crawls,
        "db_mb": round(config.index_path.stat().st_size / 1e6, 1),
    }
    (partial / "meta.json").write_text(json.dumps(meta, indent=1) + "\n")
    partial.rename(directory)
    return Archive(directory, meta)
