"""The detect stage: turn new article captures into versions and changes.

Extraction runs from the stored WARC record, never from a second fetch, so any capture can be
re-extracted later and a rebuilt index detects exactly what the first pass did. Captures are
processed in the order they were fetched; per article the stage keeps what each host last
showed (``host_state``) and the article's fate (``article_state``), so that:

- an edit seen on four mirrors is one new version and one set of changes (the other hosts
  show a content that is already a known version);
- a retraction is reported once, when the first host that served the article stops serving
  it, and a restoration only when a host that had stopped serves it again;
- a redirect to another article is reported once per target;
- a return to an earlier version is a *revert* (reported against the version the article
  showed until then, ``article_state.current_version``), but a mirror that still shows an
  older version, or catches up with the current one, reports nothing: it lags.

After the batch, the domains' latest copies of each article touched are compared
(``archive.divergence``): a mirror that shows another version than the primary within the
outlet's ``divergence_window`` is one ``mirror_divergence`` change, not an edit.

A page that is not an article (a seizure notice served with 200 by a mirror, an error page)
makes no version and no change; its capture is marked "not an article: <why>". A store that
cannot be read right now leaves the capture, and every later capture of that article, for
the next run, so that captures are always detected in the order they were fetched.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urljoin, urlsplit

import sqlite_utils

from archive.changes import Change, Version, classify, fate_change, slug_mismatch
from archive.config import Config, Outlet
from archive.divergence import find_divergences
from archive.errors import EdittrailError, StoreError
from archive.extract import Extracted, extract, html_from_record
from archive.index import Index
from archive.index import versions as vx
from archive.normalize import fingerprint
from archive.storage import ObjectStore
from archive.warc import load_record

log = logging.getLogger(__name__)

GONE_STATUSES = frozenset({404, 410})
_SHARD = re.compile(r"-s\d+$")
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


def detect(config: Config, outlet_name: str, store: ObjectStore) -> dict[str, Any]:
    """Process every capture of the outlet that detect has not seen; returns counts."""
    outlet = config.outlet(outlet_name)
    counts = {"captures": 0, "versions": 0, "changes": 0, "errors": 0, "not_articles": 0}
    counts |= {"store_errors": 0, "deferred": 0}
    deferred: set[str] = set()
    batch: set[str] = set()
    touched: set[str] = set()
    batch_key: str | None = None

    def close_batch() -> None:
        """Compare the domains' copies once a crawl's captures are all in (archive.divergence)."""
        for article_id in sorted(touched - deferred):
            with db.conn:
                for change in find_divergences(db, outlet, article_id, batch):
                    record_change(db, change, counts)
        batch.clear()
        touched.clear()

    with Index(config.index_path) as idx:
        db = idx.db
        pending = by_crawl(vx.pending_captures(db, outlet.name))
        for capture in pending:
            if crawl_batch(capture["warc"]) != batch_key:
                close_batch()
                batch_key = crawl_batch(capture["warc"])
            if capture["article_id"] in deferred:
                counts["deferred"] += 1
                continue
            # Read and extract before the write transaction: a slow store or a long extraction
            # must not hold the index's writer lock.
            try:
                read = _read(db, outlet, store, capture)
            except StoreError as exc:
                # Transient (a network store, a mount): retried next run, and so are the
                # article's later captures, or they would be detected out of order.
                deferred.add(capture["article_id"])
                counts["store_errors"] += 1
                counts["deferred"] += 1
                log.warning(
                    "detect could not read the store, retrying next run outlet=%s url=%s warc=%s: %s",
                    outlet.name,
                    capture["url"],
                    capture["warc"],
                    exc,
                )
                continue
            with db.conn:
                outcome = _process(db, outlet, capture, counts, read)
            counts["captures"] += 1
            batch.add(capture["record_id"])
            touched.add(capture["article_id"])
            log.debug("detect outlet=%s url=%s outcome=%s", outlet.name, capture["url"], outcome)
        close_batch()
    log.info(
        "detect done outlet=%s captures=%d versions=%d changes=%d errors=%d not_articles=%d deferred=%d",
        outlet.name,
        counts["captures"],
        counts["versions"],
        counts["changes"],
        counts["errors"],
        counts["not_articles"],
        counts["deferred"],
    )
    return counts


def by_crawl(captures: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Captures grouped by the crawl they came from, crawls in the order they began, each in
    fetch order: a probe run overlapping a crawl must not split the crawl's batch."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for capture in captures:
        groups.setdefault(crawl_batch(capture["warc"]), []).append(capture)
    return [capture for group in groups.values() for capture in group]


def crawl_batch(warc_key: str) -> str:
    """The crawl (or probe run) a capture came from: its WARC file name without time and serial.

    WARC files are named ``{prefix}-{YYYYMMDDHHMMSS}-{serial}.warc.gz`` with a prefix unique
    to each run (a crawl fanned out in shards adds ``-s<n>`` to it, and its shards are one
    batch), so grouping by it needs nothing but the WARCs: a rebuilt index batches the
    captures exactly as the incremental runs did.
    """
    name = warc_key.rsplit("/", 1)[-1]
    prefix = name.rsplit("-", 2)[0] if name.count("-") >= 2 else name
    return _SHARD.sub("", prefix)


@dataclass(frozen=True)
class _Stored:
    """What detect needs from the store for one capture, read before its write transaction."""

    extracted: Extracted | None = None
    error: EdittrailError | None = None
    location: str = ""


def _read(db: sqlite_utils.Database, outlet: Outlet, store: ObjectStore, capture: dict[str, Any]) -> _Stored:
    """The extracted page (200) or the Location header (redirects); a StoreError is left to the caller."""
    status = capture["status"]
    if status == 200:
        try:
            return _Stored(extracted=_extracted(db, outlet, store, capture))
        except StoreError:
            raise
        except EdittrailError as exc:
            return _Stored(error=exc)
    if status in REDIRECT_STATUSES:
        loaded = load_record(
            store.read_range(capture["warc"], capture["offset"], capture["length"]), name=capture["warc"]
        )
        return _Stored(location=next((v for k, v in loaded.http_headers or [] if k.lower() == "location"), ""))
    return _Stored()


def _process(
    db: sqlite_utils.Database, outlet: Outlet, capture: dict[str, Any], counts: dict[str, int], read: _Stored
) -> str:
    status = capture["status"]
    record = _Recorder(db, capture, counts)
    if status == 200:
        if read.extracted is not None:
            return _content(db, outlet, capture, record, read.extracted)
        counts["errors"] += 1
        log.warning(
            "detect could not extract outlet=%s url=%s warc=%s: %s",
            outlet.name,
            capture["url"],
            capture["warc"],
            read.error,
        )
        vx.mark_detected(db, capture, f"error: {read.error}"[:500], None)
        return "error"
    if status in GONE_STATUSES:
        return _gone(db, capture, record)
    if status in REDIRECT_STATUSES:
        return _redirect(db, outlet, capture, record, read.location)
    vx.mark_detected(db, capture, f"skipped: HTTP {status}", None)
    return "skipped"


def record_change(db: sqlite_utils.Database, change: Change | None, counts: dict[str, int]) -> None:
    """Store a change once (a re-run finds it already there) and count it only when new."""
    if change is not None and vx.add_change(db, change):
        counts["changes"] += 1
        log.info(
            "change outlet=%s article=%s kind=%s declared=%s host=%s",
            change.outlet,
            change.article_id,
            change.kind,
            change.declared,
            change.host,
        )


class _Recorder:
    """Records the changes one capture makes, filling in the capture's identity for its fates."""

    def __init__(self, db: sqlite_utils.Database, capture: dict[str, Any], counts: dict[str, int]) -> None:
        self.db, self.capture, self.counts = db, capture, counts

    def change(self, change: Change | None) -> None:
        record_change(self.db, change, self.counts)

    def fate(self, kind: str, summary: str, last: Version | None, **details: Any) -> None:
        c = self.capture
        self.change(
            fate_change(
                kind,
                outlet=c["outlet"],
                article_id=c["article_id"],
                host=c["host"],
                record_id=c["record_id"],
                fetched_at=c["fetched_at"],
                summary=summary,
                last=last,
                details=details,
            )
        )


def _content(
    db: sqlite_utils.Database, outlet: Outlet, capture: dict[str, Any], record: _Recorder, extracted: Extracted
) -> str:
    oid, aid, host = outlet.name, capture["article_id"], capture["host"]
    if extracted.not_article:
        record.counts["not_articles"] += 1
        log.info("not an article outlet=%s url=%s host=%s: %s", oid, capture["url"], host, extracted.not_article)
        vx.mark_detected(db, capture, f"not an article: {extracted.not_article}"[:500], None)
        return "not an article"
    version = version_of(outlet, capture, extracted)
    previous_on_host = vx.host_state(db, oid, aid, host)
    article = vx.article_state(db, oid, aid)
    known = vx.version_with_hash(db, oid, aid, version.whole_hash)
    current = vx.current_version(db, oid, aid)
    outcome = "same"
    if known is None:
        latest = vx.latest_version(db, oid, aid)
        version = replace(version, version=(latest.version if latest else 0) + 1)
        vx.add_version(db, version)
        record.counts["versions"] += 1
        before = _version_shown(db, oid, aid, previous_on_host) or current
        if before is None:
            record.change(slug_mismatch(version))
        else:
            for change in classify(before, version):
                record.change(change)
        vx.set_current_version(db, oid, aid, version.version)
        shown, outcome = version, "version"
    else:
        shown = known
        if current is not None and _reverted(known, current, previous_on_host):
            for change in classify(current, replace(version, version=known.version), revert=True):
                record.change(change)
            vx.set_current_version(db, oid, aid, known.version)
            outcome = f"revert to version {known.version}"
    if article["state"] in ("gone", "redirect") and previous_on_host and previous_on_host["state"] != "live":
        record.fate("restoration", f"served again by {host} after {article['state']}", current or shown)
        vx.set_article_state(db, oid, aid, state="live", record_id=capture["record_id"])
    vx.set_host_state(db, oid, aid, host, state="live", version=shown.version, record_id=capture["record_id"])
    vx.mark_detected(db, capture, outcome, shown.version)
    return "new version" if known is None else outcome


def _reverted(known: Version, current: Version | None, previous_on_host: dict[str, Any] | None) -> bool:
    """A host went back from a newer version it showed to an older one that is not current.

    A host seen for the first time, one that still shows the version it showed, or one that
    moves forward (even to a version that is not current yet) is a mirror lagging behind,
    not a revert; catching up with the current version is no change either.
    """
    if current is None or known.version == current.version or previous_on_host is None:
        return False
    shown_before = previous_on_host["version"]
    return shown_before is not None and known.version < shown_before


def _gone(db: sqlite_utils.Database, capture: dict[str, Any], record: _Recorder) -> str:
    oid, aid, host = capture["outlet"], capture["article_id"], capture["host"]
    previous_on_host = vx.host_state(db, oid, aid, host)
    article = vx.article_state(db, oid, aid)
    if previous_on_host and previous_on_host["state"] == "live" and article["state"] == "live":
        current = vx.current_version(db, oid, aid)
        record.fate(
            "retraction", f"HTTP {capture['status']} from {host} after being live", current, status=capture["status"]
        )
        vx.set_article_state(db, oid, aid, state="gone", record_id=capture["record_id"])
    if previous_on_host:
        vx.set_host_state(
            db, oid, aid, host, state="gone", version=previous_on_host["version"], record_id=capture["record_id"]
        )
    vx.mark_detected(db, capture, f"gone: HTTP {capture['status']}", None)
    return "gone"


def _redirect(
    db: sqlite_utils.Database, outlet: Outlet, capture: dict[str, Any], record: _Recorder, location: str
) -> str:
    oid, aid, host = outlet.name, capture["article_id"], capture["host"]
    target = urljoin(capture["url"], location)
    target_id = outlet.article_id(target)
    if target_id == aid or not location:
        vx.mark_detected(db, capture, "redirect within the article", None)
        return "same article"
    article = vx.article_state(db, oid, aid)
    previous_on_host = vx.host_state(db, oid, aid, host)
    if article["redirect_to"] != target and previous_on_host:
        current = vx.current_version(db, oid, aid)
        where = f"article {target_id}" if target_id else urlsplit(target).netloc or target
        record.fate(
            "redirect",
            f"redirects to {where}: {target}",
            current,
            location=target,
            target_article=target_id,
            status=capture["status"],
        )
        vx.set_article_state(db, oid, aid, state="redirect", redirect_to=target, record_id=capture["record_id"])
    if previous_on_host:
        vx.set_host_state(
            db, oid, aid, host, state="redirect", version=previous_on_host["version"], record_id=capture["record_id"]
        )
    vx.mark_detected(db, capture, f"redirect: {target}", None)
    return "redirect"


def _version_shown(
    db: sqlite_utils.Database, outlet: str, article_id: str, host_row: dict[str, Any] | None
) -> Version | None:
    if not host_row or host_row["version"] is None:
        return None
    return vx.version_number(db, outlet, article_id, host_row["version"])


def _extracted(db: sqlite_utils.Database, outlet: Outlet, store: ObjectStore, capture: dict[str, Any]) -> Extracted:
    """Extract the stored record (a revisit shows what its original showed)."""
    if capture["record_type"] == "revisit":
        original = _original_capture(db, capture)
        if original is not None:
            capture = {**capture, "warc": original["warc"], "offset": original["offset"], "length": original["length"]}
    loaded = load_record(store.read_range(capture["warc"], capture["offset"], capture["length"]), name=capture["warc"])
    html, content_type = html_from_record(loaded)
    return extract(outlet.extractor, html, capture["url"], content_type=content_type)


def version_of(outlet: Outlet, capture: dict[str, Any], extracted: Extracted) -> Version:
    """The fingerprinted version a capture shows, numbered 0 until detect numbers it."""
    prints = fingerprint(extracted)
    return Version(
        outlet=outlet.name,
        article_id=capture["article_id"],
        version=0,
        record_id=capture["record_id"],
        host=capture["host"],
        url=capture["url"],
        fetched_at=capture["fetched_at"],
        whole_hash=prints.whole,
        hashes=dict(prints.fields),
        headline=extracted.headline,
        lead=extracted.lead,
        body=tuple(extracted.body),
        captions=tuple(extracted.captions),
        images=tuple(extracted.images),
        section=extracted.section,
        byline=extracted.byline,
        published=extracted.published.isoformat() if extracted.published else None,
        last_update=extracted.last_update.isoformat() if extracted.last_update else None,
        slug=extracted.slug,
        extractor=outlet.extractor,
    )


def version_of_capture(
    db: sqlite_utils.Database, outlet: Outlet, store: ObjectStore, capture: dict[str, Any]
) -> Version:
    """Extract and fingerprint a stored capture again, as detect did (for checks and tests)."""
    return version_of(outlet, capture, _extracted(db, outlet, store, capture))


def _original_capture(db: sqlite_utils.Database, capture: dict[str, Any]) -> dict[str, Any] | None:
    rows = list(
        db.query(
            "SELECT * FROM captures WHERE url = ? AND payload_digest = ? AND record_type = 'response' "
            "ORDER BY fetched_at LIMIT 1",
            [capture["url"], capture["payload_digest"]],
        )
    )
    return rows[0] if rows else None


Detector = Callable[[Config, str, ObjectStore], dict[str, Any]]
