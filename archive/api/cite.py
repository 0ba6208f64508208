"""The "cite this" blocks of the article page: a version or a change as a reader can quote and check it.

Each block is plain text (the page shows it in a ``<pre>`` to copy): the memento's URL in
this service, its Memento-Datetime, and the WARC record that holds the bytes, located by
file, offset and length, with the digests the index stored, each named for what it is
(``archive.index.citations``): the record's own ``WARC-Payload-Digest`` (SHA-1) and the
SHA-256 of the whole WARC file; and the SHA-256 of the record's own bytes, computed when the
page renders by reading them from the outlet's store at the cited offset and length, so a reader
can check the cited record without the whole file. Only the records the page cites are read;
a record the store cannot give leaves that line out, with a note saying so, never an error page.
Archived text (a headline) goes into the text as text; the template escapes it like any other.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from archive.api.cdx import timestamp_of
from archive.api.compare import compare_query
from archive.api.memento import Links, http_date
from archive.config import Outlet
from archive.errors import EdittrailError
from archive.index.citations import RecordLocation
from archive.moments import parse_utc
from archive.storage import ObjectStore

log = logging.getLogger(__name__)

PAYLOAD_DIGEST_NOTE = "SHA-1 in base32 of the HTTP payload as received, as the WARC record's header states it"
WARC_SHA256_NOTE = "SHA-256 of the whole WARC file as stored, recorded when it was indexed"
UNREAD_NOTE = (
    "SHA-256 of the WARC record's bytes: not given, the record could not be read from the outlet's store "
    "just now (the other lines still locate it)"
)


@dataclass(frozen=True)
class RecordDigest:
    """The SHA-256 of a record's bytes as read now from the store, or None when they could not be read."""

    sha256: str | None


def record_digests(store: Callable[[], ObjectStore], locations: Iterable[RecordLocation]) -> dict[str, RecordDigest]:
    """The SHA-256 of each record's bytes (WARC object, offset, length), by record id.

    ``store`` opens the outlet's store (it may fail too: a store misconfigured or unreachable
    leaves every digest out). Each record is read once, by range, never the whole WARC.
    """
    wanted = {loc.record_id: loc for loc in locations}
    if not wanted:
        return {}
    try:
        opened = store()
    except (EdittrailError, OSError) as exc:
        log.warning("cite: cannot open the store error=%s", exc)
        return {record_id: RecordDigest(None) for record_id in wanted}
    found = {}
    for record_id, loc in wanted.items():
        try:
            data = opened.read_range(loc.warc, loc.offset, loc.length)
        except (EdittrailError, OSError) as exc:
            log.warning("cite: cannot read record=%s warc=%s offset=%d error=%s", record_id, loc.warc, loc.offset, exc)
            found[record_id] = RecordDigest(None)
            continue
        found[record_id] = RecordDigest(hashlib.sha256(data).hexdigest())
    return found


def digest_line(location: RecordLocation, digest: RecordDigest | None) -> list[str]:
    """The record's SHA-256 line, labelled with what was hashed; the note when it could not be read."""
    if digest is None:
        return []
    if digest.sha256 is None:
        return [UNREAD_NOTE]
    return [
        f"SHA-256 of the WARC record's bytes at offset {location.offset}, length {location.length}: {digest.sha256}"
    ]


def record_lines(
    links: Links,
    location: RecordLocation | None,
    record_id: str | None,
    digests: Mapping[str, RecordDigest] | None = None,
) -> list[str]:
    """The lines that locate one capture: archived copy, Memento-Datetime, WARC file, record, digests."""
    if location is None:
        return [f"WARC record: {record_id} (not in the index: reindex to locate it)"] if record_id else []
    lines = [
        f"Archived copy: {links.at(timestamp_of(location.fetched_at), location.url)}",
        f"Memento-Datetime: {http_date(parse_utc(location.fetched_at))} ({location.fetched_at})",
        f"Original URL: {location.url}",
        f"WARC file: {location.warc}",
        f"WARC record: {location.record_id} ({location.record_type}), offset {location.offset}, "
        f"length {location.length} bytes",
        f"WARC-Payload-Digest: {location.payload_digest or 'none recorded'} ({PAYLOAD_DIGEST_NOTE})",
        f"WARC file SHA-256: {location.warc_sha256 or 'none recorded'} ({WARC_SHA256_NOTE})",
        *digest_line(location, (digests or {}).get(location.record_id)),
    ]
    return lines


def version_citation(
    outlet: Outlet,
    links: Links,
    article_id: str,
    version: Mapping[str, Any],
    location: RecordLocation | None,
    digests: Mapping[str, RecordDigest] | None = None,
) -> str:
    """A version as captured: what it is, then where its record lies."""
    head = (
        f"{outlet.title or outlet.name}, “{version['headline']}”, article {article_id}, "
        f"version {version['version']}, captured {version['fetched_at']} on {version['host']}."
    )
    return "\n".join(
        [
            head,
            f"Article in this archive: {links.base}article/{article_id}",
            *record_lines(links, location, version["record_id"], digests),
        ]
    )


def change_citation(
    outlet: Outlet,
    links: Links,
    change: Mapping[str, Any],
    locations: Mapping[str, RecordLocation],
    digests: Mapping[str, RecordDigest] | None = None,
) -> str:
    """A change: what changed and how it was declared, the captures before and after, and the comparison."""
    label = "declared" if change["declared"] else "silent"
    article_id = change["article_id"]
    span = (
        f"from version {change['from_version']} to version {change['to_version']}"
        if change.get("from_version") is not None and change.get("to_version") is not None
        else ""
    )
    head = (
        f"{outlet.title or outlet.name}, article {article_id}: {change['kind']} change ({label}) {span}".rstrip()
        + f", seen {change['to_time']} on {change['host']}."
    )
    lines = [head, f"Article in this archive: {links.base}article/{article_id}"]
    if span:
        compared = compare_query(change["from_version"], change["to_version"])
        lines.append(f"Comparison: {links.base}article/{article_id}/{compared}")
    if change.get("from_record"):
        lines += [
            "",
            "Before:",
            *_indented(record_lines(links, locations.get(change["from_record"]), change["from_record"], digests)),
        ]
    after = record_lines(links, locations.get(change["to_record"]), change["to_record"], digests)
    lines += ["", "After:", *_indented(after)]
    return "\n".join(lines)


def records_cited(versions: Iterable[Mapping[str, Any]], changes: Iterable[Mapping[str, Any]]) -> set[str]:
    """Every record id the article page's citations name."""
    ids = {v["record_id"] for v in versions}
    for change in changes:
        ids.update(r for r in (change.get("from_record"), change.get("to_record")) if r)
    return ids


def _indented(lines: list[str]) -> list[str]:
    return [f"  {line}" for line in lines]
