"""The index's rows as the stages hand them to each other: frozen dataclasses, so a typo in a
field is a type error, not a KeyError in the middle of a crawl batch.

The modules of archive/index/ read and write the tables; these are what they give back. The
detect stage makes versions and changes and the index stores them, so ``Version`` and ``Change``
live here too: the index never imports the stage that writes into it. A stored change read back
is a :class:`StoredChange` (its row, with the id and bookkeeping ``detect`` added).
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any, Self


class _FromRow:
    """Built from a table row by field name; columns beyond the record's fields are left out."""

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Self:
        return cls(**{name: row[name] for name in _names(cls)})  # type: ignore[arg-type]


@functools.cache
def _names(cls: type) -> tuple[str, ...]:
    """A record's field names, worked out once per class: a crawl batch builds thousands of rows."""
    return tuple(f.name for f in fields(cls))


class _AsRow:
    """Back to the dict its query gave, keys in column order: what the JSON answers, the exports
    and the alert payloads were built from before the rows were typed, so they stay the same."""

    def as_row(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}  # type: ignore[arg-type]


@dataclass(frozen=True)
class Capture(_FromRow):
    """One archived HTTP response, located by WARC object, offset and length."""

    record_id: str
    outlet: str
    url: str
    urlkey: str
    host: str
    fetched_at: str
    status: int | None
    mime: str | None
    payload_digest: str | None
    record_type: str
    warc: str
    offset: int
    length: int
    article_id: str | None
    ip_address: str | None

    @property
    def article(self) -> str:
        """The article id of a capture detect handles: its queue holds article captures only."""
        if self.article_id is None:
            raise ValueError(f"capture {self.record_id} of {self.url} belongs to no article")
        return self.article_id


@dataclass(frozen=True, slots=True)
class CdxCapture:
    """The columns of a capture a CDX line shows: the CDX server's hot path reads only these,
    built positionally from the row's tuple (no row dict, no full :class:`Capture`)."""

    urlkey: str
    fetched_at: str
    url: str
    mime: str | None
    status: int | None
    payload_digest: str | None
    length: int
    offset: int
    warc: str
    record_type: str
    record_id: str


@dataclass(frozen=True)
class DetectedCapture:
    """A capture with what detect made of it, for the article page's list of captures."""

    capture: Capture
    version: int | None
    """The version detect found in it; None when it found none or has not run on it yet."""
    outcome: str | None
    """The ``detected`` row's outcome; None when detect has not run on it yet."""


@dataclass(frozen=True)
class HostState(_FromRow):
    """What one host last showed of an article, and since which capture it has shown it."""

    host: str
    state: str
    """``live``, ``gone`` or ``redirect``."""
    version: int | None
    """The version it shows (live), or showed last before it went or redirected."""
    record_id: str
    since: str | None = None
    since_record: str | None = None
    redirect_to: str | None = None


@dataclass(frozen=True)
class ArticleState(_FromRow):
    """What an article shows as a whole (its reference domain's view): live with its current
    version, gone, or redirected; an article never settled is live with no version."""

    outlet: str
    article_id: str
    state: str = "live"
    redirect_to: str | None = None
    record_id: str | None = None
    current_version: int | None = None
    current_since: str | None = None
    transition_record: str | None = None
    """The capture that made the current version current (an edit's, a revert's)."""


@dataclass(frozen=True)
class Version:
    """One distinct content of an article, as extracted from one capture."""

    outlet: str
    article_id: str
    version: int
    record_id: str
    host: str
    url: str
    fetched_at: str
    whole_hash: str
    hashes: Mapping[str, str]
    headline: str
    lead: str
    body: tuple[str, ...]
    captions: tuple[str, ...]
    images: tuple[str, ...]
    section: str
    byline: str
    published: str | None
    last_update: str | None
    slug: str
    extractor: str
    section_ids: tuple[str, ...] = ()
    """The sections the breadcrumb links to: an article moved to another section may keep its label."""


@dataclass(frozen=True)
class Change:
    """One kind of change of one article, from one capture to another."""

    outlet: str
    article_id: str
    kind: str
    declared: bool
    host: str
    to_record: str
    to_time: str
    summary: str
    from_version: int | None = None
    to_version: int | None = None
    from_record: str | None = None
    from_time: str | None = None
    diff_text: str = ""
    diff_html: str = ""
    section: str = ""
    details: Mapping[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """Stable across re-detection and reindexing: alerts are bookkept by it, not by row id."""
        raw = "|".join((self.outlet, self.article_id, self.kind, self.to_record))
        return hashlib.sha256(raw.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class StoredChange(_AsRow):
    """A row of ``changes`` as read back: every column, ``details`` decoded and ``declared`` a bool.

    The fields follow the table's columns in order, so :meth:`as_row` is the dict ``SELECT *``
    gives. The types are what :func:`archive.index.versions.add_change`, the table's one writer,
    stores of a :class:`Change`; ``detected_at`` is NULL in rows recorded before the column existed."""

    id: int
    change_key: str
    outlet: str
    article_id: str
    kind: str
    declared: bool
    host: str
    from_version: int | None
    to_version: int | None
    from_record: str | None
    to_record: str
    from_time: str | None
    to_time: str
    summary: str
    diff_text: str
    diff_html: str
    section: str
    details: Mapping[str, Any]
    detected_at: str | None
    """When detect recorded it (NULL for changes recorded before the column existed)."""

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Self:
        """The record of a row as SQLite gives it (``details`` JSON text, ``declared`` 0 or 1)."""
        decoded = {**row, "details": json.loads(row["details"] or "{}"), "declared": bool(row["declared"])}
        return cls(**{f.name: decoded[f.name] for f in fields(cls)})


@dataclass(frozen=True)
class ListedChange(StoredChange):
    """A stored change as the read side lists it, with what it is shown next to: the article's
    canonical URL, its current headline and the URL of the capture that showed the change (each
    None when the index has no such row)."""

    article_url: str | None
    current_headline: str | None
    to_url: str | None


@dataclass(frozen=True)
class SearchHit(_FromRow, _AsRow):
    """A version matching a full-text search; ``snippet`` marks each match as ``[word]``."""

    outlet: str
    article_id: str
    version: int
    fetched_at: str
    host: str
    headline: str | None
    snippet: str


@dataclass(frozen=True)
class NoisePattern:
    """A pattern detect decided to learn as the outlet's noise (archive.detect.noise.to_learn),
    as ``noise_learned`` keeps it; the index stores it without judging it."""

    key: str
    kind: str
    field: str
    pattern: str
    slot: int | None
    articles: int
    """How many articles of the batch showed it."""
    example: str = ""


@dataclass(frozen=True)
class LearnedNoise(_FromRow, _AsRow):
    """One pattern the outlet's noise model learned (``noise_learned``, without the outlet and key):
    what ``status`` and the article page list, and what :func:`archive.detect.noise.applies` tests."""

    kind: str
    """``slot``, ``text``, ``shape``, ``prefix``, ``context``, ``token`` or ``place``."""
    field: str
    pattern: str
    slot: int | None
    articles: int
    learned_at: str
    example: str | None
